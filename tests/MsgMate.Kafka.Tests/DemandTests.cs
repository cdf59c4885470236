using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class DemandTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "Polling follows demand: a stalled downstream never makes the consumer hold more than a bounded number of records")]
    public async Task A_slow_downstream_bounds_what_is_fetched()
    {
        const int count = 1000;
        const int batch = 20;
        var queue = NewQueue(o => o.MaxPollBatch = batch);
        await queue.PublishAsync(Jobs(QueueLane.High, count, "b"));

        var (control, probe) = queue.Consume(QueueLane.High)
            .ToMaterialized(this.SinkProbe<CommittableJob>(), Keep.Both)
            .Run(Materializer);
        var stats = ((KafkaQueueControl)control).Stats;

        probe.Request(5);
        var received = probe.ExpectNextN(5, TimeSpan.FromSeconds(15)).ToList();

        // The downstream now stalls. Let the consumer go through many idle polls (paused partitions, rebalance
        // callbacks served) and check that it fetched no more than its bound.
        var polls = stats.Polls;
        await Eventually(() => stats.Polls >= polls + 20, TimeSpan.FromSeconds(30), () => $"polls {stats.Polls}");
        TestOutput.WriteLine($"stalled: {stats}");
        Assert.InRange(stats.Fetched, 5, 5 + 2 * batch);
        Assert.InRange(stats.MaxHeld, 0, 2 * batch);
        Assert.Equal(3, stats.AssignedPartitions);

        // Demand comes back: fetching resumes from where it paused, nothing lost or repeated.
        probe.Request(count - 5);
        received.AddRange(probe.ExpectNextN(count - 5, TimeSpan.FromSeconds(60)));
        Assert.Equal(count, received.Select(r => r.Job.MsgId).Distinct().Count());
        Assert.InRange(stats.MaxHeld, 0, 2 * batch);
        TestOutput.WriteLine($"done: {stats}");

        await control.DrainAndShutdownAsync(Task.CompletedTask);
        probe.ExpectComplete();
    }
}
