using System.Text.Json;
using System.Text.Json.Serialization;
using MsgMate.Actors.Schedules;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Schedules;

/// <summary>scheduled/create: the Go fields (snake_case), plus recurrence and inline content.</summary>
public sealed class CreateScheduleRequest
{
    [JsonPropertyName("to")] public JsonElement? To { get; set; }
    [JsonPropertyName("user_ids")] public List<string>? UserIds { get; set; }
    [JsonPropertyName("tags")] public List<string>? Tags { get; set; }
    [JsonPropertyName("template_id")] public string? TemplateId { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("channels")] public List<int>? Channels { get; set; }
    [JsonPropertyName("subject")] public string? Subject { get; set; }
    [JsonPropertyName("priority")] public int? Priority { get; set; }
    [JsonPropertyName("template_data")] public Dictionary<string, JsonElement>? TemplateData { get; set; }

    /// <summary>"YYYY-MM-DD HH:mm:ss" in the configured zone, or ISO 8601 with an offset. For cron: the earliest start.</summary>
    [JsonPropertyName("scheduled_time")] public string? ScheduledTime { get; set; }

    /// <summary>Recurring: a cron expression (5 fields, or 6 with seconds) in <see cref="TimeZone"/>.</summary>
    [JsonPropertyName("cron")] public string? Cron { get; set; }

    /// <summary>Recurring: every so many seconds from scheduled_time.</summary>
    [JsonPropertyName("interval_seconds")] public long? IntervalSeconds { get; set; }
    [JsonPropertyName("time_zone")] public string? TimeZone { get; set; }
    [JsonPropertyName("end_time")] public string? EndTime { get; set; }
    [JsonPropertyName("max_count")] public int? MaxCount { get; set; }
}

/// <summary>Edit or reschedule a pending schedule: absent fields are kept.</summary>
public sealed class UpdateScheduleRequest
{
    [JsonPropertyName("schedule_id")] public string? ScheduleId { get; set; }
    [JsonPropertyName("scheduled_time")] public string? ScheduledTime { get; set; }
    [JsonPropertyName("template_data")] public Dictionary<string, JsonElement>? TemplateData { get; set; }
    [JsonPropertyName("subject")] public string? Subject { get; set; }
    [JsonPropertyName("priority")] public int? Priority { get; set; }
    [JsonPropertyName("cron")] public string? Cron { get; set; }
    [JsonPropertyName("interval_seconds")] public long? IntervalSeconds { get; set; }
    [JsonPropertyName("time_zone")] public string? TimeZone { get; set; }
    [JsonPropertyName("end_time")] public string? EndTime { get; set; }
    [JsonPropertyName("max_count")] public int? MaxCount { get; set; }

    /// <summary>true: make a recurring schedule a one-off at scheduled_time.</summary>
    [JsonPropertyName("once")] public bool? Once { get; set; }
}

public sealed class ScheduleIdRequest
{
    [JsonPropertyName("schedule_id")] public string? ScheduleId { get; set; }
}

public sealed record CreateScheduleResponse([property: JsonPropertyName("schedule_id")] string ScheduleId) : Envelope;

/// <summary>A schedule on the wire: the Go console's snake_case fields, and the new ones beside them.</summary>
public sealed record ScheduleDto(
    [property: JsonPropertyName("schedule_id")] string ScheduleId,
    [property: JsonPropertyName("to")] IReadOnlyList<string> To,
    [property: JsonPropertyName("user_ids")] IReadOnlyList<string> UserIds,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("template_id")] string TemplateId,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("channels")] IReadOnlyList<int> Channels,
    [property: JsonPropertyName("template_data")] string TemplateData,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("scheduled_time")] string ScheduledTime,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("actual_send_time")] string ActualSendTime,
    [property: JsonPropertyName("create_time")] string CreateTime,
    [property: JsonPropertyName("modify_time")] string ModifyTime,
    [property: JsonPropertyName("cron")] string Cron,
    [property: JsonPropertyName("interval_seconds")] long IntervalSeconds,
    [property: JsonPropertyName("time_zone")] string TimeZone,
    [property: JsonPropertyName("end_time")] string EndTime,
    [property: JsonPropertyName("max_count")] int MaxCount,
    [property: JsonPropertyName("fired_count")] int FiredCount,
    [property: JsonPropertyName("next_fire_times")] IReadOnlyList<string> NextFireTimes,
    [property: JsonPropertyName("last_batch_id")] string LastBatchId,
    [property: JsonPropertyName("last_error")] string LastError)
{
    public static string Local(long ms, TimeZoneInfo zone) => ms <= 0 ? ""
        : TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), zone).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    public static ScheduleDto From(ScheduleState s, TimeZoneInfo zone, long nowMs)
    {
        var spec = s.Spec!;
        var r = s.Recurrence;
        IReadOnlyList<long> upcoming = s.Status is not (ScheduleStatus.Pending or ScheduleStatus.Paused) || s.NextFireAtMs == 0 ? []
            : r is null ? [s.NextFireAtMs]
            : [s.NextFireAtMs, .. Recurrences.Upcoming(r, s.FirstAtMs, s.NextFireAtMs, s.FiredCount + 1, 2)];
        return new ScheduleDto(
            s.ScheduleId, spec.To, spec.UserIds, spec.Tags, spec.TemplateId ?? "", spec.Content ?? "", spec.Channels,
            JsonSerializer.Serialize(spec.TemplateData), spec.Subject, spec.Priority, Local(s.FirstAtMs, zone), s.Status,
            Local(s.ActualSendTimeMs, zone), Local(s.CreatedAt.ToUnixTimeMilliseconds(), zone), Local(s.ModifiedAt.ToUnixTimeMilliseconds(), zone),
            r?.Cron ?? "", (r?.IntervalMs ?? 0) / 1000, r?.TimeZone ?? "", Local(r?.EndAtMs ?? 0, zone), r?.MaxCount ?? 0, s.FiredCount,
            upcoming.Select(t => Local(t, zone)).ToList(), s.LastBatchId, s.LastError);
    }
}

public sealed record GetScheduleResponse([property: JsonPropertyName("message")] ScheduleDto Message) : Envelope;

public sealed record ScheduleListResponse(
    [property: JsonPropertyName("messages")] IReadOnlyList<ScheduleDto> Messages,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;
