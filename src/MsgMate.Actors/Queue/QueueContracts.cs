using Akka;
using Akka.Streams.Dsl;

namespace MsgMate.Actors.Queue;

/// <summary>The four lanes of the delivery queue. Each has its own topic (Kafka) or claim query (SQL queue).</summary>
public enum QueueLane
{
    Low = 1,
    Medium = 2,
    High = 3,
    Retry = 4,
}

/// <summary>
/// What travels through the queue: the id of a stored record and what routing needs, never the content
/// (the record store is the source of truth; DESIGN.md §3).
/// </summary>
/// <param name="NotBeforeMs">Unix milliseconds before which the job must not be delivered (0 = now).</param>
public sealed record DeliveryJob(string MsgId, int Priority, int Channel, int Attempt, long NotBeforeMs);

/// <summary>A position in a lane that can be committed once the job is final or handed on.</summary>
public interface ICommittableOffset;

/// <summary>A job as consumed from a lane, with the offset to commit when it is done.</summary>
public sealed record CommittableJob(DeliveryJob Job, ICommittableOffset Offset);

/// <summary>Stops a running consumer: drain (finish in-flight, commit, then stop) or stop at once.</summary>
public interface IQueueControl
{
    /// <summary>Stops fetching; the stream completes once in-flight elements have passed.</summary>
    Task StopAsync();

    /// <summary>Stops fetching, waits for <paramref name="streamCompletion"/> (in-flight work and its commits), then closes the consumer.</summary>
    Task DrainAndShutdownAsync(Task streamCompletion, CancellationToken ct = default);

    /// <summary>Completes when the consumer has shut down.</summary>
    Task IsShutdown { get; }
}

/// <summary>
/// The delivery queue: one abstraction, two implementations (Kafka; the SQL-table queue of the embedded
/// default, the Go project's "mysql_as_mq").
/// </summary>
public interface IDeliveryQueue
{
    /// <summary>Publishes stored jobs to their lanes; completes when the queue has durably accepted all of them.</summary>
    Task PublishAsync(IReadOnlyList<(QueueLane Lane, DeliveryJob Job)> jobs, CancellationToken ct = default);

    /// <summary>A committable source of one lane; fetching follows demand.</summary>
    Source<CommittableJob, IQueueControl> Consume(QueueLane lane);

    /// <summary>Commits offsets in batches (commit only after the record is final or the job handed to the retry lane).</summary>
    Flow<ICommittableOffset, Done, NotUsed> Committer(QueueLane lane);
}
