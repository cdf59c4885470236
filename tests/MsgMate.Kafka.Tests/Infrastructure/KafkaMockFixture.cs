using MsgMate.KafkaMock;

namespace MsgMate.Kafka.Tests.Infrastructure;

/// <summary>
/// One librdkafka mock cluster (real Kafka protocol on loopback) for the whole test run, hosted in-process.
/// Every test makes its own topics and group ids, so tests never see each other's records.
/// </summary>
public sealed class KafkaMockFixture : IDisposable
{
    private int _counter;

    public KafkaMockFixture()
    {
        // A short initial rebalance delay: a new group's first assignment comes quickly, yet members started
        // together still join one generation.
        Cluster = KafkaMockCluster.Start(brokers: 1, initialRebalanceDelay: TimeSpan.FromMilliseconds(200));
    }

    public KafkaMockCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    /// <summary>A fresh topic name prefix; <see cref="CreateLaneTopics"/> makes the four lanes under it.</summary>
    public string NewPrefix(string test) => $"t{Interlocked.Increment(ref _counter)}-{test}-{Guid.NewGuid().ToString("N")[..6]}";

    public void CreateLaneTopics(string prefix, int partitions)
    {
        foreach (var lane in new[] { "high", "medium", "low", "retry" })
        {
            Cluster.CreateTopic($"{prefix}.{lane}", partitions);
        }
    }

    public void Dispose() => Cluster.Dispose();
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaMockFixture>
{
    /// <summary>One collection: the tests share the mock and run one after another (two cores, timing-sensitive).</summary>
    public const string Name = "kafka-mock";
}
