using System.Data.Common;
using Akka;
using Akka.Event;
using Akka.Util;
using Akka.Streams;
using Akka.Streams.Dsl;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Queue.Sql;

/// <summary>
/// The SQL-table queue of the embedded default (the Go project's "mysql_as_mq"): the records table is the queue.
/// Consumers claim due records of their lane with a lease; a crashed consumer's lease runs out and its records
/// come back, at once when the claimant is known dead (<see cref="LeaseReleaser"/>). "Committing" is the record's status write itself, so the committer only passes elements on.
/// </summary>
public sealed class SqlDeliveryQueue(RecordStore records, DeliveryOptions options, TimeProvider clock, Akka.Actor.ActorSystem system)
    : IDeliveryQueue, IDeliverySignal
{
    // Claims name this member's incarnation, so that its leases can be given back when it is known dead (LeaseReleaser).
    private readonly Lazy<ILoggingAdapter> _log = new(() => Logging.GetLogger(system, nameof(SqlDeliveryQueue)));

    private readonly Lazy<string> _claimant = new(() => LeaseOwners.Of(Akka.Cluster.Cluster.Get(system).SelfUniqueAddress));

    /// <summary>Nothing was handed over in the SQL queue: there is nothing to commit.</summary>
    private sealed class Claimed : ICommittableOffset
    {
        public static readonly Claimed Instance = new();
    }

    private readonly Dictionary<QueueLane, SemaphoreSlim> _wakeUps =
        Enum.GetValues<QueueLane>().ToDictionary(l => l, _ => new SemaphoreSlim(0, 1));

    public Task PublishAsync(IReadOnlyList<(QueueLane Lane, DeliveryJob Job)> jobs, CancellationToken ct = default)
    {
        // The records are the queue: stored is published.
        foreach (var lane in jobs.Select(j => j.Lane).Distinct())
        {
            Wake(lane);
        }
        return Task.CompletedTask;
    }

    public void RecordsStored(long dueAtMs)
    {
        if (dueAtMs == 0)
        {
            Wake(QueueLane.High);
            Wake(QueueLane.Medium);
            Wake(QueueLane.Low);
        }
    }

    public Source<CommittableJob, IQueueControl> Consume(QueueLane lane)
    {
        var batch = ClaimSize(lane);
        return Source.UnfoldAsync(0, async _ =>
            {
                // Called on demand only: a lane claims no more than its consumers are ready for.
                var failures = 0;
                while (true)
                {
                    IReadOnlyList<DeliveryJob> jobs;
                    try
                    {
                        jobs = await records.ClaimAsync(lane, clock.GetUtcNow().ToUnixTimeMilliseconds(), batch, options.Lease, _claimant.Value);
                    }
                    catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
                    {
                        // A deadlock victim, a lost connection, a database restarting: the lane waits and claims again.
                        // Failing the stream instead stopped the lane for good (a MariaDB deadlock did, in a test run).
                        var wait = ClaimBackoff(++failures, options.PollInterval);
                        _log.Value.Warning("Lane {0}: claim failed ({1}), claiming again in {2} ms", lane, PersonalData.Describe(ex), wait.TotalMilliseconds);
                        await Task.Delay(wait);
                        continue;
                    }
                    failures = 0;
                    if (jobs.Count > 0)
                    {
                        return Option<(int, IReadOnlyList<DeliveryJob>)>.Create((0, jobs));
                    }
                    await _wakeUps[lane].WaitAsync(options.PollInterval);
                }
            })
            .Named($"claim-{lane}")
            .SelectMany(jobs => jobs)
            .Select(job => new CommittableJob(job, Claimed.Instance))
            .ViaMaterialized(KillSwitches.Single<CommittableJob>(), Keep.Right)
            .MapMaterializedValue(IQueueControl (killSwitch) => new Control(killSwitch));
    }

    public Flow<ICommittableOffset, Done, NotUsed> Committer(QueueLane lane) =>
        Flow.Create<ICommittableOffset>().Select(_ => Done.Instance);

    /// <summary>After the n-th claim failure in a row: the poll interval, doubling, at most 5 s.</summary>
    public static TimeSpan ClaimBackoff(int failures, TimeSpan pollInterval) =>
        TimeSpan.FromMilliseconds(Math.Min(5_000, pollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16))));

    private int ClaimSize(QueueLane lane) => lane switch
    {
        QueueLane.High => options.HighParallelism,
        QueueLane.Medium => options.MediumParallelism,
        QueueLane.Low => options.LowParallelism,
        _ => options.RetryParallelism,
    } * 2;

    private void Wake(QueueLane lane)
    {
        var wakeUp = _wakeUps[lane];
        if (wakeUp.CurrentCount == 0)
        {
            try
            {
                wakeUp.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke it first: one wake-up is enough.
            }
        }
    }

    private sealed class Control(UniqueKillSwitch killSwitch) : IQueueControl
    {
        private readonly TaskCompletionSource _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task IsShutdown => _shutdown.Task;

        public Task StopAsync()
        {
            killSwitch.Shutdown();
            return Task.CompletedTask;
        }

        public async Task DrainAndShutdownAsync(Task streamCompletion, CancellationToken ct = default)
        {
            killSwitch.Shutdown();
            try
            {
                await streamCompletion.WaitAsync(ct);
            }
            finally
            {
                _shutdown.TrySetResult();
            }
        }
    }
}
