using System.Collections.Immutable;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Schedules;

/// <summary>What a schedule sends and to whom; recipients (user ids, tags) are resolved when it fires.</summary>
public sealed record ScheduleSpec(
    string SourceId,
    ImmutableArray<string> To,
    ImmutableArray<string> UserIds,
    ImmutableArray<string> Tags,
    ImmutableArray<int> Channels,
    string Subject,
    int Priority,
    string? TemplateId,
    string? Content,
    ImmutableSortedDictionary<string, string> TemplateData,
    string ReleaseBatchId = "")
{
    /// <summary>The send this schedule submits through the intake, as send_msg would.</summary>
    public SendRequest ToSendRequest(string scheduleId) =>
        new(SourceId, To, UserIds, Tags, Channels, Subject, Priority, TemplateId, Content, TemplateData, 0, scheduleId, ReleaseBatchId ?? "");
}

/// <summary>Schedule status as the Go project (1–4), plus 5 paused.</summary>
public static class ScheduleStatus
{
    public const int Pending = 1;
    public const int Sent = 2;
    public const int Cancelled = 3;
    public const int Failed = 4;
    public const int Paused = 5;

    public static bool IsKnown(int status) => status is >= Pending and <= Paused;
}

/// <summary>
/// Everything a schedule entity owns; pure. <see cref="InFlightFire"/> is the firing that started but has not been
/// confirmed: after a crash it is submitted again with the same idempotency key, so it never fires twice.
/// </summary>
public sealed record ScheduleState(
    string ScheduleId,
    bool Exists,
    ScheduleSpec? Spec,
    long FirstAtMs,
    Recurrence? Recurrence,
    int Status,
    int FiredCount,
    long NextFireAtMs,
    int InFlightFire,
    long ActualSendTimeMs,
    string LastBatchId,
    string LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset ModifiedAt) : IMsgMateMessage
{
    public static ScheduleState Empty(string scheduleId) =>
        new(scheduleId, false, null, 0, null, 0, 0, 0, 0, 0, "", "", default, default);

    public bool IsActive => Exists && Status == ScheduleStatus.Pending;

    public ScheduleState Apply(IScheduleEvent evt) => evt switch
    {
        ScheduleEvents.Created e => this with
        {
            Exists = true, Spec = e.Spec, FirstAtMs = e.FirstAtMs, Recurrence = e.Recurrence, Status = ScheduleStatus.Pending,
            NextFireAtMs = e.NextFireAtMs, CreatedAt = e.At, ModifiedAt = e.At,
        },
        ScheduleEvents.Edited e => this with
        {
            Spec = e.Spec, FirstAtMs = e.FirstAtMs, Recurrence = e.Recurrence, NextFireAtMs = e.NextFireAtMs, ModifiedAt = e.At,
        },
        ScheduleEvents.Cancelled e => this with { Status = ScheduleStatus.Cancelled, NextFireAtMs = 0, ModifiedAt = e.At },
        ScheduleEvents.Paused e => this with { Status = ScheduleStatus.Paused, ModifiedAt = e.At },
        ScheduleEvents.Resumed e => this with { Status = ScheduleStatus.Pending, NextFireAtMs = e.NextFireAtMs, ModifiedAt = e.At },
        ScheduleEvents.FireStarted e => this with { InFlightFire = e.FireNo, ModifiedAt = e.At },
        ScheduleEvents.Fired e => this with
        {
            InFlightFire = 0, FiredCount = e.FireNo, ActualSendTimeMs = e.At.ToUnixTimeMilliseconds(), LastBatchId = e.BatchId,
            LastError = "", NextFireAtMs = e.NextFireAtMs, Status = e.NextFireAtMs == 0 ? ScheduleStatus.Sent : ScheduleStatus.Pending,
            ModifiedAt = e.At,
        },
        ScheduleEvents.FireFailed e => this with
        {
            InFlightFire = 0, FiredCount = e.FireNo, LastError = e.Error, NextFireAtMs = e.NextFireAtMs,
            Status = e.NextFireAtMs == 0 ? ScheduleStatus.Failed : ScheduleStatus.Pending, ModifiedAt = e.At,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown schedule event"),
    };
}
