using System.Collections.Concurrent;
using System.Diagnostics;
using Akka;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using Xunit.Abstractions;
using Config = Akka.Configuration.Config;

namespace MsgMate.Kafka.Tests.Infrastructure;

/// <summary>Base of the Kafka specs: an ActorSystem (TestKit), the shared mock, per-test topics and group, helpers.</summary>
[Collection(KafkaCollection.Name)]
public abstract class KafkaSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly Config AkkaConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    private readonly List<KafkaDeliveryQueue> _queues = [];

    protected KafkaSpec(KafkaMockFixture kafka, ITestOutputHelper output, int partitions = 3)
        : base(AkkaConfig, "kafka-spec", output)
    {
        Kafka = kafka;
        TestOutput = output;
        Partitions = partitions;
        Prefix = kafka.NewPrefix(GetType().Name.Replace("Tests", "", StringComparison.Ordinal).ToLowerInvariant());
        kafka.CreateLaneTopics(Prefix, partitions);
        GroupId = $"{Prefix}-group";
        Materializer = Sys.Materializer();
    }

    protected KafkaMockFixture Kafka { get; }

    /// <summary>The test's output (numbers, consumer stats).</summary>
    protected ITestOutputHelper TestOutput { get; }

    protected int Partitions { get; }

    protected string Prefix { get; }

    protected string GroupId { get; }

    protected ActorMaterializer Materializer { get; }

    /// <summary>Options for this test's topics and group, with the timings shortened for tests.</summary>
    protected KafkaQueueOptions Options(Action<KafkaQueueOptions>? tweak = null)
    {
        var options = new KafkaQueueOptions
        {
            BootstrapServers = Kafka.BootstrapServers,
            HighTopic = $"{Prefix}.high",
            MediumTopic = $"{Prefix}.medium",
            LowTopic = $"{Prefix}.low",
            RetryTopic = $"{Prefix}.retry",
            GroupId = GroupId,
            ClientId = Prefix,
            // The mock lets every rebalance of a running group take session.timeout - 1 s (it does not end the
            // join phase early when all members are back); a shorter session keeps the tests quick.
            SessionTimeout = TimeSpan.FromSeconds(3),
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            IdlePollInterval = TimeSpan.FromMilliseconds(50),
            PauseAfter = TimeSpan.FromMilliseconds(300),
            PollTimeout = TimeSpan.FromMilliseconds(20),
            FetchWaitMax = TimeSpan.FromMilliseconds(50),
            MaxPollBatch = 100,
            CommitBatchSize = 100,
            CommitInterval = TimeSpan.FromMilliseconds(100),
            StopTimeout = TimeSpan.FromSeconds(5),
            CloseTimeout = TimeSpan.FromSeconds(5),
            CreateTopicsIfMissing = false,
        };
        tweak?.Invoke(options);
        return options;
    }

    protected KafkaDeliveryQueue NewQueue(Action<KafkaQueueOptions>? tweak = null)
    {
        var queue = new KafkaDeliveryQueue(Sys, Options(tweak));
        _queues.Add(queue);
        return queue;
    }

    protected static IReadOnlyList<(QueueLane Lane, DeliveryJob Job)> Jobs(QueueLane lane, int count, string tag = "m") =>
        Enumerable.Range(0, count)
            .Select(i => (lane, new DeliveryJob($"{tag}-{lane}-{i}", (int)lane, 1 + i % 5, i % 4, i % 3 == 0 ? 0 : 1_700_000_000_000 + i)))
            .ToList();

    /// <summary>
    /// Runs the shape the delivery pipeline uses: source → SelectAsync(parallelism, work) → offset → committer.
    /// Every element that passed <paramref name="work"/> is recorded in <see cref="Pipeline.Received"/>.
    /// </summary>
    protected Pipeline Run(KafkaDeliveryQueue queue, QueueLane lane, int parallelism = 4, Func<CommittableJob, Task>? work = null)
    {
        var received = new ConcurrentQueue<CommittableJob>();
        var (control, completion) = queue.Consume(lane)
            .SelectAsync(parallelism, async job =>
            {
                if (work is not null)
                {
                    await work(job);
                }
                received.Enqueue(job);
                return job.Offset;
            })
            .Via(queue.Committer(lane))
            .ToMaterialized(Sink.Ignore<Done>(), Keep.Both)
            .Run(Materializer);
        return new Pipeline((KafkaQueueControl)control, completion, received);
    }

    /// <summary>Polls <paramref name="condition"/> until true; fails with <paramref name="what"/> and the state after <paramref name="within"/>.</summary>
    protected static async Task Eventually(Func<bool> condition, TimeSpan within, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                throw new TimeoutException($"not within {within}: {what()}");
            }
            await Task.Delay(10);
        }
    }

    /// <summary>The lane group's committed offsets (next offset to read) per partition; -1 where none.</summary>
    protected long[] CommittedOffsets(KafkaQueueOptions options, QueueLane lane)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = options.GroupIdFor(lane),
            EnableAutoCommit = false,
        }).Build();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(options.TopicFor(lane), p));
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10))
            .OrderBy(o => o.Partition.Value)
            .Select(o => o.Offset.Value)
            .ToArray();
    }

    /// <summary>The end offsets (high watermarks) per partition of a lane's topic.</summary>
    protected long[] EndOffsets(KafkaQueueOptions options, QueueLane lane)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = "watermarks",
        }).Build();
        return Enumerable.Range(0, Partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(options.TopicFor(lane), p), TimeSpan.FromSeconds(10)).High.Value)
            .ToArray();
    }

    /// <summary>Waits until the lane's group has committed up to the end of every partition.</summary>
    protected async Task CommittedToEnd(KafkaQueueOptions options, QueueLane lane, TimeSpan within) =>
        await Eventually(
            () => CommittedOffsets(options, lane).SequenceEqual(EndOffsets(options, lane)),
            within,
            () => $"{lane}: committed [{string.Join(",", CommittedOffsets(options, lane))}] end [{string.Join(",", EndOffsets(options, lane))}]");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            await queue.DisposeAsync();
        }
    }

    protected sealed record Pipeline(KafkaQueueControl Control, Task Completion, ConcurrentQueue<CommittableJob> Received)
    {
        public IReadOnlyList<DeliveryJob> Jobs => Received.Select(r => r.Job).ToList();

        public HashSet<string> Ids => Received.Select(r => r.Job.MsgId).ToHashSet();

        public Task DrainAsync() => Control.DrainAndShutdownAsync(Completion);
    }
}
