using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Serialization;

namespace MsgMate.Actors.Tests.Schedules;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// The schedule entity's timer logic under a controllable clock: TestKit's test scheduler drives the timers and
/// <see cref="ManualClock"/> the wall clock; the intake is a recording fake.
/// </summary>
/// <remarks>
/// Time moves only once the entity has finished with what it was told (<see cref="Pass"/>): the entity answers a
/// command before it arms its timer, and a timer armed while the test moves the test scheduler is registered after
/// that move and never fires. Each step waits for what happened, never for a time.
/// </remarks>
public sealed class ScheduleEntitySpecs() : TestKit(Config)
{
    private static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.actor.serialize-messages = off
        akka.actor.serializers.msgmate = "{{typeof(MsgMateSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IMsgMateMessage).AssemblyQualifiedName}}" = msgmate }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.test.single-expect-default = 15s
        """);

    private static readonly ScheduleSpec Spec = new("crm", ["a@example.com"], [], [], [1], "", 2, null, "hi",
        ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>Generous: on a loaded 2-core CI machine the in-memory journal and dispatcher can lag seconds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>How often a condition is checked (TestKit's default is a tenth of the deadline).</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z"));
    private readonly ConcurrentQueue<(string Key, SendRequest Request)> _submitted = new();
    private TaskCompletionSource<SendAnswer>? _hold;

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private Task<SendAnswer> Submit(SendRequest request, string key)
    {
        _submitted.Enqueue((key, request));
        return _hold?.Task ?? Task.FromResult(new SendAnswer(ResultCode.Ok, "ok", $"batch-{_submitted.Count}", ["m"], 1, false));
    }

    private IActorRef Entity(string id) => Sys.ActorOf(ScheduleEntity.PropsFor(id, _clock, Submit));

    /// <summary>
    /// Waits until the entity has handled everything sent to it before: a Get is answered only after the previous
    /// handler (and its persist callback, which arms or cancels the timer) has run.
    /// </summary>
    private void Settle(IActorRef entity, string id) => Get(entity, id);

    /// <summary>
    /// Moves both clocks once the entity is settled (its timer registered at the scheduler's current time), then
    /// settles it again: a firing that became due has started (and submitted) by the time this returns, so that
    /// "nothing fired" can be asserted right after.
    /// </summary>
    private void Pass(IActorRef entity, string id, TimeSpan time)
    {
        Settle(entity, id);
        _clock.Advance(time);
        Scheduler.Advance(time);
        Settle(entity, id);
    }

    private void AwaitSubmitted(int count) => AwaitCondition(() => _submitted.Count == count, Patience, Poll);

    private ScheduleState Get(IActorRef entity, string id)
    {
        entity.Tell(new ScheduleCommands.Get(id));
        return ExpectMsg<ScheduleReply>().State!;
    }

    private long In(TimeSpan t) => (_clock.GetUtcNow() + t).ToUnixTimeMilliseconds();

    [Fact(DisplayName = "Far-off schedules arm no timer; once woken within the horizon they fire exactly at their time, once")]
    public void Fires_on_time_once()
    {
        var entity = Entity("s1");
        entity.Tell(new ScheduleCommands.Create("s1", Spec, In(TimeSpan.FromMinutes(10)), null));
        Assert.True(ExpectMsg<ScheduleReply>().IsOk);

        Pass(entity, "s1", TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(40));
        Assert.Empty(_submitted);

        entity.Tell(new ScheduleCommands.Wake("s1"));
        ExpectMsg<ScheduleReply>();
        Pass(entity, "s1", TimeSpan.FromSeconds(19));
        Assert.Empty(_submitted);
        Pass(entity, "s1", TimeSpan.FromSeconds(1));
        AwaitSubmitted(1);
        AwaitAssert(() => Assert.Equal(ScheduleStatus.Sent, Get(entity, "s1").Status), Patience, Poll);

        Assert.Equal("schedule:s1:1", _submitted.Single().Key);
        Assert.Equal("s1", _submitted.Single().Request.ScheduleId);
        Pass(entity, "s1", TimeSpan.FromMinutes(5));
        entity.Tell(new ScheduleCommands.Wake("s1"));
        ExpectMsg<ScheduleReply>();
        Assert.Single(_submitted);
    }

    [Fact(DisplayName = "Cancelled before its time, a schedule never fires")]
    public void Cancelled_never_fires()
    {
        var entity = Entity("s2");
        entity.Tell(new ScheduleCommands.Create("s2", Spec, In(TimeSpan.FromSeconds(30)), null));
        ExpectMsg<ScheduleReply>();
        entity.Tell(new ScheduleCommands.Cancel("s2"));
        Assert.True(ExpectMsg<ScheduleReply>().IsOk);
        Pass(entity, "s2", TimeSpan.FromMinutes(1));
        entity.Tell(new ScheduleCommands.Wake("s2"));
        ExpectMsg<ScheduleReply>();
        Assert.Empty(_submitted);
        Assert.Equal(ScheduleStatus.Cancelled, Get(entity, "s2").Status);
    }

    [Fact(DisplayName = "A crash between starting a firing and recording it re-submits with the same idempotency key")]
    public void Recovery_resubmits_same_key()
    {
        _hold = new TaskCompletionSource<SendAnswer>();
        var entity = Entity("s3");
        entity.Tell(new ScheduleCommands.Create("s3", Spec, In(TimeSpan.FromSeconds(5)), null));
        ExpectMsg<ScheduleReply>();
        Pass(entity, "s3", TimeSpan.FromSeconds(5));
        AwaitSubmitted(1);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        _hold = null;
        var again = Entity("s3");
        AwaitSubmitted(2);
        AwaitAssert(() => Assert.Equal(ScheduleStatus.Sent, Get(again, "s3").Status), Patience, Poll);
        Assert.All(_submitted, s => Assert.Equal("schedule:s3:1", s.Key));
        Assert.Equal(1, Get(again, "s3").FiredCount);
    }

    [Fact(DisplayName = "A recurring schedule fires every interval; paused it stops, resumed it goes on")]
    public void Recurring_pause_resume()
    {
        var entity = Entity("s4");
        entity.Tell(new ScheduleCommands.Create("s4", Spec, In(TimeSpan.FromSeconds(1)), new Recurrence("", 1000, "UTC", 0, 0)));
        ExpectMsg<ScheduleReply>();
        for (var i = 1; i <= 3; i++)
        {
            Pass(entity, "s4", TimeSpan.FromSeconds(1));
            AwaitSubmitted(i);
            AwaitAssert(() => Assert.Equal(i, Get(entity, "s4").FiredCount), Patience, Poll);
        }
        entity.Tell(new ScheduleCommands.Pause("s4"));
        ExpectMsg<ScheduleReply>();
        Pass(entity, "s4", TimeSpan.FromSeconds(5));
        entity.Tell(new ScheduleCommands.Wake("s4"));
        ExpectMsg<ScheduleReply>();
        Assert.Equal(3, _submitted.Count);

        entity.Tell(new ScheduleCommands.Resume("s4"));
        ExpectMsg<ScheduleReply>();
        Pass(entity, "s4", TimeSpan.FromSeconds(1));
        AwaitSubmitted(4);
        Assert.Equal(["schedule:s4:1", "schedule:s4:2", "schedule:s4:3", "schedule:s4:4"], _submitted.Select(s => s.Key));
    }
}
