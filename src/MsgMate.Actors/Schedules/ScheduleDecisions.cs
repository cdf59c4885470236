using System.Collections.Immutable;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Schedules;

/// <summary>The business rules of a schedule, free of actors, timers and I/O.</summary>
public static class ScheduleDecisions
{
    /// <summary>How far in the past a one-off time may lie and still count as "now" (clock skew, slow clients).</summary>
    public static readonly TimeSpan PastTolerance = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far ahead a schedule (or a future sendTimestamp) may start: ten years. Past it, times near year 9999 and
    /// their next firings no longer fit a date, and nothing a message service sends is meant for then.
    /// </summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(3653);

    public static (Rejection? Rejection, ImmutableArray<IScheduleEvent> Events) Decide(ScheduleState s, IScheduleCommand command, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (command is ScheduleCommands.Create create)
        {
            if (s.Exists)
            {
                return Fail(ResultCode.Conflict, $"schedule {InputText.Quote(create.ScheduleId)} already exists");
            }
            var (first, next, error) = Plan(create.FirstAtMs, create.Recurrence, nowMs, 0);
            return error is not null
                ? Fail(ResultCode.InvalidArgument, error)
                : Persist(new ScheduleEvents.Created(create.ScheduleId, create.Spec, first, create.Recurrence, next, now));
        }
        if (!s.Exists)
        {
            return Fail(ResultCode.ScheduleNotFound, $"schedule {InputText.Quote(command.ScheduleId)} not found");
        }

        switch (command)
        {
            case ScheduleCommands.Edit edit:
                if (s.Status is not (ScheduleStatus.Pending or ScheduleStatus.Paused) || s.InFlightFire > 0)
                {
                    return Fail(ResultCode.Conflict, $"only a pending schedule can be edited; this one is {Name(s)}");
                }
                var recurrence = edit.ClearRecurrence ? null : edit.Recurrence ?? s.Recurrence;
                var (editedFirst, editedNext, editError) = Plan(edit.FirstAtMs ?? s.FirstAtMs, recurrence, nowMs, s.FiredCount,
                    allowPast: edit.FirstAtMs is null && recurrence is not null);
                return editError is not null
                    ? Fail(ResultCode.InvalidArgument, editError)
                    : Persist(new ScheduleEvents.Edited(s.ScheduleId, edit.Spec ?? s.Spec!, editedFirst, recurrence, editedNext, now));

            case ScheduleCommands.Cancel:
                if (s.Status == ScheduleStatus.Cancelled)
                {
                    return Fail(ResultCode.Conflict, "the schedule is already cancelled");
                }
                if (s.Status is not (ScheduleStatus.Pending or ScheduleStatus.Paused) || s.InFlightFire > 0)
                {
                    return Fail(ResultCode.Conflict, $"only a pending schedule can be cancelled; this one is {Name(s)}");
                }
                return Persist(new ScheduleEvents.Cancelled(s.ScheduleId, now));

            case ScheduleCommands.Pause:
                return s.Status switch
                {
                    ScheduleStatus.Paused => Nothing,
                    ScheduleStatus.Pending when s.InFlightFire == 0 => Persist(new ScheduleEvents.Paused(s.ScheduleId, now)),
                    _ => Fail(ResultCode.Conflict, $"only a pending schedule can be paused; this one is {Name(s)}"),
                };

            case ScheduleCommands.Resume:
                if (s.Status == ScheduleStatus.Pending)
                {
                    return Nothing;
                }
                if (s.Status != ScheduleStatus.Paused)
                {
                    return Fail(ResultCode.Conflict, $"only a paused schedule can be resumed; this one is {Name(s)}");
                }
                // A one-off whose time passed while paused fires now; a recurring one goes on from now.
                var resumed = s.Recurrence is null
                    ? Math.Max(s.NextFireAtMs, nowMs)
                    : Recurrences.Next(s.Recurrence, s.FirstAtMs, nowMs, s.FiredCount) ?? 0;
                return resumed == 0
                    ? Persist(new ScheduleEvents.Cancelled(s.ScheduleId, now))
                    : Persist(new ScheduleEvents.Resumed(s.ScheduleId, resumed, now));

            default:
                return Nothing;
        }
    }

