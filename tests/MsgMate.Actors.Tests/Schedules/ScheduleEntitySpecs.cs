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
public sealed class ScheduleEntitySpecs() : TestKit(Config)
{
    private static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.actor.serialize-messages = off
        akka.actor.serializers.msgmate = "{{typeof(MsgMateSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "{{typeof(IMsgMateMessage).AssemblyQualifiedName}}" = msgmate }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private static readonly ScheduleSpec Spec = new("crm", ["a@example.com"], [], [], [1], "", 2, null, "hi",
        ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>Generous: on a loaded 2-core CI machine the in-memory journal and dispatcher can lag seconds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

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

    private void Pass(TimeSpan time)
    {
        _clock.Advance(time);
        Scheduler.Advance(time);
    }

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

        Pass(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(40));
        Assert.Empty(_submitted);

        entity.Tell(new ScheduleCommands.Wake("s1"));
        ExpectMsg<ScheduleReply>();
        Pass(TimeSpan.FromSeconds(19));
        Assert.Empty(_submitted);
        Pass(TimeSpan.FromSeconds(1));
        AwaitCondition(() => _submitted.Count == 1, Patience);
        AwaitAssert(() => Assert.Equal(ScheduleStatus.Sent, Get(entity, "s1").Status), Patience);

        Assert.Equal("schedule:s1:1", _submitted.Single().Key);
        Assert.Equal("s1", _submitted.Single().Request.ScheduleId);
        Pass(TimeSpan.FromMinutes(5));
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
        Pass(TimeSpan.FromMinutes(1));
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
        Pass(TimeSpan.FromSeconds(5));
        AwaitCondition(() => _submitted.Count == 1, Patience);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity);

        _hold = null;
        var again = Entity("s3");
        AwaitCondition(() => _submitted.Count == 2, Patience);
        AwaitAssert(() => Assert.Equal(ScheduleStatus.Sent, Get(again, "s3").Status), Patience);
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
            Pass(TimeSpan.FromSeconds(1));
            AwaitCondition(() => _submitted.Count == i, Patience);
            AwaitAssert(() => Assert.Equal(i, Get(entity, "s4").FiredCount), Patience);
        }
        entity.Tell(new ScheduleCommands.Pause("s4"));
        ExpectMsg<ScheduleReply>();
        Pass(TimeSpan.FromSeconds(5));
        entity.Tell(new ScheduleCommands.Wake("s4"));
        ExpectMsg<ScheduleReply>();
        Assert.Equal(3, _submitted.Count);

        entity.Tell(new ScheduleCommands.Resume("s4"));
        ExpectMsg<ScheduleReply>();
        Pass(TimeSpan.FromSeconds(1));
        AwaitCondition(() => _submitted.Count == 4, Patience);
        Assert.Equal(["schedule:s4:1", "schedule:s4:2", "schedule:s4:3", "schedule:s4:4"], _submitted.Select(s => s.Key));
    }
}
