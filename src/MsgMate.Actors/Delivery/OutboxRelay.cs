using Akka.Actor;
using Akka.Event;
using MsgMate.Actors.Common;
using MsgMate.Actors.Queue;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// The transactional outbox of the Kafka mode: hands stored-but-unqueued records to their topics once they are
/// due (new ones at once, a future sendTimestamp at its time, a retry after its backoff, a resend), and only
/// then marks them queued. A crash between publish and mark publishes again; the deliverer skips what is
/// already final. Runs as a cluster singleton; the intake nudges it so that a new record does not wait for
/// the next poll.
/// </summary>
public sealed class OutboxRelay : ReceiveActor, IWithTimers
{
    /// <summary>Look now (records were stored, or a retry is due).</summary>
    public sealed record Nudge : IMsgMateMessage
    {
        public static readonly Nudge Instance = new();
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Relayed(int Count);

    private const int BatchSize = 2000;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _busy;
    private bool _again;

    public OutboxRelay(RecordStore records, IDeliveryQueue queue, DeliveryOptions options, TimeProvider clock)
    {
        Receive<Nudge>(_ => Run(records, queue, clock));
        Receive<Tick>(_ => Run(records, queue, clock));
        Receive<Relayed>(r =>
        {
            _busy = false;
            // A full batch means more may be waiting: go on at once.
            if (_again || r.Count == BatchSize)
            {
                _again = false;
                Run(records, queue, clock);
            }
        });
        Receive<Status.Failure>(f =>
        {
            _busy = false;
            _log.Warning("Outbox relay round failed ({0}); next round at the next tick", f.Cause.GetType().Name);
        });
        Timers.StartPeriodicTimer("poll", Tick.Instance, options.PollInterval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(RecordStore records, IDeliveryQueue queue, DeliveryOptions options, TimeProvider clock) =>
        Props.Create(() => new OutboxRelay(records, queue, options, clock));

    private void Run(RecordStore records, IDeliveryQueue queue, TimeProvider clock)
    {
        if (_busy)
        {
            _again = true;
            return;
        }
        _busy = true;
        RelayAsync(records, queue, clock).PipeTo(Self);
    }

    private static async Task<Relayed> RelayAsync(RecordStore records, IDeliveryQueue queue, TimeProvider clock)
    {
        var due = await records.TakeUnqueuedAsync(clock.GetUtcNow().ToUnixTimeMilliseconds(), BatchSize);
        if (due.Count == 0)
        {
            return new Relayed(0);
        }
        // Published (acknowledged by every in-sync replica) before marked: never marked and lost. Bounded, so
        // that a broker outage ends this round (and the next tick tries again) instead of stalling the relay.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await queue.PublishAsync(due, timeout.Token);
        // Marks only records still at the published attempt: the job may already have been delivered and its
        // outcome (a retry to publish next) written meanwhile, which this mark must not hide.
        await records.MarkQueuedAsync(due.Select(d => d.Job).ToList());
        return new Relayed(due.Count);
    }
}

/// <summary>In the Kafka mode, a stored record nudges the outbox relay singleton wherever it runs.</summary>
public sealed class RelaySignal(Func<IActorRef> relay) : IDeliverySignal
{
    public void RecordsStored(long dueAtMs)
    {
        if (dueAtMs == 0)
        {
            relay().Tell(OutboxRelay.Nudge.Instance);
        }
    }
}
