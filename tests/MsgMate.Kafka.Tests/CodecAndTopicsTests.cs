using System.Text;
using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Kafka.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Kafka.Tests;

public sealed class CodecAndTopicsTests(KafkaMockFixture kafka, ITestOutputHelper output) : KafkaSpec(kafka, output)
{
    [Fact(DisplayName = "A job travels as small camelCase JSON and reads back equal; unknown fields are ignored")]
    public void Codec_round_trip()
    {
        var job = new DeliveryJob("m-1", 3, 5, 2, 1_700_000_000_123);
        var bytes = DeliveryJobCodec.Serialize(job);
        Assert.Equal("""{"msgId":"m-1","priority":3,"channel":5,"attempt":2,"notBeforeMs":1700000000123}""", Encoding.UTF8.GetString(bytes));
        Assert.Equal(job, DeliveryJobCodec.Deserialize(bytes));
        Assert.Equal(job, DeliveryJobCodec.Deserialize("""{"msgId":"m-1","priority":3,"channel":5,"attempt":2,"notBeforeMs":1700000000123,"new":1}"""u8));
        Assert.Throws<FormatException>(() => DeliveryJobCodec.Deserialize("""{"priority":3}"""u8));
        Assert.Throws<FormatException>(() => DeliveryJobCodec.Deserialize("not json"u8));
    }

    [Fact(DisplayName = "Creating topics when missing: existing topics are left alone and a broker without topic admin is tolerated")]
    public async Task Ensure_topics_tolerates_the_mock()
    {
        // All four exist (made by the fixture): nothing to create.
        Assert.Empty(await KafkaTopics.EnsureAsync(Options()));

        // Missing ones: the mock answers "not supported" or creates them; either way no exception.
        var created = await KafkaTopics.EnsureAsync(Options(o =>
        {
            o.HighTopic = $"{Prefix}.new.high";
            o.TopicPartitions = 2;
        }));
        TestOutput.WriteLine($"created: [{string.Join(",", created)}]");
    }

    [Fact(DisplayName = "Options: lane topics and per-lane groups; invalid settings are refused")]
    public void Options_validate()
    {
        var options = new KafkaQueueOptions();
        options.Validate();
        Assert.Equal("msgmate.high", options.TopicFor(QueueLane.High));
        Assert.Equal("msgmate.retry", options.TopicFor(QueueLane.Retry));
        Assert.Equal("msgmate-delivery.low", options.GroupIdFor(QueueLane.Low));
        Assert.Throws<ArgumentException>(() => new KafkaQueueOptions { MediumTopic = "msgmate.high" }.Validate());
        Assert.Throws<ArgumentException>(() => new KafkaQueueOptions { BootstrapServers = "" }.Validate());
    }

    [Fact(DisplayName = "Options bind from configuration (times, client properties) and an environment variable wins")]
    public void Options_bind_and_environment_wins()
    {
        const string variable = "MsgMate__Kafka__BootstrapServers";
        Environment.SetEnvironmentVariable(variable, "kafka-0:9092,kafka-1:9092");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["MsgMate:Kafka:BootstrapServers"] = "localhost:9092",
                    ["MsgMate:Kafka:HighTopic"] = "prod.high",
                    ["MsgMate:Kafka:SessionTimeout"] = "00:00:10",
                    ["MsgMate:Kafka:MaxPollBatch"] = "64",
                    ["MsgMate:Kafka:ClientProperties:security.protocol"] = "SASL_SSL",
                })
                .AddEnvironmentVariables()
                .Build();
            var options = configuration.GetSection(KafkaQueueOptions.Section).Get<KafkaQueueOptions>()!;

            Assert.Equal("kafka-0:9092,kafka-1:9092", options.BootstrapServers);
            Assert.Equal("prod.high", options.HighTopic);
            Assert.Equal("msgmate.low", options.LowTopic);
            Assert.Equal(TimeSpan.FromSeconds(10), options.SessionTimeout);
            Assert.Equal(64, options.MaxPollBatch);
            Assert.Equal("SASL_SSL", options.ClientProperties["security.protocol"]);
            options.Validate();
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
