using System.Diagnostics;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Confluent.Kafka;
using Error = Confluent.Kafka.Error;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// Owns one blocking Kafka consumer (one lane, one group member) and is the only code that touches it: polls,
/// commits, rebalance callbacks and close all run on this actor's thread (its own, by default), so the client
/// is never used concurrently.
/// <list type="bullet">
/// <item>Polling follows demand: the source asks for n records, the actor polls at most n. After
/// <see cref="KafkaQueueOptions.PauseAfter"/> without demand the assigned partitions are paused and the actor polls
/// every <see cref="KafkaQueueOptions.IdlePollInterval"/>, so rebalances are served and the member stays in the
/// group however slow the downstream is.</item>
/// <item>Each assignment of a partition gets an epoch; an offset read under another epoch (the partition was
/// revoked since) is never committed: the new owner redelivers the record instead.</item>
/// <item>Commits are <c>offset + 1</c> per partition, only increasing, only of assigned partitions. A failed
/// commit is kept and retried with the next one, before a revocation and at shutdown.</item>
/// </list>
/// </summary>
internal sealed class KafkaConsumerActor : ReceiveActor, IWithTimers
{
    /// <summary>A pinned dispatcher: every consumer actor gets a thread of its own, so a blocking poll or commit never holds up others.</summary>
    public const string DefaultDispatcherId = "msgmate.kafka.consumer-dispatcher";

    // --- protocol (local only: these never cross the wire) ------------------------------------------------

    /// <summary>Source → actor: the source can take <paramref name="Count"/> more records.</summary>
    public sealed record RequestMessages(int Count);

    /// <summary>
    /// Actor → source: records polled against earlier demand, in partition order. One that arrives after the source
    /// stopped is harmless (never committed, so redelivered): not logged as a dead letter.
    /// </summary>
    public sealed record Messages(IReadOnlyList<CommittableJob> Jobs) : IDeadLetterSuppression;

    /// <summary>Actor → source: drop what is buffered from these partitions (they belong to another member now).</summary>
    public sealed record PartitionsRevoked(IReadOnlyCollection<TopicPartition> Partitions) : IDeadLetterSuppression;

    /// <summary>Actor → source: the consumer failed for good; the source fails with the cause.</summary>
    public sealed record ConsumerFailed(Exception Cause);

    /// <summary>Source → actor: no more records (the source is completing); the consumer stays for commits.</summary>
    public sealed class StopFetching
    {
        public static readonly StopFetching Instance = new();

        private StopFetching()
        {
        }
    }

    /// <summary>Source → actor: the source has stopped; close after <see cref="KafkaQueueOptions.StopTimeout"/> unless told sooner.</summary>
    public sealed class SourceStopped
    {
        public static readonly SourceStopped Instance = new();

        private SourceStopped()
        {
        }
    }

    /// <summary>Committer → actor: commit these offsets (already reduced to the highest per partition); answered with <see cref="CommitReply"/>.</summary>
    public sealed record Commit(IReadOnlyList<KafkaCommittableOffset> Offsets);

    /// <param name="Committed">Partitions whose committed offset advanced.</param>
    /// <param name="Dropped">Offsets refused: their partition was revoked or reassigned since they were read.</param>
    /// <param name="Error">Why the commit failed (kept and retried with the next commit), or null.</param>
    public sealed record CommitReply(int Committed, int Dropped, string? Error);

    /// <summary>Control → actor: commit what is pending, close the consumer (bounded), stop; answered with <see cref="Done"/>.</summary>
    public sealed class Shutdown
    {
        public static readonly Shutdown Instance = new();

        private Shutdown()
        {
        }
    }

    /// <summary>Self-sent; one may still be queued when the actor stops (harmless, so not logged as a dead letter).</summary>
    private sealed class Poll : IDeadLetterSuppression
    {
        public static readonly Poll Instance = new();

        private Poll()
        {
        }
    }

    private sealed class IdleTick : IDeadLetterSuppression
    {
        public static readonly IdleTick Instance = new();

        private IdleTick()
        {
        }
    }

    private sealed class StopTimeoutElapsed
    {
        public static readonly StopTimeoutElapsed Instance = new();

        private StopTimeoutElapsed()
        {
        }
    }

    private sealed record ClientError(Error Error) : IDeadLetterSuppression;

    // --- state --------------------------------------------------------------------------------------------

