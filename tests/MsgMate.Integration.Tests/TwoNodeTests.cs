using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>Two nodes in one cluster share the delivery work: all messages delivered once, both nodes did some.</summary>
public abstract class TwoNodeTests
{
    protected abstract Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync();

    [Fact(DisplayName = "Two nodes in one cluster: every message delivered once, both nodes delivered some")]
    public async Task Both_nodes_work()
    {
        await using var smtp = new ScriptedSmtpServer();
        var (provider, connection) = await TestDatabases.CreateAsync(Db.PostgreSql);
        var (settings, broker) = await QueueSettingsAsync();
        await using var _ = broker;
        var (portA, portB) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        settings["MsgMate:Email:Host"] = smtp.Host;
        settings["MsgMate:Email:Port"] = smtp.Port.ToString();
        settings["MsgMate:Email:TlsMode"] = "None";
        settings["MsgMate:Email:From"] = "noreply@msgmate.test";
        settings["MsgMate:Cluster:SeedNodes:0"] = $"akka.tcp://msgmate@127.0.0.1:{portA}";

        await using var a = await NodeHost.StartAsync(provider, connection, new Dictionary<string, string?>(settings) { ["MsgMate:Cluster:Port"] = portA.ToString() });
        await using var b = await NodeHost.StartAsync(provider, connection, new Dictionary<string, string?>(settings) { ["MsgMate:Cluster:Port"] = portB.ToString() });

        // Batches alternate between the nodes until both have delivered (a consumer joining a Kafka group takes a
        // rebalance, a few seconds against the mock); at most 16 batches of 250.
        var ids = new List<string>();
        var nodes = new Dictionary<string, int>();
        for (var batch = 0; batch < 16 && (batch < 4 || nodes.Count < 2); batch++)
        {
            var to = Enumerable.Range(0, 250).Select(i => $"two{batch}-{i}@example.com").ToArray();
            var node = batch % 2 == 0 ? a : b;
            ids.AddRange((await node.PostAsync("/msg/send_msg", new { to, channels = new[] { 1 }, content = "shared", priority = 2 }))
                .ShouldSucceed()["msgIDs"].EnumerateArray().Select(e => e.GetString()!));
            await Eventually.AssertAsync(async () =>
                (await a.GetAsync("/msg/list_msg_records?status=2&page_size=1")).ShouldSucceed()["total"].GetInt64() == ids.Count,
                TimeSpan.FromSeconds(90), () => $"all {ids.Count} messages sent");
            nodes.Clear();
            foreach (var id in ids)
            {
                var attempts = (await b.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed()["attempts"];
                var who = Assert.Single(attempts.EnumerateArray()).GetProperty("node").GetString()!;
                nodes[who] = nodes.GetValueOrDefault(who) + 1;
            }
        }

        Assert.Equal(2, nodes.Count);
        Assert.All(nodes.Values, count => Assert.True(count > 0));
        Assert.Equal(ids.Count, smtp.Messages.Select(m => m.Recipients[0]).Distinct().Count());
    }
}

[Collection(TimingCollection.Name)]
public sealed class TwoNodesOnSqlQueue : TwoNodeTests
{
    protected override Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync() =>
        Task.FromResult<(Dictionary<string, string?>, IAsyncDisposable?)>((new Dictionary<string, string?> { ["MsgMate:Queue:SqlQueue"] = "true" }, null));
}

[Collection(TimingCollection.Name)]
public sealed class TwoNodesOnKafka : TwoNodeTests
{
    protected override Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync() =>
        Task.FromResult<(Dictionary<string, string?>, IAsyncDisposable?)>(KafkaOnSqlite.StartBrokerWithSettings());
}
