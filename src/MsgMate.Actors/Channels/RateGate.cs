namespace MsgMate.Actors.Channels;

/// <summary>What the gate decided for one message: go now, or come back at <see cref="NotBefore"/> (Unix ms).</summary>
public readonly record struct RateDecision(bool Admitted, long NotBefore)
{
    public static readonly RateDecision Now = new(true, 0);
}

/// <summary>
/// A provider's documented rate, enforced before the call (GCRA: a theoretical arrival time advanced by one
/// emission interval per message, with <c>burst</c> messages allowed back to back). A message over the rate is
/// not waited for — waiting would hold a lane's send slot that another channel could use — but given a slot:
/// the gate reserves the next free time for it and answers <see cref="RateDecision.NotBefore"/>; the record is
/// stored as due then, and when it comes back it takes its reserved slot instead of queueing behind newer
/// messages. A burst is spread at the rate, none of it failed. Reservations are bounded (beyond
/// <c>maxReservations</c> a message is told the next free time without a reservation) and forgotten once long
/// past, so the gate's memory stays small. Per node: a cluster of N nodes sends at most N times the rate.
/// Thread-safe; time comes from the injected clock.
/// </summary>
public sealed class RateGate
{
    private const long ForgetAfterMs = 60_000;
    private const long EarlyGraceMicros = 10_000;

    private readonly long _intervalMicros;
    private readonly long _toleranceMicros;
    private readonly TimeProvider _clock;
    private readonly int _maxReservations;
    private readonly Dictionary<string, long> _reserved = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private long _tatMicros;

    public RateGate(double perSecond, int burst, TimeProvider clock, int maxReservations = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _intervalMicros = Math.Max(1, (long)Math.Round(1_000_000 / perSecond));
        _toleranceMicros = _intervalMicros * (Math.Max(1, burst) - 1);
        _clock = clock;
        _maxReservations = maxReservations;
    }

    /// <summary>Reservations currently held (for tests and metrics).</summary>
    public int Reservations
    {
        get
        {
            lock (_lock)
            {
                return _reserved.Count;
            }
        }
    }

    /// <summary>
    /// Admits the message now if the rate allows it (or its reserved slot has come). Otherwise, with
    /// <paramref name="reserve"/>, reserves the next free slot and answers it; without, answers when the next slot
    /// would be free and reserves nothing (the router first asks every provider of a route this way, so that a
    /// message another provider takes at once does not waste a slot here).
    /// </summary>
    public RateDecision Acquire(string msgId, bool reserve = true)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        lock (_lock)
        {
            if (_reserved.TryGetValue(msgId, out var slot))
            {
                // Its slot was counted when it was reserved; early (a queue that polls early, a clock between
                // nodes) it waits for the slot again.
                if (slot <= now + EarlyGraceMicros)
                {
                    _reserved.Remove(msgId);
                    return RateDecision.Now;
                }
                return new RateDecision(false, (slot + 999) / 1000);
            }
            var tat = Math.Max(_tatMicros, now);
            if (tat - now <= _toleranceMicros)
            {
                _tatMicros = tat + _intervalMicros;
                return RateDecision.Now;
            }
            var conforming = tat - _toleranceMicros;
            if (!reserve)
            {
                return new RateDecision(false, (conforming + 999) / 1000);
            }
            if (_reserved.Count >= _maxReservations)
            {
                Forget(now);
            }
            if (_reserved.Count < _maxReservations)
            {
                _reserved[msgId] = conforming;
                _tatMicros = tat + _intervalMicros;
            }
            return new RateDecision(false, (conforming + 999) / 1000);
        }
    }

    private void Forget(long now)
    {
        foreach (var (id, slot) in _reserved.Where(r => r.Value < now - ForgetAfterMs * 1000).ToList())
        {
            _reserved.Remove(id);
        }
    }
}
