using Akka.Actor;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class DrainAndShutdownTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "Drain-and-shutdown stops fetching, lets in-flight jobs finish, commits exactly what passed, then closes")]
    public async Task Drain_commits_what_passed_and_stops()
    {
        const int count = 400;
        var queue = NewQueue(o => o.MaxPollBatch = 20);
        var all = Jobs(QueueLane.Low, count, "d");
        await queue.PublishAsync(all);

        var first = Run(queue, QueueLane.Low, parallelism: 4, work: _ => Task.Delay(5));
        await Eventually(() => first.Received.Count >= 50, TimeSpan.FromSeconds(15), () => $"received {first.Received.Count}");
        await first.DrainAsync();

        Assert.True(first.Completion.IsCompletedSuccessfully);
        Assert.True(first.Control.IsShutdown.IsCompleted);
        var passed = first.Received.Count;
        Assert.InRange(passed, 50, count - 1);
        // Every job that passed was committed before the consumer closed, and nothing else was.
        Assert.Equal(passed, CommittedOffsets(queue.Options, QueueLane.Low).Sum(o => Math.Max(o, 0)));
        TestOutput.WriteLine($"drained after {passed} jobs: {first.Control.Stats}");

        // The next member starts exactly where the drained one stopped.
        var second = Run(queue, QueueLane.Low);
        await CommittedToEnd(queue.Options, QueueLane.Low, TimeSpan.FromSeconds(15));
        Assert.Equal(count - passed, second.Received.Count);
        Assert.True(all.Select(j => j.Job.MsgId).ToHashSet().SetEquals(first.Ids.Union(second.Ids)));
        await second.DrainAsync();
    }

    [Fact(DisplayName = "StopAsync completes the source while the consumer stays for commits; it closes after the stop timeout")]
    public async Task Stop_keeps_the_consumer_for_commits_then_closes()
    {
        var queue = NewQueue(o => o.StopTimeout = TimeSpan.FromMilliseconds(1500));
        await queue.PublishAsync(Jobs(QueueLane.High, 50, "s"));
        var pipeline = Run(queue, QueueLane.High);
        await Eventually(() => pipeline.Received.Count == 50, TimeSpan.FromSeconds(15), () => $"received {pipeline.Received.Count}");

        await pipeline.Control.StopAsync();
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(pipeline.Control.IsShutdown.IsCompleted, "the consumer waits StopTimeout for late commits");
        // The committer flushed on completion, through the consumer that is still there.
        Assert.Equal(50, CommittedOffsets(queue.Options, QueueLane.High).Sum(o => Math.Max(o, 0)));

        await pipeline.Control.IsShutdown.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually(() => queue.Consumers.Count == 0, TimeSpan.FromSeconds(5), () => $"{queue.Consumers.Count} consumers left");
    }

    [Fact(DisplayName = "Coordinated shutdown drains the consumers the queue created")]
    public async Task Coordinated_shutdown_drains_the_consumers()
    {
        const int count = 300;
        var queue = NewQueue(o => o.MaxPollBatch = 20);
        await queue.PublishAsync(Jobs(QueueLane.Retry, count, "cs"));
        var pipeline = Run(queue, QueueLane.Retry, parallelism: 2, work: _ => Task.Delay(5));
        queue.DrainOnShutdown(pipeline.Control, pipeline.Completion);
        await Eventually(() => pipeline.Received.Count >= 30, TimeSpan.FromSeconds(15), () => $"received {pipeline.Received.Count}");

        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);

        Assert.True(pipeline.Control.IsShutdown.IsCompleted);
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
        Assert.InRange(pipeline.Received.Count, 30, count - 1);
        Assert.Equal(pipeline.Received.Count, CommittedOffsets(queue.Options, QueueLane.Retry).Sum(o => Math.Max(o, 0)));
    }
}
