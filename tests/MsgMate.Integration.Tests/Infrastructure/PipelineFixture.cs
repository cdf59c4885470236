using MsgMate.Channels.Tests;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// A node whose email channel talks SMTP to a scripted, real SMTP server in the test process, with short
/// retry backoffs (500 ms doubling, at most 2 retries) so that retry paths finish in seconds.
/// </summary>
public abstract class PipelineFixture(Db db, bool sqlQueue) : IAsyncLifetime
{
    public const int MaxRetryCount = 2;

    public NodeHost Node { get; private set; } = null!;

    public ScriptedSmtpServer Smtp { get; } = new();

    public string Provider { get; private set; } = "";

    public string ConnectionString { get; private set; } = "";

    /// <summary>Extra settings of the queue mode (the Kafka fixtures add the broker).</summary>
    protected virtual Task<Dictionary<string, string?>> QueueSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["MsgMate:Queue:SqlQueue"] = sqlQueue ? "true" : "false" });

    public virtual async Task InitializeAsync()
    {
        (Provider, ConnectionString) = await TestDatabases.CreateAsync(db);
        Node = await NodeHost.StartAsync(Provider, ConnectionString, await SettingsAsync());
    }

    public async Task<Dictionary<string, string?>> SettingsAsync()
    {
        var settings = await QueueSettingsAsync();
        settings["MsgMate:Email:Host"] = Smtp.Host;
        settings["MsgMate:Email:Port"] = Smtp.Port.ToString();
        settings["MsgMate:Email:TlsMode"] = "None";
        settings["MsgMate:Email:From"] = "noreply@msgmate.test";
        settings["MsgMate:Email:PoolSize"] = "4";
        settings["MsgMate:Delivery:Retry:MaxRetryCount"] = MaxRetryCount.ToString();
        settings["MsgMate:Delivery:Retry:MinBackoff"] = "00:00:00.500";
        settings["MsgMate:Delivery:Retry:MaxBackoff"] = "00:00:04";
        settings["MsgMate:Delivery:Retry:Jitter"] = "0";
        settings["MsgMate:Delivery:PollInterval"] = "00:00:00.100";
        return settings;
    }

    public virtual async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public sealed class SqlQueueOnSqlite() : PipelineFixture(Db.Sqlite, sqlQueue: true);

public sealed class SqlQueueOnPostgres() : PipelineFixture(Db.PostgreSql, sqlQueue: true);

/// <summary>The Kafka path: librdkafka's mock cluster (the real Kafka protocol on loopback) in the test process.</summary>
public sealed class KafkaOnSqlite() : PipelineFixture(Db.Sqlite, sqlQueue: false)
{
    private MsgMate.KafkaMock.KafkaMockCluster? _kafka;

    public static MsgMate.KafkaMock.KafkaMockCluster StartBroker() =>
        MsgMate.KafkaMock.KafkaMockCluster.Start(topics: ["msgmate.high", "msgmate.medium", "msgmate.low", "msgmate.retry"], partitions: 3);

    /// <summary>The broker of a test that runs its own nodes, for its settings and its `await using`.</summary>
    public static (Dictionary<string, string?> Settings, IAsyncDisposable Broker) StartBrokerWithSettings()
    {
        var broker = StartBroker();
        return (KafkaSettings(broker.BootstrapServers), new BrokerHandle(broker));
    }

    private sealed class BrokerHandle(IDisposable broker) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            broker.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    public static Dictionary<string, string?> KafkaSettings(string bootstrapServers) => new()
    {
        ["MsgMate:Queue:SqlQueue"] = "false",
        ["MsgMate:Kafka:BootstrapServers"] = bootstrapServers,
        ["MsgMate:Kafka:GroupId"] = $"msgmate-{Guid.NewGuid():N}",
        ["MsgMate:Kafka:CreateTopicsIfMissing"] = "false",
    };

    protected override Task<Dictionary<string, string?>> QueueSettingsAsync()
    {
        _kafka = StartBroker();
        return Task.FromResult(KafkaSettings(_kafka.BootstrapServers));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _kafka?.Dispose();
    }
}

public sealed class SqlQueueOnMariaDb() : PipelineFixture(Db.MariaDb, sqlQueue: true);
