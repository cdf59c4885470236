using MsgMate.Actors.Channels;
using MsgMate.Actors.Tests.Schedules;

namespace MsgMate.Actors.Tests.Channels;

/// <summary>The provider rate gate's decisions under a hand-moved clock: what it admits, and which slot it gives the rest.</summary>
public sealed class RateGateTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-06-01T00:00:00Z");

    [Fact(DisplayName = "A burst of 100 robot messages at 20 a minute: the first goes at once, the others get slots 3 s apart; none is refused")]
    public void Burst_is_spread_at_the_rate()
    {
        var clock = new ManualClock(Start);
        var gate = new RateGate(perSecond: 20.0 / 60, burst: 1, clock);
        var decisions = Enumerable.Range(0, 100).Select(i => gate.Acquire($"m{i}")).ToList();

        Assert.True(decisions[0].Admitted);
        var slots = decisions.Skip(1).Select(d => d.NotBefore - Start.ToUnixTimeMilliseconds()).ToList();
        Assert.All(decisions.Skip(1), d => Assert.False(d.Admitted));
        Assert.Equal(Enumerable.Range(1, 99).Select(i => i * 3000L), slots);
        Assert.Equal(99, gate.Reservations);
    }

    [Fact(DisplayName = "A deferred message that comes back at its slot is admitted on its reservation, ahead of newer messages")]
    public void Reservation_is_honoured()
    {
        var clock = new ManualClock(Start);
        var gate = new RateGate(perSecond: 1, burst: 1, clock);
        Assert.True(gate.Acquire("a").Admitted);
        var b = gate.Acquire("b");
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 1000, b.NotBefore);

        // Early: told its slot again, the reservation kept.
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(b, gate.Acquire("b"));
        clock.Advance(TimeSpan.FromMilliseconds(800));
        // A newcomer at b's time queues behind b's reservation; b itself goes.
        var c = gate.Acquire("c");
        Assert.False(c.Admitted);
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 2000, c.NotBefore);
        Assert.True(gate.Acquire("b").Admitted);
        Assert.Equal(1, gate.Reservations);
    }

    [Fact(DisplayName = "Burst: that many go back to back; asking without reserving tells the next free time and reserves nothing")]
    public void Burst_and_peek()
    {
        var clock = new ManualClock(Start);
        var gate = new RateGate(perSecond: 5, burst: 3, clock);
        Assert.All(Enumerable.Range(0, 3), i => Assert.True(gate.Acquire($"m{i}").Admitted));
        var peek = gate.Acquire("x", reserve: false);
        Assert.False(peek.Admitted);
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 200, peek.NotBefore);
        Assert.Equal(0, gate.Reservations);

        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(gate.Acquire("x", reserve: false).Admitted);
    }

    [Fact(DisplayName = "Reservations are bounded: past the limit a message is told the next free time without one, and old ones are forgotten")]
    public void Reservations_are_bounded()
    {
        var clock = new ManualClock(Start);
        var gate = new RateGate(perSecond: 1, burst: 1, clock, maxReservations: 5);
        gate.Acquire("first");
        for (var i = 0; i < 20; i++)
        {
            Assert.False(gate.Acquire($"m{i}").Admitted);
        }
        Assert.Equal(5, gate.Reservations);

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True(gate.Acquire("late").Admitted);
        Assert.False(gate.Acquire("next").Admitted);
        Assert.Equal(1, gate.Reservations);
    }
}
