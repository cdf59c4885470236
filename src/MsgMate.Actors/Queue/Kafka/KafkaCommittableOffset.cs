using Akka.Actor;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// The position of one consumed record. Committing it commits <c>Offset + 1</c> of its partition through the
/// consumer that read it, and only while that consumer still owns the partition in the same assignment: an offset
/// from before a rebalance is dropped (the record is then redelivered to the new owner, never skipped).
/// </summary>
public sealed class KafkaCommittableOffset : ICommittableOffset
{
    internal KafkaCommittableOffset(
        QueueLane lane, string topic, int partition, long offset, IActorRef consumer, long assignmentEpoch, Task consumerShutdown)
    {
        ConsumerShutdown = consumerShutdown;
        Lane = lane;
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Consumer = consumer;
        AssignmentEpoch = assignmentEpoch;
    }

    public QueueLane Lane { get; }

    public string Topic { get; }

    public int Partition { get; }

    /// <summary>The record's own offset (the commit stores the next one).</summary>
    public long Offset { get; }

    /// <summary>The actor owning the consumer that read the record; commits must go through it.</summary>
    internal IActorRef Consumer { get; }

    /// <summary>Which assignment of the partition to that consumer the record was read under.</summary>
    internal long AssignmentEpoch { get; }

    /// <summary>Completes when that consumer has closed: its offsets can no longer be committed.</summary>
    internal Task ConsumerShutdown { get; }

    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}

/// <summary>Counters of one consumer, for tests, metrics and diagnosis. Updated by the consumer actor and its source.</summary>
public sealed class KafkaConsumerStats
{
    private long _fetched;
    private long _emitted;
    private long _released;
    private long _commits;
    private long _offsetsCommitted;
    private long _offsetsDropped;
    private long _commitFailures;
    private long _rebalances;
    private long _maxHeld;
    private long _polls;
    private long _malformed;
    private int _assigned;

    /// <summary>Records returned by the Kafka client (polled out of librdkafka into our hands).</summary>
    public long Fetched => Interlocked.Read(ref _fetched);

    /// <summary>Records pushed downstream by the source.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>
    /// Records polled but not emitted: their partition was revoked first, or the source stopped. Nothing is lost:
    /// they were not committed, so the partition's next owner (or the next consumer) reads them again.
    /// </summary>
    public long Released => Interlocked.Read(ref _released);

    /// <summary>Records polled but not emitted: not a delivery job (logged, skipped).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Polled but neither emitted nor dropped: what the actor and the source hold at this moment.</summary>
    public long Held => Fetched - Emitted - Released - Malformed;

    /// <summary>The largest <see cref="Held"/> seen; bounded by <see cref="KafkaQueueOptions.MaxPollBatch"/> plus a few stragglers.</summary>
    public long MaxHeld => Interlocked.Read(ref _maxHeld);

    /// <summary>Successful commit requests to the broker.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Partition offsets committed (one per partition per commit).</summary>
    public long OffsetsCommitted => Interlocked.Read(ref _offsetsCommitted);

    /// <summary>Offsets refused because their partition had been revoked or reassigned since they were read.</summary>
    public long OffsetsDropped => Interlocked.Read(ref _offsetsDropped);

    public long CommitFailures => Interlocked.Read(ref _commitFailures);

    /// <summary>Assignment changes (assigned, revoked or lost) seen by this consumer.</summary>
    public long Rebalances => Interlocked.Read(ref _rebalances);

    /// <summary>Calls of the client's poll.</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>Partitions assigned now.</summary>
    public int AssignedPartitions => Volatile.Read(ref _assigned);

    internal void OnFetched()
    {
        Interlocked.Increment(ref _fetched);
        var held = Held;
        long max;
        while (held > (max = Interlocked.Read(ref _maxHeld)) && Interlocked.CompareExchange(ref _maxHeld, held, max) != max)
        {
        }
    }

    internal void OnEmitted() => Interlocked.Increment(ref _emitted);

    internal void OnReleased(int count) => Interlocked.Add(ref _released, count);

    internal void OnMalformed() => Interlocked.Increment(ref _malformed);

    internal void OnPoll() => Interlocked.Increment(ref _polls);

    internal void OnCommitted(int partitions)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _offsetsCommitted, partitions);
    }

    internal void OnOffsetsDropped(int count) => Interlocked.Add(ref _offsetsDropped, count);

    internal void OnCommitFailed() => Interlocked.Increment(ref _commitFailures);

    internal void OnRebalance(int assignedNow)
    {
        Interlocked.Increment(ref _rebalances);
        Volatile.Write(ref _assigned, assignedNow);
    }

    public override string ToString() =>
        $"fetched={Fetched} emitted={Emitted} held={Held} maxHeld={MaxHeld} released={Released} " +
        $"commits={Commits} offsetsCommitted={OffsetsCommitted} offsetsDropped={OffsetsDropped} commitFailures={CommitFailures} " +
        $"rebalances={Rebalances} assigned={AssignedPartitions} polls={Polls}";
}