    private readonly KafkaQueueOptions _options;
    private readonly QueueLane _lane;
    private readonly string _topic;
    private readonly IActorRef _source;
    private readonly KafkaConsumerStats _stats;
    private readonly TaskCompletionSource _shutdown;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Assigned partitions and the epoch of their current assignment.</summary>
    private readonly Dictionary<TopicPartition, long> _assigned = new();

    /// <summary>The next offset last committed per assigned partition: commits only move forward.</summary>
    private readonly Dictionary<TopicPartition, long> _committed = new();

    /// <summary>Commits that failed (rebalance in progress, broker away): retried with the next commit.</summary>
    private readonly Dictionary<TopicPartition, (long Next, long Epoch)> _uncommitted = new();

    /// <summary>Records polled while there was no demand (stragglers around a pause); handed out first.</summary>
    private readonly Queue<CommittableJob> _held = new();

    private IConsumer<string, byte[]>? _consumer;
    private long _epochCounter;
    private int _demand;
    private long _demandGoneAt = Stopwatch.GetTimestamp();
    private bool _pollScheduled;
    private bool _fetching = true;
    private bool _paused;
    private bool _assignmentChanged;
    private bool _sourceAlive = true;

    /// <summary>Set before Close(): rebalance callbacks that Close() triggers (maybe on another thread, maybe after we gave up) do nothing.</summary>
    private volatile bool _closing;

    public KafkaConsumerActor(KafkaQueueOptions options, QueueLane lane, IActorRef source, KafkaConsumerStats stats, TaskCompletionSource shutdown)
    {
        _options = options;
        _lane = lane;
        _topic = options.TopicFor(lane);
        _source = source;
        _stats = stats;
        _shutdown = shutdown;

        Receive<RequestMessages>(m => Guarded(() => OnRequest(m.Count)));
        Receive<Poll>(_ => Guarded(OnPoll));
        Receive<IdleTick>(_ => Guarded(OnIdleTick));
        Receive<Commit>(m => Guarded(() => OnCommit(m)));
        Receive<StopFetching>(_ => Guarded(OnStopFetching));
        Receive<SourceStopped>(_ => Guarded(OnSourceStopped));
        Receive<StopTimeoutElapsed>(_ => Guarded(() => ShutDown(null)));
        Receive<Shutdown>(_ => Guarded(() => ShutDown(Sender.IsNobody() || Sender.Equals(Context.System.DeadLetters) ? null : Sender)));
        Receive<ClientError>(m => Guarded(() => OnClientError(m.Error)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(KafkaQueueOptions options, QueueLane lane, IActorRef source, KafkaConsumerStats stats, TaskCompletionSource shutdown) =>
        Props.Create(() => new KafkaConsumerActor(options, lane, source, stats, shutdown)).WithDispatcher(options.ConsumerDispatcher);

    /// <summary>Makes <see cref="DefaultDispatcherId"/> known to the system unless the configuration defines it.</summary>
    public static void EnsureDispatcher(ActorSystem system, string dispatcherId)
    {
        if (dispatcherId == DefaultDispatcherId && !system.Settings.Config.HasPath(DefaultDispatcherId))
        {
            system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(
                $$"""
                {{DefaultDispatcherId}} {
                  type = PinnedDispatcher
                  executor = "thread-pool-executor"
                  throughput = 100
                }
                """));
        }
    }

    protected override void PreStart()
    {
        try
        {
            var self = Self;
            _consumer = new ConsumerBuilder<string, byte[]>(KafkaClientConfigs.Consumer(_options, _lane))
                .SetLogHandler((_, m) => KafkaLog.Write(_log, m))
                // Error callbacks come from librdkafka's threads: hand them to the actor.
                .SetErrorHandler((_, e) => self.Tell(new ClientError(e)))
                .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: false))
                .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: true))
                .Build();
            _consumer.Subscribe(_topic);
            Timers.StartPeriodicTimer(nameof(IdleTick), IdleTick.Instance, _options.IdlePollInterval);
            _log.Info("Kafka consumer {0} joined group {1} for {2}", _consumer.Name, _options.GroupIdFor(_lane), _topic);
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    protected override void PostStop()
    {
        CloseConsumer();
        if (_sourceAlive)
        {
            _source.Tell(new ConsumerFailed(new InvalidOperationException($"the Kafka consumer of {_topic} stopped")));
        }
        _shutdown.TrySetResult();
    }

