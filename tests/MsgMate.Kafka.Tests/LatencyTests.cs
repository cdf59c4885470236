using System.Diagnostics;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class LatencyTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "A job published to an idle lane arrives quickly (the mock holds empty fetches for FetchWaitMax)")]
    public async Task Idle_lane_latency()
    {
        // The production default (100 ms), not a test setting: with librdkafka's 500 ms every record waited ~360 ms.
        var queue = NewQueue(o => o.FetchWaitMax = TimeSpan.FromMilliseconds(100));
        var pipeline = Run(queue, QueueLane.Retry, parallelism: 1);
        await queue.PublishAsync([(QueueLane.Retry, new DeliveryJob("warm", 1, 1, 0, 0))]);
        await Eventually(() => pipeline.Received.Count == 1, TimeSpan.FromSeconds(15), () => "warm-up job not received");

        var latencies = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            // Let the lane go idle (its fetches now wait on the broker), then publish one job.
            var polls = pipeline.Control.Stats.Polls;
            await Eventually(() => pipeline.Control.Stats.Polls >= polls + 2, TimeSpan.FromSeconds(5), () => "no polls");
            var clock = Stopwatch.StartNew();
            await queue.PublishAsync([(QueueLane.Retry, new DeliveryJob($"l-{i}", 1, 1, 0, 0))]);
            var expected = i + 2;
            await Eventually(() => pipeline.Received.Count == expected, TimeSpan.FromSeconds(5), () => $"job {i} not received");
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        TestOutput.WriteLine($"publish → received: avg {latencies.Average():F0} ms, max {latencies.Max():F0} ms");
        Assert.True(latencies.Average() < 250, $"average {latencies.Average():F0} ms");
        await pipeline.DrainAsync();
    }
}
