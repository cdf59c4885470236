using System.Runtime.InteropServices;
using System.Text;

namespace MsgMate.KafkaMock;

/// <summary>
/// librdkafka's mock Kafka cluster: real Kafka protocol on loopback TCP, hosted in this process. Any client
/// (this process or another) connects to <see cref="BootstrapServers"/>. It is a test broker: retention is small
/// (about 5 MiB per partition), nothing persists, and topic admin requests answer "not supported" — create topics
/// here (DESIGN.md §6).
/// </summary>
/// <example>
/// <code>
/// using var mock = KafkaMockCluster.Start(topics: ["msgmate.high"], partitions: 3);
/// var config = new ConsumerConfig { BootstrapServers = mock.BootstrapServers, ... };
/// </code>
/// </example>
public sealed class KafkaMockCluster : IDisposable
{
    private readonly object _gate = new();
    private IntPtr _owner;
    private IntPtr _cluster;

    private KafkaMockCluster(IntPtr owner, IntPtr cluster, string bootstrapServers)
    {
        _owner = owner;
        _cluster = cluster;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Comma-separated <c>host:port</c> list of the mock brokers (127.0.0.1, random ports).</summary>
    public string BootstrapServers { get; }

    /// <summary>The librdkafka file the mock runs in (the one Confluent.Kafka loaded).</summary>
    public static string NativeLibraryPath
    {
        get
        {
            NativeLibrdkafka.EnsureLoaded();
            return NativeLibrdkafka.LoadedPath;
        }
    }

    /// <summary>
    /// Starts a mock cluster of <paramref name="brokers"/> brokers and creates <paramref name="topics"/>.
    /// </summary>
    /// <param name="initialRebalanceDelay">
    /// The brokers' <c>group.initial.rebalance.delay.ms</c>: how long a new, empty group waits for more members
    /// before its first assignment (Kafka's default is 3 s; tests want it short).
    /// </param>
    public static KafkaMockCluster Start(
        int brokers = 1,
        IEnumerable<string>? topics = null,
        int partitions = 3,
        TimeSpan? initialRebalanceDelay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        NativeLibrdkafka.EnsureLoaded();

        var errstr = new byte[512];
        var conf = NativeLibrdkafka.rd_kafka_conf_new();
        // The handle only hosts the mock cluster's thread; keep it quiet and away from any real broker.
        SetOrThrow(conf, "client.id", "msgmate-kafka-mock");
        SetOrThrow(conf, "log_level", "3");
        var owner = NativeLibrdkafka.rd_kafka_new(NativeLibrdkafka.RdKafkaProducer, conf, errstr, (nuint)errstr.Length);
        if (owner == IntPtr.Zero)
        {
            // rd_kafka_new only takes ownership of conf on success.
            NativeLibrdkafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(errstr));
        }

        var cluster = NativeLibrdkafka.rd_kafka_mock_cluster_new(owner, brokers);
        if (cluster == IntPtr.Zero)
        {
            NativeLibrdkafka.rd_kafka_destroy(owner);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        // Without a controller some admin-ish metadata answers say "no controller"; broker ids start at 1.
        NativeLibrdkafka.rd_kafka_mock_set_controller_id(cluster, 1);
        NativeLibrdkafka.rd_kafka_mock_group_initial_rebalance_delay_ms(
            cluster, (int)(initialRebalanceDelay ?? TimeSpan.FromMilliseconds(300)).TotalMilliseconds);

        var bootstraps = Marshal.PtrToStringUTF8(NativeLibrdkafka.rd_kafka_mock_cluster_bootstraps(cluster)) ?? "";
        var mock = new KafkaMockCluster(owner, cluster, bootstraps);
        foreach (var topic in topics ?? [])
        {
            mock.CreateTopic(topic, partitions);
        }
        return mock;
    }

    /// <summary>Creates a topic (replication factor 1). Creating an existing topic is an error of the mock.</summary>
    public void CreateTopic(string topic, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            var err = NativeLibrdkafka.rd_kafka_mock_topic_create(_cluster, topic, partitions, 1);
            if (err != 0)
            {
                throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}): {NativeLibrdkafka.ErrorText(err)}");
            }
        }
    }

    /// <summary>Takes a broker down (connections closed, no answers) until <see cref="SetBrokerUp"/>.</summary>
    public void SetBrokerDown(int brokerId = 1)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            NativeLibrdkafka.rd_kafka_mock_broker_set_down(_cluster, brokerId);
        }
    }

    /// <summary>Brings a broker taken down by <see cref="SetBrokerDown"/> back.</summary>
    public void SetBrokerUp(int brokerId = 1)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            NativeLibrdkafka.rd_kafka_mock_broker_set_up(_cluster, brokerId);
        }
    }

    /// <summary>Stops the brokers (clients see their connections drop) and frees the native handles.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                NativeLibrdkafka.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }
            if (_owner != IntPtr.Zero)
            {
                NativeLibrdkafka.rd_kafka_destroy(_owner);
                _owner = IntPtr.Zero;
            }
        }
    }

    private static void SetOrThrow(IntPtr conf, string name, string value)
    {
        var errstr = new byte[512];
        if (NativeLibrdkafka.rd_kafka_conf_set(conf, name, value, errstr, (nuint)errstr.Length) != 0)
        {
            throw new InvalidOperationException($"rd_kafka_conf_set({name}): {Text(errstr)}");
        }
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
}
