using System.Collections.Immutable;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Schedules;

namespace MsgMate.Actors.Tests.Schedules;

public class ScheduleDecisionsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T00:00:00Z");
    private static readonly long NowMs = Now.ToUnixTimeMilliseconds();

    private static readonly ScheduleSpec Spec = new("crm", ["a@example.com"], [], [], [1], "", 2, null, "hi",
        ImmutableSortedDictionary<string, string>.Empty);

    private static ScheduleState Run(ScheduleState s, IScheduleCommand c, DateTimeOffset at, out Rejection? rejection)
    {
        var (r, events) = ScheduleDecisions.Decide(s, c, at);
        rejection = r;
        return events.Aggregate(s, (state, e) => state.Apply(e));
    }

    private static ScheduleState Once(long atMs) => Run(ScheduleState.Empty("s1"), new ScheduleCommands.Create("s1", Spec, atMs, null), Now, out _);

    [Fact(DisplayName = "A one-off in the future is pending with that time as its next fire time")]
    public void Create_once()
    {
        var s = Once(NowMs + 60_000);
        Assert.Equal(ScheduleStatus.Pending, s.Status);
        Assert.Equal(NowMs + 60_000, s.NextFireAtMs);
    }

    [Fact(DisplayName = "A schedule may start up to ten years ahead; a millisecond later is refused (times near year 9999 break dates)")]
    public void Create_within_the_horizon()
    {
        var horizon = NowMs + (long)ScheduleDecisions.MaxAhead.TotalMilliseconds;
        Assert.Equal(horizon, Once(horizon).NextFireAtMs);
        Run(ScheduleState.Empty("s1"), new ScheduleCommands.Create("s1", Spec, horizon + 1, null), Now, out var rejection);
        Assert.Equal(ResultCode.InvalidArgument, rejection?.Code);
        Assert.Contains("at most 10 years ahead", rejection!.Message);
        Run(ScheduleState.Empty("s1"), new ScheduleCommands.Create("s1", Spec, long.MaxValue, new Recurrence("", 1000, "UTC", 0, 0)), Now, out rejection);
        Assert.Contains("at most 10 years ahead", rejection!.Message);
        Run(Once(NowMs + 60_000), new ScheduleCommands.Edit("s1", null, horizon + 1, null, false), Now, out rejection);
        Assert.Contains("at most 10 years ahead", rejection!.Message);
    }

    [Fact(DisplayName = "A one-off in the past is refused; within a second of now it counts as now")]
    public void Create_in_past()
    {
        Run(ScheduleState.Empty("s1"), new ScheduleCommands.Create("s1", Spec, NowMs - 5_000, null), Now, out var rejection);
        Assert.Equal(ResultCode.InvalidArgument, rejection?.Code);
        Assert.Contains("in the past", rejection!.Message);
        Assert.Equal(NowMs, Once(NowMs - 500).NextFireAtMs);
    }

    [Fact(DisplayName = "Firing: FireStarted only when due and nothing under way; Fired ends a one-off as sent")]
    public void Fire_once()
    {
        var s = Once(NowMs + 1000);
        Assert.Null(ScheduleDecisions.StartFire(s, Now));
        var started = ScheduleDecisions.StartFire(s, Now.AddSeconds(1))!;
        Assert.Equal(1, started.FireNo);
        s = s.Apply(started);
        Assert.Null(ScheduleDecisions.StartFire(s, Now.AddSeconds(2)));

        var fired = ScheduleDecisions.Complete(s, 1, new SendAnswer(ResultCode.Ok, "ok", "b1", ["m1"], 1, false), Now.AddSeconds(1));
        s = s.Apply(fired);
        Assert.Equal(ScheduleStatus.Sent, s.Status);
        Assert.Equal("b1", s.LastBatchId);
        Assert.Equal(0, s.InFlightFire);
        Assert.Null(ScheduleDecisions.StartFire(s, Now.AddSeconds(5)));
    }

    [Fact(DisplayName = "A refused firing of a one-off fails the schedule with the reason")]
    public void Fire_refused()
    {
        var s = Once(NowMs);
        s = s.Apply(ScheduleDecisions.StartFire(s, Now)!);
        s = s.Apply(ScheduleDecisions.Complete(s, 1, SendAnswer.Fail(ResultCode.TemplateNotFound, "template t not found"), Now));
        Assert.Equal(ScheduleStatus.Failed, s.Status);
        Assert.Contains("template t not found", s.LastError);
    }

    [Fact(DisplayName = "A recurring schedule goes on after each firing and skips what it missed")]
    public void Recurring_goes_on()
    {
        var s = Run(ScheduleState.Empty("s1"), new ScheduleCommands.Create("s1", Spec, NowMs, new Recurrence("", 1000, "UTC", 0, 0)), Now, out _);
        Assert.Equal(NowMs, s.NextFireAtMs);
        s = s.Apply(ScheduleDecisions.StartFire(s, Now)!);
        s = s.Apply(ScheduleDecisions.Complete(s, 1, new SendAnswer(ResultCode.Ok, "ok", "b1", [], 1, false), Now.AddSeconds(10.5)));
        Assert.Equal(ScheduleStatus.Pending, s.Status);
        Assert.Equal(NowMs + 11_000, s.NextFireAtMs);
    }

    [Fact(DisplayName = "Cancel, pause and edit need a pending schedule; cancelling twice is a conflict")]
    public void Lifecycle_rules()
    {
        var s = Once(NowMs + 60_000);
        var paused = Run(s, new ScheduleCommands.Pause("s1"), Now, out _);
        Assert.Equal(ScheduleStatus.Paused, paused.Status);
        Assert.Null(ScheduleDecisions.StartFire(paused, Now.AddMinutes(2)));

        var resumed = Run(paused, new ScheduleCommands.Resume("s1"), Now.AddMinutes(2), out _);
        Assert.Equal(ScheduleStatus.Pending, resumed.Status);
        Assert.Equal(NowMs + 120_000, resumed.NextFireAtMs);

        var cancelled = Run(s, new ScheduleCommands.Cancel("s1"), Now, out var none);
        Assert.Null(none);
        Assert.Equal(ScheduleStatus.Cancelled, cancelled.Status);
        Run(cancelled, new ScheduleCommands.Cancel("s1"), Now, out var twice);
        Assert.Equal(ResultCode.Conflict, twice?.Code);
        Run(cancelled, new ScheduleCommands.Edit("s1", null, NowMs + 90_000, null), Now, out var edit);
        Assert.Equal(ResultCode.Conflict, edit?.Code);

        var firing = s.Apply(new ScheduleEvents.FireStarted("s1", 1, Now));
        Run(firing, new ScheduleCommands.Cancel("s1"), Now, out var whileFiring);
        Assert.Equal(ResultCode.Conflict, whileFiring?.Code);
    }

    [Fact(DisplayName = "Rescheduling moves the next fire time; unknown schedules answer not found")]
    public void Reschedule_and_unknown()
    {
        var moved = Run(Once(NowMs + 60_000), new ScheduleCommands.Edit("s1", null, NowMs + 600_000, null), Now, out _);
        Assert.Equal(NowMs + 600_000, moved.NextFireAtMs);
        Run(ScheduleState.Empty("x"), new ScheduleCommands.Get("x"), Now, out var missing);
        Assert.Equal(ResultCode.ScheduleNotFound, missing?.Code);
    }
}
