using Akka.Actor;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class DrainAndShutdownTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Work that lets the first <paramref name="free"/> jobs through and holds every later one until
    /// <see cref="Open"/>: a stop then always comes while jobs are left, however fast the machine is.
    /// </summary>
    private sealed class Gate(int free)
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public async Task Work(CommittableJob job)
        {
            if (Interlocked.Increment(ref _started) > free)
            {
                await _open.Task;
            }
            // Asynchronous like a real send, without a fixed pause: the gate above decides what is left at the stop.
            await Task.Yield();
        }

        public void Open() => _open.TrySetResult();
    }

    [Fact(DisplayName = "Drain-and-shutdown stops fetching, lets in-flight jobs finish, commits exactly what passed, then closes")]
    public async Task Drain_commits_what_passed_and_stops()
    {
        const int count = 400;
        var queue = NewQueue(o => o.MaxPollBatch = 20);
        var all = Jobs(QueueLane.Low, count, "d");
        await queue.PublishAsync(all);

        var gate = new Gate(free: 50);
        var first = Run(queue, QueueLane.Low, parallelism: 4, work: gate.Work);
        await Eventually(() => first.Received.Count >= 50, Patience, () => $"received {first.Received.Count}");
        // The drain stops the source first; only then may the held jobs finish (they are in flight, not new fetches).
        var drained = first.DrainAsync();
        await first.Control.SourceStopped.WaitAsync(Patience);
        gate.Open();
        await drained.WaitAsync(Patience);

        Assert.True(first.Completion.IsCompletedSuccessfully);
        Assert.True(first.Control.IsShutdown.IsCompleted);
        var passed = first.Received.Count;
        Assert.InRange(passed, 50, count - 1);
        // Every job that passed was committed before the consumer closed, and nothing else was.
        Assert.Equal(passed, CommittedOffsets(queue.Options, QueueLane.Low).Sum(o => Math.Max(o, 0)));
        TestOutput.WriteLine($"drained after {passed} jobs: {first.Control.Stats}");

        // The next member starts exactly where the drained one stopped.
        var second = Run(queue, QueueLane.Low);
        await CommittedToEnd(queue.Options, QueueLane.Low, Patience);
        Assert.Equal(count - passed, second.Received.Count);
        Assert.True(all.Select(j => j.Job.MsgId).ToHashSet().SetEquals(first.Ids.Union(second.Ids)));
        await second.DrainAsync();
    }

    [Fact(DisplayName = "StopAsync completes the source while the consumer stays for commits; it closes after the stop timeout")]
    public async Task Stop_keeps_the_consumer_for_commits_then_closes()
    {
        // Long enough that the committer's flush on completion comes well within it on a busy machine.
        var stopTimeout = TimeSpan.FromSeconds(5);
        var queue = NewQueue(o => o.StopTimeout = stopTimeout);
        await queue.PublishAsync(Jobs(QueueLane.High, 50, "s"));
        var pipeline = Run(queue, QueueLane.High);
        await Eventually(() => pipeline.Received.Count == 50, Patience, () => $"received {pipeline.Received.Count}");

        var sinceStop = System.Diagnostics.Stopwatch.StartNew();
        await pipeline.Control.StopAsync();
        await pipeline.Completion.WaitAsync(Patience);
        // The committer flushed on completion, through the consumer that is still there.
        Assert.Equal(50, CommittedOffsets(queue.Options, QueueLane.High).Sum(o => Math.Max(o, 0)));

        // It waited the stop timeout for late commits, then closed by itself: not sooner (a slow machine only
        // makes it later), and not never.
        await pipeline.Control.IsShutdown.WaitAsync(stopTimeout + Patience);
        Assert.True(sinceStop.Elapsed >= stopTimeout - TimeSpan.FromMilliseconds(100), $"closed {sinceStop.Elapsed} after the stop");
        await Eventually(() => queue.Consumers.Count == 0, Patience, () => $"{queue.Consumers.Count} consumers left");
    }

    [Fact(DisplayName = "Coordinated shutdown drains the consumers the queue created")]
    public async Task Coordinated_shutdown_drains_the_consumers()
    {
        const int count = 300;
        var queue = NewQueue(o => o.MaxPollBatch = 20);
        await queue.PublishAsync(Jobs(QueueLane.Retry, count, "cs"));
        var gate = new Gate(free: 30);
        var pipeline = Run(queue, QueueLane.Retry, parallelism: 2, work: gate.Work);
        queue.DrainOnShutdown(pipeline.Control, pipeline.Completion);
        await Eventually(() => pipeline.Received.Count >= 30, Patience, () => $"received {pipeline.Received.Count}");

        var shutdown = CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await pipeline.Control.SourceStopped.WaitAsync(Patience);
        gate.Open();
        await shutdown.WaitAsync(Patience);

        Assert.True(pipeline.Control.IsShutdown.IsCompleted);
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
        Assert.InRange(pipeline.Received.Count, 30, count - 1);
        Assert.Equal(pipeline.Received.Count, CommittedOffsets(queue.Options, QueueLane.Retry).Sum(o => Math.Max(o, 0)));
    }
}
