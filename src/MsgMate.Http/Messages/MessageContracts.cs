using System.Text.Json;
using System.Text.Json.Serialization;
using MsgMate.Actors.Delivery;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Messages;

/// <summary>send_msg, with the Go project's field names (matched case-insensitively, as Go does).</summary>
public sealed class SendMsgRequest
{
    /// <summary>One address, several separated by commas, or a list.</summary>
    [JsonPropertyName("to")] public JsonElement? To { get; set; }
    [JsonPropertyName("user_ids")] public List<string>? UserIds { get; set; }
    [JsonPropertyName("tags")] public List<string>? Tags { get; set; }
    [JsonPropertyName("channels")] public List<int>? Channels { get; set; }
    [JsonPropertyName("subject")] public string? Subject { get; set; }
    [JsonPropertyName("priority")] public int? Priority { get; set; }
    [JsonPropertyName("templateID")] public string? TemplateId { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("templateData")] public Dictionary<string, JsonElement>? TemplateData { get; set; }

    /// <summary>Unix seconds (as the Go clients send) or milliseconds; absent, 0 or past = now.</summary>
    [JsonPropertyName("sendTimestamp")] public long? SendTimestamp { get; set; }
}

public sealed class MsgIdRequest
{
    [JsonPropertyName("msgID")] public string? MsgId { get; set; }
}

public sealed class ResendRequest
{
    [JsonPropertyName("msgID")] public string? MsgId { get; set; }
    [JsonPropertyName("batchID")] public string? BatchId { get; set; }
}

/// <summary>Go answered only the first id (<c>msgID</c>); <c>msgIDs</c> holds them all (up to 10,000; <c>count</c> is the full number).</summary>
public sealed record SendMsgResponse(
    [property: JsonPropertyName("msgID")] string MsgId,
    [property: JsonPropertyName("msgIDs")] IReadOnlyList<string> MsgIds,
    [property: JsonPropertyName("batchID")] string BatchId,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("truncated")] bool Truncated) : Envelope;

public sealed record AttemptDto(
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("outcome")] int Outcome,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("duration_ms")] int DurationMs,
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("provider_msg_id")] string ProviderMsgId);

/// <summary>get_msg_record: Go's fields (to, subject, templateID, templateData as an object) and the rest beside them.</summary>
public sealed record GetMsgRecordResponse(
    [property: JsonPropertyName("msgID")] string MsgId,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("templateID")] string TemplateId,
    [property: JsonPropertyName("templateData")] JsonElement TemplateData,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("retry_count")] int RetryCount,
    [property: JsonPropertyName("retryCount")] int RetryCountCamel,
    [property: JsonPropertyName("attempt_count")] int AttemptCount,
    [property: JsonPropertyName("attempts")] IReadOnlyList<AttemptDto> Attempts,
    [property: JsonPropertyName("last_error")] string LastError,
    [property: JsonPropertyName("provider_msg_id")] string ProviderMsgId,
    [property: JsonPropertyName("batch_id")] string BatchId,
    [property: JsonPropertyName("source_id")] string SourceId,
    [property: JsonPropertyName("schedule_id")] string ScheduleId,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("send_time")] string SendTime,
    [property: JsonPropertyName("sent_time")] string SentTime,
    [property: JsonPropertyName("create_time")] string CreateTime,
    [property: JsonPropertyName("modify_time")] string ModifyTime) : Envelope;

/// <summary>A list item: PascalCase as Go's table struct; TemplateData is a JSON string (the console parses it).</summary>
public sealed record RecordItemDto(
    string MsgId,
    string To,
    string Subject,
    string TemplateID,
    string TemplateData,
    int Channel,
    string SourceID,
    int Status,
    int RetryCount,
    int Priority,
    string BatchID,
    string LastError,
    string CreateTime,
    string ModifyTime,
    string SentTime)
{
    public static RecordItemDto From(MessageRecord r, TimeZoneInfo zone) => new(
        r.MsgId, r.To, r.Subject, r.TemplateId, r.TemplateData, r.Channel, r.SourceId, r.Status, r.RetryCount, r.Priority,
        r.BatchId, r.LastError, Time(r.CreateTime, zone), Time(r.ModifyTime, zone), r.SentTime == 0 ? "" : Time(r.SentTime, zone));

    public static string Time(long ms, TimeZoneInfo zone) => ApiTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(ms), zone);
}

public sealed record RecordListResponse(
    [property: JsonPropertyName("records")] IReadOnlyList<RecordItemDto> Records,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;

public sealed record CountResponse([property: JsonPropertyName("count")] int Count) : Envelope;

public sealed record StatisticsBucketDto(
    [property: JsonPropertyName("time")] string Time,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("count")] long Count);

public sealed record StatisticsResponse(
    [property: JsonPropertyName("granularity")] string Granularity,
    [property: JsonPropertyName("buckets")] IReadOnlyList<StatisticsBucketDto> Buckets,
    [property: JsonPropertyName("by_status")] IReadOnlyDictionary<string, long> ByStatus,
    [property: JsonPropertyName("total")] long Total) : Envelope;
