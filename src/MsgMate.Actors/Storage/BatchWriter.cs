using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace MsgMate.Actors.Storage;

/// <summary>
/// Group commit: concurrent callers hand in their items, and one writer stores many callers' items in one
/// transaction. A caller's task completes once its items are durable (or fails with the batch). The queue in
/// front is bounded: when the database falls behind, callers wait instead of piling up in memory.
/// </summary>
public sealed class BatchWriter<T>
{
    private sealed record Pending(IReadOnlyList<T> Items, TaskCompletionSource Done);

    private readonly ISourceQueueWithComplete<Pending> _queue;

    // Source.Queue refuses an offer while another waits on a full buffer: callers queue here instead.
    private readonly SemaphoreSlim _slots;

    /// <param name="write">Stores one batch in one transaction.</param>
    /// <param name="maxItems">Upper bound of items per transaction (a single larger request still goes in whole).</param>
    /// <param name="weightOf">How many items one counts for against <paramref name="maxItems"/> (1 each by default).</param>
    public BatchWriter(
        ActorSystem system, string name, Func<IReadOnlyList<T>, Task> write, int maxItems, int queueSize = 1024, Func<T, int>? weightOf = null)
    {
        _slots = new SemaphoreSlim(queueSize, queueSize);
        _queue = Source.Queue<Pending>(queueSize, OverflowStrategy.Backpressure)
            .Named($"{name}-requests")
            .BatchWeighted(
                maxItems,
                p => Math.Max(1, weightOf is null ? p.Items.Count : p.Items.Sum(weightOf)),
                p => new List<Pending> { p },
                (batch, p) =>
                {
                    batch.Add(p);
                    return batch;
                })
            .Named($"{name}-group")
            .SelectAsync(1, async batch =>
            {
                try
                {
                    await write(batch.Count == 1 ? batch[0].Items : batch.SelectMany(p => p.Items).ToList());
                    foreach (var p in batch)
                    {
                        p.Done.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    foreach (var p in batch)
                    {
                        p.Done.TrySetException(ex);
                    }
                }
                return NotUsed.Instance;
            })
            .Named($"{name}-write")
            .To(Sink.Ignore<NotUsed>())
            .Run(system.Materializer());
    }

    /// <summary>Completes when <paramref name="items"/> are stored.</summary>
    public async Task WriteAsync(IReadOnlyList<T> items)
    {
        var pending = new Pending(items, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _slots.WaitAsync();
        try
        {
            var offered = await _queue.OfferAsync(pending);
            if (offered is not QueueOfferResult.Enqueued)
            {
                throw new InvalidOperationException($"the write queue refused the batch ({offered.GetType().Name})");
            }
            await pending.Done.Task;
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Complete() => _queue.Complete();
}
