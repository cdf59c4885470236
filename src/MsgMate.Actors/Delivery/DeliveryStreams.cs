using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using MsgMate.Actors.Queue;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// One stream per lane: source (claim / consume) → send with the lane's parallelism → record outcomes in
/// batches → commit in batches.
/// High, medium, low and retry each have their own source and parallelism (6/3/1/1 by default), so a flood
/// of low never occupies the consumers of high. On coordinated shutdown every lane is drained: fetching stops,
/// in-flight deliveries finish and are committed, then the consumers close.
/// </summary>
public sealed class DeliveryStreams : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public DeliveryStreams(IDeliveryQueue queue, Deliverer deliverer, DeliveryOptions options)
    {
        var materializer = Context.Materializer();
        var lanes = new (QueueLane Lane, int Parallelism)[]
        {
            (QueueLane.High, options.HighParallelism),
            (QueueLane.Medium, options.MediumParallelism),
            (QueueLane.Low, options.LowParallelism),
            (QueueLane.Retry, options.RetryParallelism),
        };
        var running = new List<(IQueueControl Control, Task Completion)>();
        foreach (var (lane, parallelism) in lanes.Where(l => l.Parallelism > 0))
        {
            var (control, completion) = queue.Consume(lane)
                .Named($"{lane}-source")
                // Ordered: offsets reach the committer in the order they were consumed.
                .SelectAsync(parallelism, deliverer.SendAsync)
                .Named($"{lane}-send")
                // A send slot is free as soon as its send is done; outcomes are written a batch at a time.
                .GroupedWithin(256, TimeSpan.FromMilliseconds(10))
                .SelectAsync(1, batch => deliverer.RecordAsync(batch.ToList()))
                .Named($"{lane}-record")
                .SelectMany(batch => batch.Select(a => a.Offset))
                .Via(queue.Committer(lane))
                .Named($"{lane}-commit")
                .ToMaterialized(Sink.Ignore<Done>(), Keep.Both)
                .Run(materializer);
            running.Add((control, completion));
            completion.ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    // The deliverer retries store failures itself; a failed lane is a bug worth a loud log.
                    Context.System.Log.Error(t.Exception, "Delivery lane {0} failed", lane);
                }
            }, TaskScheduler.Default);
            _log.Info("Delivery lane {0} running with parallelism {1}", lane, parallelism);
        }

        CoordinatedShutdown.Get(Context.System).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "drain-delivery-lanes", async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await Task.WhenAll(running.Select(r => r.Control.DrainAndShutdownAsync(r.Completion, timeout.Token)));
            return Done.Instance;
        });
    }

    public static Props PropsFor(IDeliveryQueue queue, Deliverer deliverer, DeliveryOptions options) =>
        Props.Create(() => new DeliveryStreams(queue, deliverer, options));
}