    // --- fetching -----------------------------------------------------------------------------------------

    private void OnRequest(int count)
    {
        if (!_fetching || _consumer is null)
        {
            return;
        }
        _demand += count;
        DeliverHeld();
        SchedulePoll();
    }

    private void SchedulePoll()
    {
        if (_demand > 0 && !_pollScheduled)
        {
            _pollScheduled = true;
            Self.Tell(Poll.Instance);
        }
    }

    /// <summary>
    /// One round of the poll loop while there is demand: waits at most <see cref="KafkaQueueOptions.PollTimeout"/>
    /// for the first record, then takes what is ready. Other messages (commits) are served between rounds.
    /// </summary>
    private void OnPoll()
    {
        _pollScheduled = false;
        if (!_fetching || _consumer is null || _demand <= 0)
        {
            return;
        }
        if (_paused)
        {
            _consumer.Resume(_assigned.Keys);
            _paused = false;
        }

        var want = Math.Min(_demand, _options.MaxPollBatch);
        var batch = new List<CommittableJob>(Math.Min(want, 64));
        while (batch.Count < want)
        {
            var result = Consume(batch.Count == 0 ? _options.PollTimeout : TimeSpan.Zero);
            if (result is null)
            {
                break;
            }
            Accept(result, batch);
        }
        if (batch.Count > 0)
        {
            TakeDemand(batch.Count);
            _source.Tell(new Messages(batch));
        }
        SchedulePoll();
    }

    /// <summary>
    /// Without demand for <see cref="KafkaQueueOptions.PauseAfter"/>: pause the partitions (librdkafka then stops
    /// fetching and discards what it prefetched; it fetches again from the consumed position on resume) and poll
    /// without waiting, to serve rebalance callbacks and stay a live member of the group. A shorter lull is
    /// just not polled: pausing and resuming at every gap between two requests would stall the stream.
    /// </summary>
    private void OnIdleTick()
    {
        if (_consumer is null || (_fetching && _demand > 0))
        {
            return;
        }
        if (!_paused && _fetching && Stopwatch.GetElapsedTime(_demandGoneAt) < _options.PauseAfter)
        {
            return;
        }
        if (!_paused)
        {
            _consumer.Pause(_assigned.Keys);
            _paused = true;
        }
        var stragglers = new List<CommittableJob>();
        ConsumeResult<string, byte[]>? result;
        while (stragglers.Count < _options.MaxPollBatch && (result = Consume(TimeSpan.Zero)) is not null)
        {
            Accept(result, stragglers);
        }
        if (_assignmentChanged)
        {
            // Partitions assigned while paused start fetching: pause them too.
            _consumer.Pause(_assigned.Keys);
            _assignmentChanged = false;
        }
        foreach (var job in stragglers)
        {
            _held.Enqueue(job);
        }
    }

