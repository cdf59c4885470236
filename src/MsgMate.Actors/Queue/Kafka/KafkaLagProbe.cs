using Confluent.Kafka;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>The consumer lag of one lane as the brokers tell it: records in the lane's topic its group has not committed.</summary>
/// <param name="Partitions">Partitions of the topic; <paramref name="Uncommitted"/> of them have no committed offset yet
/// (a group that never committed there starts from the earliest record: every retained record counts).</param>
public sealed record LaneLag(QueueLane Lane, string Topic, string Group, long Lag, int Partitions, int Uncommitted);

/// <summary>
/// Measures each lane's consumer lag from the brokers: the topic's partitions (metadata), the lane group's committed
/// offsets (an offset fetch by a consumer of that group that never subscribes, so it never joins the group and never
/// causes a rebalance) and each partition's high watermark. Lag = high watermark − committed offset, summed over the
/// partitions; the whole cluster's view, whichever node asks. One per node (the admin route and the gauge share it):
/// its admin client and its four consumers are made at the first ask and kept, and one ask runs at a time. The
/// librdkafka calls block, so an ask runs on a pool thread, each call bounded by the timeout.
/// </summary>
public sealed class KafkaLagProbe(KafkaQueueOptions options) : IDisposable
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly Dictionary<QueueLane, IConsumer<Ignore, Ignore>> _consumers = [];
    private IAdminClient? _admin;

    public async Task<IReadOnlyList<LaneLag>> LagAsync(TimeSpan timeout, CancellationToken ct)
    {
        await _oneAtATime.WaitAsync(ct);
        try
        {
            return await Task.Run(() => Measure(timeout, ct), ct);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private IReadOnlyList<LaneLag> Measure(TimeSpan timeout, CancellationToken ct)
    {
        _admin ??= new AdminClientBuilder(KafkaClientConfigs.Admin(options)).Build();
        var lags = new List<LaneLag>();
        foreach (var (lane, topic) in options.LaneTopics())
        {
            ct.ThrowIfCancellationRequested();
            var metadata = _admin.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.Code != ErrorCode.NoError)
            {
                throw new KafkaException(metadata?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"topic {topic} is not available"));
            }
            var partitions = metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
            if (!_consumers.TryGetValue(lane, out var consumer))
            {
                _consumers[lane] = consumer = new ConsumerBuilder<Ignore, Ignore>(KafkaClientConfigs.Consumer(options, lane)).Build();
            }
            long lag = 0;
            var uncommitted = 0;
            foreach (var committed in consumer.Committed(partitions, timeout))
            {
                var marks = consumer.QueryWatermarkOffsets(committed.TopicPartition, timeout);
                uncommitted += committed.Offset.Value < 0 ? 1 : 0;
                lag += Math.Max(0, marks.High.Value - LagStart(committed.Offset, marks.Low));
            }
            lags.Add(new LaneLag(lane, topic, options.GroupIdFor(lane), lag, partitions.Count, uncommitted));
        }
        return lags;
    }

    /// <summary>
    /// Where the group's next read starts: its committed offset, or — none committed yet, or one older than what the
    /// topic still retains — the earliest retained record (the consumers' <c>auto.offset.reset</c> is earliest).
    /// </summary>
    public static long LagStart(Offset committed, Offset low) =>
        committed.Value < 0 ? low.Value : Math.Max(committed.Value, low.Value);

    public void Dispose()
    {
        foreach (var consumer in _consumers.Values)
        {
            consumer.Dispose();
        }
        _admin?.Dispose();
        _oneAtATime.Dispose();
    }
}
