using Akka.Event;
using Confluent.Kafka;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// Publishes delivery jobs: acks=all, idempotent, a short linger so that a batch of jobs travels in few requests.
/// Thread-safe; one per node is enough.
/// </summary>
public sealed class KafkaJobProducer : IDisposable
{
    private readonly KafkaQueueOptions _options;
    private readonly IProducer<string, byte[]> _producer;
    private readonly ILoggingAdapter? _log;
    private int _disposed;

    public KafkaJobProducer(KafkaQueueOptions options, ILoggingAdapter? log = null)
    {
        _options = options;
        _log = log;
        _producer = new ProducerBuilder<string, byte[]>(KafkaClientConfigs.Producer(options))
            .SetLogHandler((_, m) => KafkaLog.Write(_log, m))
            .SetErrorHandler((_, e) => KafkaLog.Error(_log, "producer", e))
            .Build();
    }

    /// <summary>
    /// Publishes every job to its lane's topic (key = msg id) and completes when all are acknowledged by the
    /// brokers. Fails with <see cref="KafkaPublishException"/> naming the jobs that were not acknowledged; the
    /// others are durable. Cancelling stops the wait only: records already handed to the client may still land.
    /// </summary>
    public async Task PublishAsync(IReadOnlyList<(QueueLane Lane, DeliveryJob Job)> jobs, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (jobs.Count == 0)
        {
            return;
        }

        var batch = new PublishBatch(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var (lane, job) = jobs[i];
            var message = new Message<string, byte[]> { Key = job.MsgId, Value = DeliveryJobCodec.Serialize(job) };
            var topic = _options.TopicFor(lane);
            while (true)
            {
                try
                {
                    _producer.Produce(topic, message, batch.ReportFor(job.MsgId));
                    break;
                }
                catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // The client's queue is full: wait for acknowledgements to free room, never drop.
                    await Task.Delay(5, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Not handed over at all (e.g. the record is too large): report it like a failed delivery.
                    batch.Fail(job.MsgId, e.Message);
                    break;
                }
            }
        }
        await batch.Completion.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Waits for records still in flight (shutdown).</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _producer.Dispose();
        }
    }

    /// <summary>Counts acknowledgements of one <see cref="PublishAsync"/> call; completes on the last one.</summary>
    private sealed class PublishBatch
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _pending;
        private List<(string MsgId, string Error)>? _failures;

        public PublishBatch(int count)
        {
            _pending = count;
        }

        public Task Completion => _done.Task;

        public Action<DeliveryReport<string, byte[]>> ReportFor(string msgId) => report =>
        {
            if (report.Error.IsError)
            {
                Fail(msgId, report.Error.Reason);
            }
            else
            {
                Arrived();
            }
        };

        public void Fail(string msgId, string error)
        {
            lock (_done)
            {
                (_failures ??= []).Add((msgId, error));
            }
            Arrived();
        }

        private void Arrived()
        {
            if (Interlocked.Decrement(ref _pending) != 0)
            {
                return;
            }
            List<(string, string)>? failures;
            lock (_done)
            {
                failures = _failures;
            }
            if (failures is null)
            {
                _done.TrySetResult();
            }
            else
            {
                _done.TrySetException(new KafkaPublishException(failures));
            }
        }
    }
}

/// <summary>Some jobs of a publish were not acknowledged; they stay unqueued in the record store for the relay.</summary>
public sealed class KafkaPublishException(IReadOnlyList<(string MsgId, string Error)> failures)
    : Exception($"{failures.Count} job(s) not acknowledged by Kafka, first: {failures[0].MsgId}: {failures[0].Error}")
{
    public IReadOnlyList<(string MsgId, string Error)> Failures { get; } = failures;
}
