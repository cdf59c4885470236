using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using MsgMate.Actors.Common;
using MsgMate.Actors.Queue;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// One stream per lane: source (claim / consume) → load the records in batches → send with the lane's
/// parallelism → record outcomes in batches → commit in batches. The parallelism bounds the lane's messages
/// between the start of their send and their durable outcome, so a crash sends at most that many of them again.
/// High, medium, low and retry each have their own source and parallelism (64/32/16/8 by default), so a flood
/// of low never occupies the consumers of high. On coordinated shutdown every lane is drained: fetching stops,
/// in-flight deliveries finish and are committed, then the consumers close.
/// </summary>
public sealed class DeliveryStreams : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public DeliveryStreams(IDeliveryQueue queue, Deliverer deliverer, DeliveryOptions options)
    {
        var materializer = Context.Materializer();
        var log = _log;
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
            // A slot is taken before a send and given back once its outcome is durable: at most `parallelism` of
            // the lane's messages are ever sent but not yet recorded, which bounds what a crash can send twice.
            var slots = new SemaphoreSlim(parallelism, parallelism);
            var (control, completion) = queue.Consume(lane)
                .Named($"{lane}-source")
                // The records of whatever arrived while the previous batch was loading, in one query.
                .Via(WhileBusy<CommittableJob>(64))
                .SelectAsync(1, deliverer.LoadAsync)
                .Named($"{lane}-load")
                .SelectMany(loaded => loaded)
                // Ordered: offsets reach the committer in the order they were consumed.
                .SelectAsync(parallelism, async loaded =>
                {
                    await slots.WaitAsync();
                    try
                    {
                        return await deliverer.SendAsync(loaded);
                    }
                    catch
                    {
                        slots.Release();
                        throw;
                    }
                })
                .Named($"{lane}-send")
                // Group commit without a timer: whatever finished while the previous batch was being written.
                .Via(WhileBusy<Deliverer.Attempted>(256))
                .SelectAsync(1, async batch =>
                {
                    try
                    {
                        return await deliverer.RecordAsync(batch);
                    }
                    finally
                    {
                        slots.Release(batch.Count);
                    }
                })
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
                    // Not Context: this runs on a pool thread, outside the actor.
                    log.Error("Delivery lane {0} failed: {1}", lane, PersonalData.Describe(t.Exception!));
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

    /// <summary>Whatever arrived while the next stage was busy, up to <paramref name="max"/>, as one list (no timer).</summary>
    private static Flow<T, List<T>, NotUsed> WhileBusy<T>(int max) =>
        Flow.Create<T>().Batch(max, first => new List<T> { first }, (batch, next) =>
        {
            batch.Add(next);
            return batch;
        });

    public static Props PropsFor(IDeliveryQueue queue, Deliverer deliverer, DeliveryOptions options) =>
        Props.Create(() => new DeliveryStreams(queue, deliverer, options));
}
