using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams.Dsl;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// The batched committer: gathers offsets for <see cref="KafkaQueueOptions.CommitBatchSize"/> offsets or
/// <see cref="KafkaQueueOptions.CommitInterval"/>, whichever first, and commits the highest offset per partition
/// through the consumer that read it. Emits one <see cref="Done"/> per batch, after the commit has been answered.
/// </summary>
/// <remarks>
/// <para>
/// Committing the highest offset of a partition also commits every record before it. Offsets must therefore arrive
/// in the order the source emitted them, per partition: process with <c>SelectAsync(n, …)</c> (parallel, order
/// kept), not <c>SelectAsyncUnordered</c>, between the source and this flow — otherwise a crash can skip a record
/// that was still in flight behind a finished later one.
/// </para>
/// <para>
/// A commit that fails (rebalance in progress, broker away, consumer already closed) does not fail the stream: the
/// records stay uncommitted and are redelivered, which the delivery's "already sent" check absorbs. Only an offset
/// of another queue implementation is an error.
/// </para>
/// </remarks>
public static class KafkaCommitter
{
    public static Flow<ICommittableOffset, Done, NotUsed> Create(QueueLane lane, KafkaQueueOptions options, ILoggingAdapter? log = null) =>
        Flow.Create<ICommittableOffset>()
            .GroupedWithin(options.CommitBatchSize, options.CommitInterval)
            .SelectAsync(1, batch => CommitAsync(batch, options, log))
            .Named($"kafka-committer-{lane.ToString().ToLowerInvariant()}");

    private static async Task<Done> CommitAsync(IEnumerable<ICommittableOffset> batch, KafkaQueueOptions options, ILoggingAdapter? log)
    {
        // Highest offset per partition and consumer; an offset from a newer assignment of the partition wins.
        var byConsumer = new Dictionary<IActorRef, Dictionary<(string Topic, int Partition), KafkaCommittableOffset>>();
        foreach (var item in batch)
        {
            if (item is not KafkaCommittableOffset offset)
            {
                throw new ArgumentException($"not a Kafka offset: {item.GetType().Name}; each queue commits its own offsets");
            }
            if (offset.ConsumerShutdown.IsCompleted)
            {
                // Its consumer has left the group: the record is redelivered to the partition's new owner.
                continue;
            }
            if (!byConsumer.TryGetValue(offset.Consumer, out var partitions))
            {
                byConsumer[offset.Consumer] = partitions = new();
            }
            var key = (offset.Topic, offset.Partition);
            if (!partitions.TryGetValue(key, out var current)
                || offset.AssignmentEpoch > current.AssignmentEpoch
                || (offset.AssignmentEpoch == current.AssignmentEpoch && offset.Offset > current.Offset))
            {
                partitions[key] = offset;
            }
        }

        await Task.WhenAll(byConsumer.Select(async kv =>
        {
            var offsets = kv.Value.Values.ToList();
            var reply = kv.Key.Ask<KafkaConsumerActor.CommitReply>(new KafkaConsumerActor.Commit(offsets), options.CommitTimeout);
            // Ends early if the consumer stops meanwhile, instead of waiting out the timeout.
            await Task.WhenAny(reply, offsets[0].ConsumerShutdown).ConfigureAwait(false);
            if (reply.IsCompletedSuccessfully)
            {
                if (reply.Result.Error is { } error)
                {
                    log?.Warning("Kafka commit of {0} offset(s) not done yet ({1}); retried with the next one", offsets.Count, error);
                }
            }
            else if (reply.IsFaulted)
            {
                log?.Warning("Kafka commit of {0} offset(s) not answered ({1}); the records will be redelivered",
                    offsets.Count, reply.Exception?.GetBaseException().Message);
            }
            else
            {
                _ = reply.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
        })).ConfigureAwait(false);
        return Done.Instance;
    }
}
