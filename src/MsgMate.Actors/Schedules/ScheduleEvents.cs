using MsgMate.Actors.Common;

namespace MsgMate.Actors.Schedules;

/// <summary>Events of a schedule entity. Persisted: a schema; add fields with defaults, never rename.</summary>
public interface IScheduleEvent : IMsgMateMessage
{
    string ScheduleId { get; }
    DateTimeOffset At { get; }
}

public static class ScheduleEvents
{
    public const string Tag = "schedule";

    public sealed record Created(string ScheduleId, ScheduleSpec Spec, long FirstAtMs, Recurrence? Recurrence, long NextFireAtMs, DateTimeOffset At)
        : IScheduleEvent;

    /// <summary>Carries the whole definition after the change.</summary>
    public sealed record Edited(string ScheduleId, ScheduleSpec Spec, long FirstAtMs, Recurrence? Recurrence, long NextFireAtMs, DateTimeOffset At)
        : IScheduleEvent;

    public sealed record Cancelled(string ScheduleId, DateTimeOffset At) : IScheduleEvent;

    public sealed record Paused(string ScheduleId, DateTimeOffset At) : IScheduleEvent;

    public sealed record Resumed(string ScheduleId, long NextFireAtMs, DateTimeOffset At) : IScheduleEvent;

    /// <summary>Firing number <paramref name="FireNo"/> is being submitted (idempotency key schedule:id:fireNo).</summary>
    public sealed record FireStarted(string ScheduleId, int FireNo, DateTimeOffset At) : IScheduleEvent;

    public sealed record Fired(string ScheduleId, int FireNo, string BatchId, int Count, long NextFireAtMs, DateTimeOffset At) : IScheduleEvent;

    /// <summary>The intake refused the firing for good (template deleted, unknown users, …).</summary>
    public sealed record FireFailed(string ScheduleId, int FireNo, string Error, long NextFireAtMs, DateTimeOffset At) : IScheduleEvent;
}
