using Akka;
using Akka.Streams.Dsl;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class LagProbeTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact(DisplayName = "Consumer lag per lane from the brokers, asked twice of one probe: every published record until the lane's group commits, then only what it has not committed")]
    public async Task Lag_follows_commits()
    {
        var queue = NewQueue();
        await queue.PublishAsync([.. Jobs(QueueLane.High, 50, "h"), .. Jobs(QueueLane.Low, 20, "l")]);
        using var probe = new KafkaLagProbe(queue.Options);

        var before = (await probe.LagAsync(Timeout, CancellationToken.None)).ToDictionary(l => l.Lane);
        Assert.Equal([QueueLane.High, QueueLane.Medium, QueueLane.Low, QueueLane.Retry], before.Keys);
        Assert.Equal(new LaneLag(QueueLane.High, queue.Options.HighTopic, queue.Options.GroupIdFor(QueueLane.High), 50, Partitions, Partitions), before[QueueLane.High]);
        Assert.Equal((20L, Partitions), (before[QueueLane.Low].Lag, before[QueueLane.Low].Partitions));
        Assert.Equal((0L, 0L), (before[QueueLane.Medium].Lag, before[QueueLane.Retry].Lag));

        // The high lane's group consumes and commits 30 of its 50.
        var (control, completion) = queue.Consume(QueueLane.High)
            .Take(30)
            .Select(job => job.Offset)
            .Via(queue.Committer(QueueLane.High))
            .ToMaterialized(Sink.Ignore<Done>(), Keep.Both)
            .Run(Materializer);
        await completion.WaitAsync(TimeSpan.FromSeconds(30));
        await control.DrainAndShutdownAsync(completion);
        Assert.Equal(30, CommittedOffsets(queue.Options, QueueLane.High).Sum(o => Math.Max(o, 0)));

        var after = (await probe.LagAsync(Timeout, CancellationToken.None)).ToDictionary(l => l.Lane);
        Assert.Equal(20, after[QueueLane.High].Lag);
        Assert.True(after[QueueLane.High].Uncommitted < Partitions, $"{after[QueueLane.High].Uncommitted} partitions without a commit");
        Assert.Equal(20, after[QueueLane.Low].Lag);
    }

    [Theory(DisplayName = "Where a group's next read starts: its committed offset, or the earliest retained record when it has none or the retention passed it")]
    [InlineData(-1001, 0, 0)]
    [InlineData(-1001, 7, 7)]
    [InlineData(12, 3, 12)]
    [InlineData(2, 5, 5)]
    public void Lag_start(long committed, long low, long expected) =>
        Assert.Equal(expected, KafkaLagProbe.LagStart(new Confluent.Kafka.Offset(committed), new Confluent.Kafka.Offset(low)));
}
