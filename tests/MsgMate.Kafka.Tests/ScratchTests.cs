using System.Diagnostics;
using Confluent.Kafka;
using MsgMate.Kafka.Tests.Infrastructure;
using MsgMate.KafkaMock;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class ScratchTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact]
    public async Task Scratch()
    {
        using var mock = KafkaMockCluster.Start(topics: ["s"], partitions: 1);
        using (var p = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = mock.BootstrapServers }).Build())
        {
            p.Produce("s", new Message<Null, string> { Value = "x" });
            p.Flush(TimeSpan.FromSeconds(5));
        }
        using var c = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = mock.BootstrapServers, GroupId = "g", EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky, SessionTimeoutMs = 6000,
        }).Build();
        c.Subscribe("s");
        var r = c.Consume(TimeSpan.FromSeconds(10));
        TestOutput.WriteLine("got " + r?.Message.Value);
        mock.SetBrokerDown();
        var clock = Stopwatch.StartNew();
        try
        {
            c.Commit([new TopicPartitionOffset("s", 0, 1)]);
            TestOutput.WriteLine("committed in " + clock.ElapsedMilliseconds);
        }
        catch (Exception e)
        {
            TestOutput.WriteLine($"commit failed after {clock.ElapsedMilliseconds} ms: {e.Message}");
        }
        clock.Restart();
        try
        {
            c.Commit([new TopicPartitionOffset("s", 0, 1)]);
            TestOutput.WriteLine("committed in " + clock.ElapsedMilliseconds);
        }
        catch (Exception e)
        {
            TestOutput.WriteLine($"2nd commit failed after {clock.ElapsedMilliseconds} ms: {e.Message}");
        }
        clock.Restart();
        var closing = Task.Run(() => c.Close());
        var done = await Task.WhenAny(closing, Task.Delay(15000)) == closing; TestOutput.WriteLine($"close finished={done} after {clock.ElapsedMilliseconds} ms");
    }
}