    /// <summary>The firing to start now, if the schedule is due and no firing is under way.</summary>
    public static ScheduleEvents.FireStarted? StartFire(ScheduleState s, DateTimeOffset now) =>
        s.IsActive && s.InFlightFire == 0 && s.NextFireAtMs > 0 && s.NextFireAtMs <= now.ToUnixTimeMilliseconds()
            ? new ScheduleEvents.FireStarted(s.ScheduleId, s.FiredCount + 1, now)
            : null;

    /// <summary>
    /// The outcome of firing number <paramref name="fireNo"/>. A recurring schedule goes on with its next time
    /// after now (firings missed while no node ran are not made up, they are skipped).
    /// </summary>
    public static IScheduleEvent Complete(ScheduleState s, int fireNo, SendAnswer answer, DateTimeOffset now)
    {
        var after = Math.Max(now.ToUnixTimeMilliseconds(), s.NextFireAtMs);
        var next = s.Recurrence is null ? 0 : Recurrences.Next(s.Recurrence, s.FirstAtMs, after, fireNo) ?? 0;
        return answer.IsOk
            ? new ScheduleEvents.Fired(s.ScheduleId, fireNo, answer.BatchId, answer.Count, next, now)
            : new ScheduleEvents.FireFailed(s.ScheduleId, fireNo, $"{(int)answer.Code}: {answer.Message}", next, now);
    }

    /// <summary>First time and next fire time of a definition, or why it cannot be scheduled.</summary>
    private static (long First, long Next, string? Error) Plan(long firstAtMs, Recurrence? recurrence, long nowMs, int firedCount, bool allowPast = false)
    {
        if (firstAtMs > nowMs + (long)MaxAhead.TotalMilliseconds)
        {
            return (0, 0, $"scheduled_time must be at most {MaxAhead.TotalDays / 365.25:0} years ahead");
        }
        if (recurrence is null)
        {
            if (firstAtMs <= 0)
            {
                return (0, 0, "scheduled_time is required");
            }
            if (!allowPast && firstAtMs < nowMs - (long)PastTolerance.TotalMilliseconds)
            {
                return (0, 0, "scheduled_time is in the past");
            }
            return (firstAtMs, Math.Max(firstAtMs, nowMs), null);
        }
        var error = Recurrences.Validate(recurrence);
        if (error is not null)
        {
            return (0, 0, error);
        }
        if (!allowPast && firstAtMs > 0 && firstAtMs < nowMs - (long)PastTolerance.TotalMilliseconds && !recurrence.IsCron)
        {
            return (0, 0, "scheduled_time is in the past");
        }
        var start = firstAtMs > 0 ? firstAtMs : nowMs;
        var next = Recurrences.Next(recurrence, start, Math.Max(nowMs, start) - 1, firedCount);
        return next is null ? (0, 0, "the recurrence never fires (end_time or max_count already reached)") : (start, next.Value, null);
    }

    private static string Name(ScheduleState s) => s.InFlightFire > 0 ? "firing" : s.Status switch
    {
        ScheduleStatus.Sent => "sent",
        ScheduleStatus.Cancelled => "cancelled",
        ScheduleStatus.Failed => "failed",
        ScheduleStatus.Paused => "paused",
        _ => "pending",
    };

    private static (Rejection?, ImmutableArray<IScheduleEvent>) Fail(ResultCode code, string message) => (new Rejection(code, message), []);

    private static (Rejection?, ImmutableArray<IScheduleEvent>) Persist(IScheduleEvent e) => (null, [e]);

    private static readonly (Rejection?, ImmutableArray<IScheduleEvent>) Nothing = (null, []);
}
