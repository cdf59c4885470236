using System.Diagnostics;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class PublishConsumeTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "Jobs published to each lane come back from that lane with all their fields, and get committed")]
    public async Task Publish_then_consume_every_lane()
    {
        var queue = NewQueue();
        var lanes = new[] { QueueLane.High, QueueLane.Medium, QueueLane.Low, QueueLane.Retry };
        var sent = lanes.SelectMany(lane => Jobs(lane, 250)).ToList();

        await queue.PublishAsync(sent);

        var pipelines = lanes.ToDictionary(lane => lane, lane => Run(queue, lane));
        await Eventually(
            () => pipelines.Values.All(p => p.Received.Count >= 250),
            TimeSpan.FromSeconds(60),
            () => string.Join(", ", pipelines.Select(p => $"{p.Key}: {p.Value.Received.Count}")));

        foreach (var lane in lanes)
        {
            var expected = sent.Where(s => s.Lane == lane).Select(s => s.Job).OrderBy(j => j.MsgId).ToList();
            var got = pipelines[lane].Jobs.OrderBy(j => j.MsgId).ToList();
            Assert.Equal(expected, got);
            Assert.All(pipelines[lane].Received, r => Assert.Equal(lane, ((Actors.Queue.Kafka.KafkaCommittableOffset)r.Offset).Lane));
        }

        // Everything processed is committed once the committer has flushed: each lane's group is at the end.
        foreach (var lane in lanes)
        {
            await CommittedToEnd(queue.Options, lane, TimeSpan.FromSeconds(30));
        }

        await Task.WhenAll(pipelines.Values.Select(p => p.DrainAsync()));
        Assert.All(pipelines.Values, p => Assert.True(p.Control.IsShutdown.IsCompleted));
    }

    [Fact(DisplayName = "An empty publish completes at once; a publish the brokers never acknowledge fails instead of hanging")]
    public async Task Publish_edge_cases()
    {
        await NewQueue().PublishAsync([]);

        // A cluster of its own, taken down: records cannot be acknowledged within the delivery timeout.
        using var down = MsgMate.KafkaMock.KafkaMockCluster.Start(topics: [$"{Prefix}.x.low"], partitions: 1);
        var queue = NewQueue(o =>
        {
            o.BootstrapServers = down.BootstrapServers;
            o.LowTopic = $"{Prefix}.x.low";
            o.DeliveryTimeout = TimeSpan.FromSeconds(2);
        });
        down.SetBrokerDown();

        // Failing, not hanging: within a generous bound (a TimeoutException instead would fail the assertion), not
        // within some multiple of the delivery timeout that a busy machine may overrun.
        var error = await Assert.ThrowsAsync<Actors.Queue.Kafka.KafkaPublishException>(
            () => queue.PublishAsync(Jobs(QueueLane.Low, 3)).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(3, error.Failures.Count);
        Assert.Equal(Jobs(QueueLane.Low, 3).Select(j => j.Job.MsgId).Order(), error.Failures.Select(f => f.MsgId).Order());
    }

    [Fact(DisplayName = "Throughput: 20,000 jobs published and consumed with commits (numbers in the test output)")]
    public async Task Throughput()
    {
        const int count = 20_000;
        var queue = NewQueue(o =>
        {
            o.MaxPollBatch = 500;
            o.CommitBatchSize = 1000;
            // The production default: a consumer whose downstream is busy for a moment keeps its partitions running.
            o.PauseAfter = TimeSpan.FromSeconds(2);
        });
        var jobs = Jobs(QueueLane.High, count, "tp");

        // Warm-up: connection, metadata, idempotent producer id.
        await queue.PublishAsync(Jobs(QueueLane.Medium, 10, "warm"));

        var clock = Stopwatch.StartNew();
        await queue.PublishAsync(jobs);
        var publish = clock.Elapsed;

        // Consumption from the backlog, timed from the first record and, for the steady state, from the 5,000th
        // (librdkafka starts the partitions' fetchers one after the other after the group join).
        var pipeline = Run(queue, QueueLane.High, parallelism: 8);
        await Eventually(() => !pipeline.Received.IsEmpty, TimeSpan.FromSeconds(30), () => "nothing received");
        clock.Restart();
        var first = pipeline.Received.Count;
        await Eventually(() => pipeline.Received.Count >= 5000, TimeSpan.FromSeconds(60), () => $"received {pipeline.Received.Count}");
        var warm = clock.Elapsed;
        var atWarm = pipeline.Received.Count;
        await Eventually(() => pipeline.Received.Count >= count, TimeSpan.FromSeconds(120), () => $"received {pipeline.Received.Count}");
        var consume = clock.Elapsed;
        await CommittedToEnd(queue.Options, QueueLane.High, TimeSpan.FromSeconds(30));
        var committed = clock.Elapsed;
        await pipeline.DrainAsync();

        Assert.Equal(count, pipeline.Ids.Count);
        TestOutput.WriteLine($"publish: {count} jobs in {publish.TotalMilliseconds:F0} ms = {count / publish.TotalSeconds:F0}/s (acks=all, idempotent)");
        TestOutput.WriteLine($"consume: {count - first} jobs in {consume.TotalMilliseconds:F0} ms = {(count - first) / consume.TotalSeconds:F0}/s from the first record; " +
            $"steady state {(count - atWarm) / (consume - warm).TotalSeconds:F0}/s; all committed after {committed.TotalMilliseconds:F0} ms");
        TestOutput.WriteLine($"consumer: {pipeline.Control.Stats}");
    }
}
