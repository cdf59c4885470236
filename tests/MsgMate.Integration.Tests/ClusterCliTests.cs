using MsgMate.Cli;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The cluster verbs against three in-process nodes of one cluster on PostgreSQL: <c>cluster show</c> lists the three
/// members from any node, sharding stats count shards and entities on each node, and <c>cluster leave</c> of one member
/// takes it out of the cluster while the others stay Up.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class ClusterCliTests
{
    [Fact(DisplayName = "Three nodes: cluster show lists three members Up with one leader, sharding stats spread over the nodes, cluster leave removes one")]
    public async Task Three_node_cluster()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.PostgreSql);
        var ports = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).ToArray();
        var settings = new Dictionary<string, string?>
        {
            ["MsgMate:Queue:SqlQueue"] = "true",
            ["MsgMate:Cluster:SeedNodes:0"] = $"akka.tcp://msgmate@127.0.0.1:{ports[0]}",
        };
        var nodes = new List<NodeHost>();
        try
        {
            foreach (var port in ports)
            {
                nodes.Add(await NodeHost.StartAsync(provider, connection, new Dictionary<string, string?>(settings) { ["MsgMate:Cluster:Port"] = port.ToString() }));
            }
            var urls = nodes.Select(n => n.Client.BaseAddress!.ToString()).ToArray();
            var addresses = ports.Select(p => $"akka.tcp://msgmate@127.0.0.1:{p}").ToArray();

            // Every node sees the same three members Up and the same leader once gossip has converged.
            foreach (var url in urls)
            {
                await Eventually.AssertAsync(async () =>
                {
                    var json = (await CliRun.RunAsync("cluster", "show", "--json", "--node", url)).ShouldSucceed().Json;
                    var members = json.GetProperty("members").EnumerateArray().ToList();
                    return members.Count == 3 && members.All(m => m.GetProperty("status").GetString() == "Up")
                        && members.Count(m => m.GetProperty("leader").GetBoolean()) == 1 && members.Count(m => m.GetProperty("self").GetBoolean()) == 1;
                }, TimeSpan.FromSeconds(90), $"{url} sees three members Up");
            }
            var table = (await CliRun.RunAsync("cluster", "show", "--node", urls[1])).ShouldSucceed().Out;
            Assert.All(addresses, a => Assert.Contains(a, table));
            var leader = (await CliRun.RunAsync("cluster", "leader", "--node", urls[2])).ShouldSucceed().Out.Trim();
            Assert.Contains(leader, addresses);

            // Users spread over the shards, so over the nodes: the stats name every node and count every user.
            for (var i = 0; i < 40; i++)
            {
                (await nodes[i % 3].PostAsync("/user/create", new { user_id = $"cli-user-{i}", name = $"User {i}" })).ShouldSucceed();
            }
            await Eventually.AssertAsync(async () =>
            {
                var stats = (await CliRun.RunAsync("cluster", "sharding", "stats", "user", "--json", "--node", urls[0])).ShouldSucceed().Json;
                var perNode = stats.GetProperty("nodes").EnumerateArray().ToList();
                return perNode.Count == 3 && stats.GetProperty("entities").GetInt32() >= 40
                    && perNode.Count(n => n.GetProperty("shards").GetInt32() > 0) >= 2;
            }, TimeSpan.FromSeconds(60), "the user shards on at least two of the three nodes, every user counted");
            var statsTable = (await CliRun.RunAsync("cluster", "sharding", "stats", "user", "--node", urls[1])).ShouldSucceed().Out;
            Assert.All(addresses, a => Assert.Contains(a, statsTable));

            // The third node leaves, asked through the first: the two others see it go and stay Up.
            Assert.Contains("is leaving", (await CliRun.RunAsync("cluster", "leave", addresses[2], "--node", urls[0])).ShouldSucceed().Out);
            foreach (var url in urls[..2])
            {
                await Eventually.AssertAsync(async () =>
                {
                    var members = (await CliRun.RunAsync("cluster", "show", "--json", "--node", url)).ShouldSucceed().Json
                        .GetProperty("members").EnumerateArray().ToList();
                    return members.Count == 2 && members.All(m => m.GetProperty("status").GetString() == "Up")
                        && members.All(m => m.GetProperty("address").GetString() != addresses[2]);
                }, TimeSpan.FromSeconds(90), $"{url}: the third node removed, the other two Up");
            }
            (await CliRun.RunAsync("cluster", "down", addresses[2], "--node", urls[0])).ShouldExit(ExitCodes.Refused, "is not a member of this cluster");
        }
        finally
        {
            foreach (var node in Enumerable.Reverse(nodes))
            {
                await node.DisposeAsync();
            }
        }
    }
}
