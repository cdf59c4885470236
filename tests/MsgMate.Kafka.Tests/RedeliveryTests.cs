using Akka;
using Akka.Streams.Dsl;
using MsgMate.Actors.Queue;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class RedeliveryTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "What a consumer did not commit is redelivered to the next member of the group; what it committed is not")]
    public async Task Uncommitted_jobs_are_redelivered_committed_ones_are_not()
    {
        const int count = 100;
        var queue = NewQueue(o => o.MaxPollBatch = 30);
        var all = Jobs(QueueLane.Medium, count, "r");
        await queue.PublishAsync(all);

        // The first consumer processes 60 jobs but commits only the first 40 of them (then its stream ends).
        var processed = new List<DeliveryJob>();
        var (control1, completion1) = queue.Consume(QueueLane.Medium)
            .Take(60)
            .Select(job =>
            {
                processed.Add(job.Job);
                return (Index: processed.Count, job.Offset);
            })
            .Where(x => x.Index <= 40)
            .Select(x => x.Offset)
            .Via(queue.Committer(QueueLane.Medium))
            .ToMaterialized(Sink.Ignore<Done>(), Keep.Both)
            .Run(Materializer);
        // The stream ends by itself after 60; the drain then only closes the consumer.
        await completion1.WaitAsync(TimeSpan.FromSeconds(30));
        await control1.DrainAndShutdownAsync(completion1);
        Assert.True(control1.IsShutdown.IsCompleted);
        Assert.Equal(60, processed.Count);

        // Offsets of one partition are emitted in order, so the first 40 are a prefix of each partition.
        var committed = CommittedOffsets(queue.Options, QueueLane.Medium);
        Assert.Equal(40, committed.Sum(o => Math.Max(o, 0)));

        // A new member of the same group gets exactly the other 60: the 20 processed-but-uncommitted ones and
        // the 40 never processed, and none of the committed ones.
        var second = Run(queue, QueueLane.Medium);
        await CommittedToEnd(queue.Options, QueueLane.Medium, TimeSpan.FromSeconds(30));
        var committedIds = processed.Take(40).Select(j => j.MsgId).ToHashSet();
        var expected = all.Select(j => j.Job.MsgId).Where(id => !committedIds.Contains(id)).ToHashSet();

        Assert.True(expected.SetEquals(second.Ids), $"second consumer got {second.Ids.Count}, expected {expected.Count}");
        Assert.Equal(expected.Count, second.Received.Count);
        Assert.Subset(second.Ids, processed.Skip(40).Select(j => j.MsgId).ToHashSet());
        await second.DrainAsync();
    }
}
