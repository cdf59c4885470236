using Confluent.Kafka;
using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 1: what the broker and the plain client can do on this machine, as the ceiling of the node's pipeline.
/// Produce N records of ~100 B with the node's producer settings (acks=all, idempotence on, linger 5 ms), then
/// consume them all with a fresh group (manual commits every 500, as the node's committer does).
/// </summary>
public static class RawKafkaPhase
{
    public sealed record Result(double ProduceRate, double ConsumeRate)
    {
        /// <summary>The slower side: what a produce → consume pipe can carry.</summary>
        public double PipeRate => Math.Min(ProduceRate, ConsumeRate);
    }

    public static async Task<Result> RunAsync(BenchOptions options, KafkaMockCluster kafka, Report report)
    {
        const string phase = "1 raw Kafka";
        var n = options.RawMessagesOrDefault;
        var topic = $"bench-raw-{Guid.NewGuid():N}"[..20];
        var partitions = Math.Max(3, (int)Math.Ceiling(n * (options.RawSize + 40.0) * 1.25 / (5 * 1024 * 1024)));
        kafka.CreateTopic(topic, partitions);
        Console.WriteLine($"  {n:N0} records of {options.RawSize} B to {topic} ({partitions} partitions)");
        var self = new PhaseResources(null);

        // --- produce ---
        var config = new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            DeliveryReportFields = "status",
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var value = new byte[options.RawSize];
        Random.Shared.NextBytes(value);
        var message = new Message<Null, byte[]> { Value = value };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long acked = 0, failed = 0;
        var lastAck = 0.0;
        void OnReport(DeliveryReport<Null, byte[]> r)
        {
            if (r.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
            if (Interlocked.Increment(ref acked) == n)
            {
                lastAck = BenchClock.Now;
                done.TrySetResult();
            }
        }
        var started = BenchClock.Now;
        for (var i = 0; i < n; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, OnReport);
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    await Task.Delay(1);
                }
            }
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(120));
        var produceRate = n / (lastAck - started);
        report.Add(phase, "produce (acks=all, idempotent)", FormattableString.Invariant($"{produceRate:N0} msgs/s ({lastAck - started:0.00} s, {failed} failed)"));

        // --- consume ---
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = $"{topic}-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = 6000,
        };
        var (joined, first, last, count) = await Task.Factory.StartNew(() =>
        {
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(consumerConfig).Build();
            var subscribed = BenchClock.Now;
            // Every partition from the beginning, assigned rather than subscribed: no group rebalance can move them
            // mid-way (under load the mock's rebalances took whole partitions away for good).
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            double firstAt = 0, lastAt = 0;
            var received = 0;
            var deadline = BenchClock.Now + 60;
            while (received < n && BenchClock.Now < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null)
                {
                    continue;
                }
                if (received++ == 0)
                {
                    firstAt = BenchClock.Now;
                }
                if (received % 500 == 0 || received == n)
                {
                    try
                    {
                        consumer.Commit(result);
                    }
                    catch (KafkaException)
                    {
                        // A refused commit costs nothing here: this consumer reads every record once anyway.
                    }
                }
                lastAt = BenchClock.Now;
            }
            consumer.Close();
            return (firstAt - subscribed, firstAt, lastAt, received);
        }, TaskCreationOptions.LongRunning);
        var consumeRate = count / Math.Max(1e-3, last - first);
        report.Add(phase, "consume (+ commit every 500)",
            FormattableString.Invariant($"{consumeRate:N0} msgs/s ({count:N0} in {last - first:0.00} s, first record after {joined:0.0} s)") +
            (count < n ? $" INCOMPLETE: {n - count:N0} never arrived" : ""));
        self.Report(report, phase, null);
        return new Result(produceRate, consumeRate);
    }
}
