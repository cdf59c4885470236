using System.Diagnostics;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class ConsumerGroupTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output, partitions: 6)
{
    [Fact(DisplayName = "Two consumers of one group share the partitions; when one drains away the other takes over; the union is complete")]
    public async Task Two_consumers_share_the_partitions()
    {
        const int count = 1200;
        var queue = NewQueue(o =>
        {
            o.MaxPollBatch = 50;
            o.CommitBatchSize = 50;
        });
        // A little work per job, so that the lane is still busy when the second member leaves.
        Func<CommittableJob, Task> work = _ => Task.Delay(1);
        var a = Run(queue, QueueLane.Medium, parallelism: 4, work);
        var b = Run(queue, QueueLane.Medium, parallelism: 4, work);

        var clock = Stopwatch.StartNew();
        await Eventually(
            () => a.Control.Stats.AssignedPartitions > 0 && b.Control.Stats.AssignedPartitions > 0
                && a.Control.Stats.AssignedPartitions + b.Control.Stats.AssignedPartitions == Partitions,
            TimeSpan.FromSeconds(20),
            () => $"assigned a={a.Control.Stats.AssignedPartitions} b={b.Control.Stats.AssignedPartitions}");
        TestOutput.WriteLine($"both members assigned after {clock.ElapsedMilliseconds} ms: a={a.Control.Stats.AssignedPartitions} b={b.Control.Stats.AssignedPartitions}");

        await queue.PublishAsync(Jobs(QueueLane.Medium, count));

        // Both get work; then b leaves in an orderly way while work remains, and a takes its partitions over.
        await Eventually(() => a.Received.Count + b.Received.Count >= count / 3, TimeSpan.FromSeconds(20),
            () => $"a={a.Received.Count} b={b.Received.Count}");
        Assert.True(a.Received.Count > 0 && b.Received.Count > 0, $"both members work: a={a.Received.Count} b={b.Received.Count}");
        clock.Restart();
        await b.DrainAsync();
        TestOutput.WriteLine($"b drained in {clock.ElapsedMilliseconds} ms after {b.Received.Count} jobs");

        var all = Jobs(QueueLane.Medium, count).Select(j => j.Job.MsgId).ToHashSet();
        await Eventually(() => a.Ids.Union(b.Ids).Count() == count, TimeSpan.FromSeconds(30),
            () => $"union {a.Ids.Union(b.Ids).Count()} of {count}; a={a.Received.Count} b={b.Received.Count}; a: {a.Control.Stats}");
        Assert.True(all.SetEquals(a.Ids.Union(b.Ids)));
        Assert.Equal(Partitions, a.Control.Stats.AssignedPartitions);

        var duplicates = a.Received.Count + b.Received.Count - count;
        TestOutput.WriteLine($"a={a.Received.Count} b={b.Received.Count} duplicates={duplicates}");
        TestOutput.WriteLine($"a: {a.Control.Stats}");
        TestOutput.WriteLine($"b: {b.Control.Stats}");
        // b drained (committed everything it finished) before leaving: nothing needs redelivering.
        Assert.InRange(duplicates, 0, 0);

        await CommittedToEnd(queue.Options, QueueLane.Medium, TimeSpan.FromSeconds(10));
        await a.DrainAsync();
    }
}
