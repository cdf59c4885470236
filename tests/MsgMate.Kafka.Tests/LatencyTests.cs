using System.Diagnostics;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class LatencyTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    /// <summary>Generous: the mock broker and the consumer share a 2-core machine with everything else.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact(DisplayName = "An idle lane's consumer lets the broker hold an empty fetch at most FetchWaitMax (100 ms by default); jobs published to it arrive")]
    public async Task Idle_lane_latency()
    {
        // What decides the latency of a job published to an idle lane is how long the broker may hold the empty
        // fetch: librdkafka's fetch.wait.max.ms, 500 ms by default (every record waited ~360 ms). The queue asks
        // for its option's value, 100 ms by default. (How long it takes on this machine is only reported.)
        var defaults = new KafkaQueueOptions();
        Assert.Equal(TimeSpan.FromMilliseconds(100), defaults.FetchWaitMax);
        Assert.All(Enum.GetValues<QueueLane>(), lane => Assert.Equal(100, KafkaClientConfigs.Consumer(defaults, lane).FetchWaitMaxMs));

        var queue = NewQueue(o => o.FetchWaitMax = defaults.FetchWaitMax);
        Assert.Equal(100, KafkaClientConfigs.Consumer(queue.Options, QueueLane.Retry).FetchWaitMaxMs);
        var pipeline = Run(queue, QueueLane.Retry, parallelism: 1);
        await queue.PublishAsync([(QueueLane.Retry, new DeliveryJob("warm", 1, 1, 0, 0))]);
        await Eventually(() => pipeline.Received.Count == 1, Patience, () => "warm-up job not received");

        var latencies = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            // Let the lane go idle (its fetches now wait on the broker), then publish one job.
            var polls = pipeline.Control.Stats.Polls;
            await Eventually(() => pipeline.Control.Stats.Polls >= polls + 2, Patience, () => "no polls");
            var clock = Stopwatch.StartNew();
            await queue.PublishAsync([(QueueLane.Retry, new DeliveryJob($"l-{i}", 1, 1, 0, 0))]);
            var expected = i + 2;
            await Eventually(() => pipeline.Received.Count == expected, Patience, () => $"job {i} not received");
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        TestOutput.WriteLine($"publish → received: avg {latencies.Average():F0} ms, max {latencies.Max():F0} ms");
        Assert.Equal(["warm", .. Enumerable.Range(0, 10).Select(i => $"l-{i}")], pipeline.Jobs.Select(j => j.MsgId));
        await pipeline.DrainAsync();
    }
}