    private ConsumeResult<string, byte[]>? Consume(TimeSpan timeout)
    {
        _stats.OnPoll();
        try
        {
            return _consumer!.Consume(timeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            _log.Warning("Kafka consumer of {0}: {1}", _topic, e.Error.Reason);
            return null;
        }
    }

    private void Accept(ConsumeResult<string, byte[]> result, List<CommittableJob> into)
    {
        _stats.OnFetched();
        var tp = result.TopicPartition;
        if (!_assigned.TryGetValue(tp, out var epoch))
        {
            // Fetched before a revocation took effect: the new owner reads it.
            _stats.OnReleased(1);
            return;
        }
        DeliveryJob job;
        try
        {
            job = DeliveryJobCodec.Deserialize(result.Message.Value);
        }
        catch (FormatException e)
        {
            // Not ours to deliver and never will be: skip it (a later commit covers its offset).
            _stats.OnMalformed();
            _log.Error("Kafka {0}: record at {1} is not a delivery job, skipped: {2}", _topic, result.TopicPartitionOffset, e.Message);
            return;
        }
        into.Add(new CommittableJob(job, new KafkaCommittableOffset(_lane, tp.Topic, tp.Partition.Value, result.Offset.Value, Self, epoch, _shutdown.Task)));
    }

    private void DeliverHeld()
    {
        if (_held.Count == 0 || _demand <= 0)
        {
            return;
        }
        var batch = new List<CommittableJob>(Math.Min(_held.Count, _demand));
        while (_held.Count > 0 && batch.Count < _demand)
        {
            batch.Add(_held.Dequeue());
        }
        TakeDemand(batch.Count);
        _source.Tell(new Messages(batch));
    }

    private void TakeDemand(int delivered)
    {
        _demand -= delivered;
        if (_demand <= 0)
        {
            _demandGoneAt = Stopwatch.GetTimestamp();
        }
    }

    private void OnStopFetching()
    {
        _fetching = false;
        _demand = 0;
        ReleaseHeld();
    }

    private void OnSourceStopped()
    {
        OnStopFetching();
        _sourceAlive = false;
        // In-flight records may still commit through this consumer; after the grace it leaves the group.
        Timers.StartSingleTimer(nameof(StopTimeoutElapsed), StopTimeoutElapsed.Instance, _options.StopTimeout);
    }

    private void ReleaseHeld()
    {
        _stats.OnReleased(_held.Count);
        _held.Clear();
    }

    // --- rebalancing (called inside Consume/Close, on the thread that called it) ---------------------------

    private void OnAssigned(List<TopicPartition> partitions)
    {
        if (_closing)
        {
            return;
        }
        foreach (var tp in partitions)
        {
            _assigned[tp] = ++_epochCounter;
            _committed.Remove(tp);
            _uncommitted.Remove(tp);
        }
        _assignmentChanged = true;
        _stats.OnRebalance(_assigned.Count);
        _log.Info("Kafka {0}: assigned {1} (now {2})", _topic, Describe(partitions), Describe(_assigned.Keys));
    }

    private void OnRevoked(List<TopicPartition> partitions, bool lost)
    {
        if (_closing)
        {
            return;
        }
        if (!lost)
        {
            // Still ours until this callback returns: the last chance to commit what failed before.
            var pending = partitions.Where(_uncommitted.ContainsKey).ToList();
            if (pending.Count > 0)
            {
                TryCommit(pending.ToDictionary(tp => tp, tp => _uncommitted[tp].Next), out _);
            }
        }
        var gone = partitions.ToHashSet();
        foreach (var tp in gone)
        {
            _assigned.Remove(tp);
            _committed.Remove(tp);
            _uncommitted.Remove(tp);
        }
        if (_held.Count > 0)
        {
            var keep = _held.Where(j => !gone.Contains(TopicPartitionOf(j))).ToList();
            _stats.OnReleased(_held.Count - keep.Count);
            _held.Clear();
            foreach (var job in keep)
            {
                _held.Enqueue(job);
            }
        }
        if (_sourceAlive)
        {
            _source.Tell(new PartitionsRevoked(gone));
        }
        _stats.OnRebalance(_assigned.Count);
        _log.Info("Kafka {0}: {1} {2} (now {3})", _topic, lost ? "lost" : "revoked", Describe(partitions), Describe(_assigned.Keys));
    }

    // --- committing ---------------------------------------------------------------------------------------

    private void OnCommit(Commit commit)
    {
        if (_consumer is null || _closing)
        {
            _stats.OnOffsetsDropped(commit.Offsets.Count);
            Sender.Tell(new CommitReply(0, commit.Offsets.Count, "consumer closed"));
            return;
        }
        var dropped = 0;
        var next = new Dictionary<TopicPartition, long>();
        foreach (var offset in commit.Offsets)
        {
            var tp = new TopicPartition(offset.Topic, offset.Partition);
            if (!_assigned.TryGetValue(tp, out var epoch) || epoch != offset.AssignmentEpoch)
            {
                dropped++;
                continue;
            }
            Raise(next, tp, offset.Offset + 1);
        }
        foreach (var (tp, (pendingNext, epoch)) in _uncommitted)
        {
            if (_assigned.TryGetValue(tp, out var current) && current == epoch)
            {
                Raise(next, tp, pendingNext);
            }
        }
        _stats.OnOffsetsDropped(dropped);

        var committed = TryCommit(next, out var error);
        Sender.Tell(new CommitReply(committed, dropped, error));
    }

    /// <summary>Commits the given next-offsets that move forward; failures are kept in <see cref="_uncommitted"/>.</summary>
    private int TryCommit(Dictionary<TopicPartition, long> next, out string? error)
    {
        error = null;
        var offsets = next
            .Where(kv => !_committed.TryGetValue(kv.Key, out var done) || kv.Value > done)
            .Select(kv => new TopicPartitionOffset(kv.Key, kv.Value))
            .ToList();
        if (offsets.Count == 0)
        {
            return 0;
        }
        try
        {
            _consumer!.Commit(offsets);
            foreach (var o in offsets)
            {
                _committed[o.TopicPartition] = o.Offset.Value;
                _uncommitted.Remove(o.TopicPartition);
            }
            _stats.OnCommitted(offsets.Count);
            return offsets.Count;
        }
        catch (TopicPartitionOffsetException e)
        {
            var ok = 0;
            foreach (var r in e.Results)
            {
                if (r.Error.IsError)
                {
                    KeepUncommitted(r.TopicPartition, r.Offset.Value);
                    error ??= $"{r.TopicPartition}: {r.Error.Reason}";
                }
                else
                {
                    _committed[r.TopicPartition] = r.Offset.Value;
                    _uncommitted.Remove(r.TopicPartition);
                    ok++;
                }
            }
            _stats.OnCommitFailed();
            _log.Warning("Kafka {0}: commit partly failed, kept for retry: {1}", _topic, error);
            return ok;
        }
        catch (KafkaException e) when (!e.Error.IsFatal)
        {
            foreach (var o in offsets)
            {
                KeepUncommitted(o.TopicPartition, o.Offset.Value);
            }
            error = e.Error.Reason;
            _stats.OnCommitFailed();
            _log.Warning("Kafka {0}: commit failed, kept for retry: {1}", _topic, error);
            return 0;
        }
    }

    private void KeepUncommitted(TopicPartition tp, long next)
    {
        if (_assigned.TryGetValue(tp, out var epoch))
        {
            _uncommitted[tp] = (next, epoch);
        }
    }

    private static void Raise(Dictionary<TopicPartition, long> next, TopicPartition tp, long value)
    {
        if (!next.TryGetValue(tp, out var current) || value > current)
        {
            next[tp] = value;
        }
    }

    // --- lifecycle ----------------------------------------------------------------------------------------

    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            Fail(new KafkaException(error));
        }
        else
        {
            KafkaLog.Error(_log, _topic, error);
        }
    }

    private void ShutDown(IActorRef? replyTo)
    {
        _fetching = false;
        _demand = 0;
        ReleaseHeld();
        Timers.CancelAll();
        if (_consumer is not null && _uncommitted.Count > 0)
        {
            TryCommit(_uncommitted.ToDictionary(kv => kv.Key, kv => kv.Value.Next), out _);
        }
        CloseConsumer();
        replyTo?.Tell(Done.Instance);
        Context.Stop(Self);
    }

    /// <summary>
    /// Leaves the group (the cooperative revoke runs inside) within <see cref="KafkaQueueOptions.CloseTimeout"/>.
    /// Close() can hang on an unreachable cluster; then it is abandoned and the member times out of the group.
    /// </summary>
    private void CloseConsumer()
    {
        var consumer = _consumer;
        if (consumer is null)
        {
            return;
        }
        _consumer = null;
        _closing = true;
        var closing = Task.Run(() =>
        {
            try
            {
                consumer.Close();
            }
            finally
            {
                consumer.Dispose();
            }
        });
        try
        {
            if (!closing.Wait(_options.CloseTimeout))
            {
                _log.Warning("Kafka consumer of {0} did not close within {1}; abandoned", _topic, _options.CloseTimeout);
            }
            else
            {
                _log.Info("Kafka consumer of {0} closed ({1})", _topic, _stats);
            }
        }
        catch (AggregateException e)
        {
            _log.Warning("Kafka consumer of {0} closed with an error: {1}", _topic, e.InnerException?.Message);
        }
    }

    private void Fail(Exception cause)
    {
        _log.Error(cause, "Kafka consumer of {0} failed", _topic);
        if (_sourceAlive)
        {
            _source.Tell(new ConsumerFailed(cause));
            _sourceAlive = false;
        }
        CloseConsumer();
        Context.Stop(Self);
    }

    /// <summary>Nothing may escape a handler: a restart would silently build a second consumer.</summary>
    private void Guarded(Action handler)
    {
        try
        {
            handler();
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private static TopicPartition TopicPartitionOf(CommittableJob job)
    {
        var offset = (KafkaCommittableOffset)job.Offset;
        return new TopicPartition(offset.Topic, offset.Partition);
    }

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        "[" + string.Join(",", partitions.Select(p => p.Partition.Value).Order()) + "]";
}
