using MsgMate.Actors.Common;

namespace MsgMate.Actors.Schedules;

public interface IWithScheduleId : IMsgMateMessage
{
    string ScheduleId { get; }
}

public interface IScheduleCommand : IWithScheduleId;

public static class ScheduleCommands
{
    /// <param name="FirstAtMs">The (first) time; for cron, the earliest time it may fire (0 = now).</param>
    public sealed record Create(string ScheduleId, ScheduleSpec Spec, long FirstAtMs, Recurrence? Recurrence) : IScheduleCommand;

    /// <summary>Edit or reschedule a pending (or paused) schedule; null keeps a part.</summary>
    public sealed record Edit(string ScheduleId, ScheduleSpec? Spec, long? FirstAtMs, Recurrence? Recurrence, bool ClearRecurrence = false)
        : IScheduleCommand;

    public sealed record Cancel(string ScheduleId) : IScheduleCommand;

    public sealed record Pause(string ScheduleId) : IScheduleCommand;

    public sealed record Resume(string ScheduleId) : IScheduleCommand;

    public sealed record Get(string ScheduleId) : IScheduleCommand;

    /// <summary>From the due-time index: be awake (timer armed) for a firing that is near.</summary>
    public sealed record Wake(string ScheduleId) : IScheduleCommand;
}

public sealed record ScheduleReply(ResultCode Code, string Message, ScheduleState? State, long Version) : IMsgMateMessage, IEntityReply<ScheduleState>
{
    public bool IsOk => Code == ResultCode.Ok;

    public static ScheduleReply Ok(ScheduleState state, long version) => new(ResultCode.Ok, "ok", state, version);

    public static ScheduleReply Fail(Rejection rejection) => new(rejection.Code, rejection.Message, null, 0);
}
