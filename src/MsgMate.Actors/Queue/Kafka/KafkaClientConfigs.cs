using Confluent.Kafka;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>The librdkafka configurations derived from <see cref="KafkaQueueOptions"/>; one place for every client.</summary>
internal static class KafkaClientConfigs
{
    private static int _clientCounter;

    public static ProducerConfig Producer(KafkaQueueOptions options)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"{options.ClientId}-producer-{Interlocked.Increment(ref _clientCounter)}",
            // Accepted means durable on all in-sync replicas, written once (DESIGN.md §3).
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = options.ProducerLinger.TotalMilliseconds,
            MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds,
            // Only the delivery result is needed, not the record echoed back.
            DeliveryReportFields = "status",
            // The msg id spreads records over partitions; murmur2 matches the Java clients' choice.
            Partitioner = Partitioner.Murmur2Random,
        };
        Apply(config, options);
        return config;
    }

    public static ConsumerConfig Consumer(KafkaQueueOptions options, QueueLane lane)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupIdFor(lane),
            ClientId = $"{options.ClientId}-{lane.ToString().ToLowerInvariant()}-{Interlocked.Increment(ref _clientCounter)}",
            // Offsets are committed explicitly, only after the record is final (DESIGN.md §3).
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Eager assignment revokes everything on each rebalance; the mock then rejects commits and thousands of
            // duplicates follow (DESIGN.md §6). Cooperative-sticky moves only the partitions that must move.
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = (int)options.HeartbeatInterval.TotalMilliseconds,
            FetchWaitMaxMs = (int)options.FetchWaitMax.TotalMilliseconds,
            EnablePartitionEof = false,
            AllowAutoCreateTopics = false,
        };
        Apply(config, options);
        return config;
    }

    public static AdminClientConfig Admin(KafkaQueueOptions options)
    {
        var config = new AdminClientConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"{options.ClientId}-admin-{Interlocked.Increment(ref _clientCounter)}",
        };
        Apply(config, options);
        return config;
    }

    private static void Apply(ClientConfig config, KafkaQueueOptions options)
    {
        foreach (var (key, value) in options.ClientProperties)
        {
            config.Set(key, value);
        }
    }
}
