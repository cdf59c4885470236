using System.Diagnostics;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class ConsumerGroupTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output, partitions: 6)
{
    private const QueueLane Lane = QueueLane.Medium;

    /// <summary>Generous: every step waits for a rebalance of the mock group on a machine that may be busy.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact(DisplayName = "Consumers of one group share the partitions: both work, a leaving member's partitions move, a joining one takes some; the union is complete, duplicates bounded")]
    public async Task Consumers_share_the_partitions()
    {
        const int batch = 600;
        var queue = NewQueue(o =>
        {
            o.MaxPollBatch = 50;
            o.CommitBatchSize = 50;
        });
        var published = new List<string>();
        async Task Publish(string tag)
        {
            var jobs = Jobs(Lane, batch, tag);
            await queue.PublishAsync(jobs);
            published.AddRange(jobs.Select(j => j.Job.MsgId));
        }

        // 1. Two members, started together, split the six partitions; both get work and nothing twice.
        var a = Run(queue, Lane, parallelism: 2, work: _ => Slow());
        var b = Run(queue, Lane, parallelism: 2);
        var clock = Stopwatch.StartNew();
        await Eventually(
            () => a.Control.Stats.AssignedPartitions > 0 && b.Control.Stats.AssignedPartitions > 0
                && a.Control.Stats.AssignedPartitions + b.Control.Stats.AssignedPartitions == Partitions,
            Patience,
            () => $"assigned a={a.Control.Stats.AssignedPartitions} b={b.Control.Stats.AssignedPartitions}");
        TestOutput.WriteLine($"1. both members assigned after {clock.ElapsedMilliseconds} ms: a={a.Control.Stats.AssignedPartitions} b={b.Control.Stats.AssignedPartitions}");
        await Publish("one");
        await Eventually(() => Union(a, b).Count == batch, Patience, () => $"a={a.Received.Count} b={b.Received.Count}");
        Assert.True(a.Received.Count > 0 && b.Received.Count > 0, $"both work: a={a.Received.Count} b={b.Received.Count}");
        Assert.Equal(batch, a.Received.Count + b.Received.Count);

        // 2. b drains away (commits what it finished, leaves the group): a takes its partitions and all new work.
        clock.Restart();
        await b.DrainAsync();
        await Publish("two");
        await Eventually(() => Union(a, b).Count == 2 * batch, Patience,
            () => $"union {Union(a, b).Count}; a: {a.Control.Stats}");
        Assert.Equal(Partitions, a.Control.Stats.AssignedPartitions);
        Assert.Equal(2 * batch, a.Received.Count + b.Received.Count);
        TestOutput.WriteLine($"2. b left, a took over and finished the second batch in {clock.ElapsedMilliseconds} ms");

        // 3. c joins while a is busy (a's jobs wait until c has partitions, so that work is left for c however long
        //    the join takes): the cooperative rebalance moves some of a's partitions to c under load. What a
        //    finished but could not commit in time comes again to c.
        clock.Restart();
        var c = Run(queue, Lane, parallelism: 2);
        _slowUntil = () => c.Control.Stats.AssignedPartitions > 0;
        await Publish("three");
        await Eventually(() => Union(a, b, c).Count == 3 * batch, Patience,
            () => $"union {Union(a, b, c).Count}; a: {a.Control.Stats}; c: {c.Control.Stats}");
        Assert.True(c.Received.Count > 0, "the joining member gets work");
        Assert.Equal(Partitions, a.Control.Stats.AssignedPartitions + c.Control.Stats.AssignedPartitions);
        TestOutput.WriteLine($"3. c joined, third batch done in {clock.ElapsedMilliseconds} ms");

        Assert.True(published.ToHashSet().SetEquals(Union(a, b, c)));
        var duplicates = a.Received.Count + b.Received.Count + c.Received.Count - published.Count;
        TestOutput.WriteLine($"received a={a.Received.Count} b={b.Received.Count} c={c.Received.Count}, duplicates={duplicates}");
        TestOutput.WriteLine($"a: {a.Control.Stats}");
        TestOutput.WriteLine($"b: {b.Control.Stats}");
        TestOutput.WriteLine($"c: {c.Control.Stats}");
        // Bounded by what a had in flight or waiting in the committer when its partitions were revoked.
        Assert.InRange(duplicates, 0, queue.Options.MaxPollBatch + queue.Options.CommitBatchSize);

        await CommittedToEnd(queue.Options, Lane, Patience);
        await Task.WhenAll(a.DrainAsync(), c.DrainAsync());
    }

    private Func<bool> _slowUntil = () => true;

    /// <summary>a's work: held (checked every 20 ms) while <see cref="_slowUntil"/> is false, instant after.</summary>
    private async Task Slow()
    {
        while (!_slowUntil())
        {
            await Task.Delay(20);
        }
    }

    private static HashSet<string> Union(params Pipeline[] pipelines) => pipelines.SelectMany(p => p.Ids).ToHashSet();
}
