using System.Collections.Concurrent;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams.Dsl;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// The delivery queue on Kafka: one topic and one consumer group per lane (<see cref="KafkaQueueOptions.GroupIdFor"/>), shared by every node.
/// <code>
/// queue.Consume(lane)                              // committable source, one group member per materialization
///      .SelectAsync(parallelism, deliver)          // order kept per partition (see KafkaCommitter)
///      .Select(job => job.Offset)
///      .Via(queue.Committer(lane))
///      .ToMaterialized(Sink.Ignore&lt;Done&gt;(), Keep.Both)
/// </code>
/// The queue hooks itself to <see cref="CoordinatedShutdown"/>: in <c>service-stop</c> — after
/// <c>service-requests-done</c>, where the delivery streams drain their own lanes — every consumer it created that
/// is still open is drained (with the stream completion given to <see cref="DrainOnShutdown"/>) or else closed, and in
/// <c>before-actor-system-terminate</c> the producer flushes and closes. A drain in <c>service-requests-done</c> is
/// cut off by that phase's timeout (5 s by default): raise
/// <c>akka.coordinated-shutdown.phases.service-requests-done.timeout</c> to give in-flight deliveries time.
/// </summary>
public sealed class KafkaDeliveryQueue : IDeliveryQueue, IAsyncDisposable
{
    private readonly KafkaQueueOptions _options;
    private readonly ILoggingAdapter _log;
    private readonly Lazy<KafkaJobProducer> _producer;
    private readonly ConcurrentDictionary<KafkaQueueControl, Task?> _consumers = new();
    private int _disposed;

    public KafkaDeliveryQueue(ActorSystem system, KafkaQueueOptions options)
    {
        options.Validate();
        _options = options;
        _log = Logging.GetLogger(system, "MsgMate.Kafka");
        _producer = new Lazy<KafkaJobProducer>(() => new KafkaJobProducer(options, _log), LazyThreadSafetyMode.ExecutionAndPublication);
        KafkaConsumerActor.EnsureDispatcher(system, options.ConsumerDispatcher);

        var shutdown = CoordinatedShutdown.Get(system);
        // Not in service-requests-done: a stream draining its lane there must not have its consumer closed under it.
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "msgmate-kafka-drain-consumers", async () =>
        {
            await DrainConsumersAsync().ConfigureAwait(false);
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "msgmate-kafka-close-producer", () =>
        {
            CloseProducer();
            return Task.FromResult(Done.Instance);
        });
    }

    public KafkaQueueOptions Options => _options;

    /// <summary>The consumers materialized from this queue that have not shut down yet.</summary>
    public IReadOnlyCollection<KafkaQueueControl> Consumers => _consumers.Keys.ToList();

    /// <summary>Creates missing lane topics when <see cref="KafkaQueueOptions.CreateTopicsIfMissing"/> is set; call once at start.</summary>
    public Task EnsureTopicsAsync(CancellationToken ct = default) =>
        _options.CreateTopicsIfMissing ? KafkaTopics.EnsureAsync(_options, _log, ct) : Task.CompletedTask;

    /// <inheritdoc />
    /// <exception cref="KafkaPublishException">Some jobs were not acknowledged (the others are durable).</exception>
    public Task PublishAsync(IReadOnlyList<(QueueLane Lane, DeliveryJob Job)> jobs, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _producer.Value.PublishAsync(jobs, ct);
    }

    /// <inheritdoc />
    /// <remarks>The materialized value is a <see cref="KafkaQueueControl"/>.</remarks>
    public Source<CommittableJob, IQueueControl> Consume(QueueLane lane) =>
        Source.FromGraph(new KafkaSourceStage(_options, lane, Track));

    /// <inheritdoc cref="KafkaCommitter"/>
    public Flow<ICommittableOffset, Done, NotUsed> Committer(QueueLane lane) => KafkaCommitter.Create(lane, _options, _log);

    /// <summary>
    /// At coordinated shutdown, drain this consumer: stop fetching, wait for <paramref name="streamCompletion"/>
    /// (the materialized completion of the stream it feeds, commits included), then close it.
    /// </summary>
    public void DrainOnShutdown(IQueueControl control, Task streamCompletion)
    {
        if (control is not KafkaQueueControl kafka)
        {
            throw new ArgumentException("not a control of this queue", nameof(control));
        }
        if (!kafka.IsShutdown.IsCompleted)
        {
            _consumers[kafka] = streamCompletion;
        }
    }

    /// <summary>Drains or stops every consumer (see <see cref="DrainOnShutdown"/>), then flushes and closes the producer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await DrainConsumersAsync().ConfigureAwait(false);
        CloseProducer();
    }

    private void Track(KafkaQueueControl control)
    {
        _consumers[control] = null;
        control.IsShutdown.ContinueWith(_ => _consumers.TryRemove(control, out Task? _), TaskScheduler.Default);
    }

    private async Task DrainConsumersAsync()
    {
        var draining = _consumers.ToList().Select(async kv =>
        {
            var (control, completion) = (kv.Key, kv.Value);
            try
            {
                var drained = completion is null ? control.ShutdownAsync() : control.DrainAndShutdownAsync(completion);
                await drained.WaitAsync(_options.DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _log.Warning("Kafka consumer of lane {0} not drained within {1}; left behind", control.Lane, _options.DrainTimeout);
            }
            catch (Exception e)
            {
                _log.Warning("Kafka consumer of lane {0} ended with an error while draining: {1}", control.Lane, e.Message);
            }
        });
        await Task.WhenAll(draining).ConfigureAwait(false);
    }

    private void CloseProducer()
    {
        if (_producer.IsValueCreated)
        {
            try
            {
                _producer.Value.Dispose();
            }
            catch (Exception e)
            {
                _log.Warning("Kafka producer closed with an error: {0}", e.Message);
            }
        }
    }
}
