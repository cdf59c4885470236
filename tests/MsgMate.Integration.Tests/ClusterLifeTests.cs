using System.Text.RegularExpressions;
using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Three node processes on PostgreSQL under a steady send, restarted one by one with SIGTERM as an orchestrator rolls
/// a StatefulSet: each node leaves gracefully (new work refused with 503 + Retry-After, lanes drained, shards handed
/// over) and comes back at the same address. Nothing accepted is lost and the API answers throughout: the client
/// meets 503s (and refused connections while a node is down), never another 5xx.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed partial class ClusterLifeTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"Message-Id:\s*<([0-9a-f-]{36})@", RegexOptions.IgnoreCase)]
    private static partial Regex MessageId();

    [Fact(DisplayName = "Rolling restart of three nodes under a steady send (the first leaving by `msgmate cluster leave`, its user shards handed over): every accepted message sent, no 5xx but 503 while leaving")]
    public async Task Rolling_restart()
    {
        await using var smtp = new ScriptedSmtpServer();
        var (provider, connection) = await TestDatabases.CreateAsync(Db.PostgreSql);
        await using var cluster = new ProcessCluster(3, new Dictionary<string, string?>
        {
            ["MsgMate:Storage:Provider"] = provider,
            ["MsgMate:Storage:ConnectionString"] = connection,
            ["MsgMate:Queue:SqlQueue"] = "true",
            ["MsgMate:Cluster:StableAfter"] = "00:00:05",
            ["MsgMate:Cluster:AcceptableHeartbeatPause"] = "00:00:03",
            ["MsgMate:Email:Host"] = smtp.Host,
            ["MsgMate:Email:Port"] = smtp.Port.ToString(),
            ["MsgMate:Email:TlsMode"] = "None",
            ["MsgMate:Email:From"] = "noreply@msgmate.test",
            // The leave is logged at Information: shown, so that a failure message carries it.
            ["Serilog:MinimumLevel:Override:MsgMate.Node"] = "Information",
        });
        await cluster.StartAllAsync();

        // Users spread over the shards, so over the three nodes: entities to hand over.
        var users = Enumerable.Range(0, 30).Select(n => $"life-user-{n}").ToList();
        for (var n = 0; n < users.Count; n++)
        {
            (await cluster[n % 3].Http.PostAsync("/user/create", new { user_id = users[n], name = $"User {n}" })).ShouldSucceed();
        }
        var node0 = cluster.HttpAddress(0).ToString();
        await Eventually.AssertAsync(async () => (await UserShardsAsync(node0)).GetValueOrDefault(cluster.RemoteAddress(2)) > 0,
            TimeSpan.FromSeconds(60), "the third node holds user shards");

        await using var sender = new SteadySender(Enumerable.Range(0, 3).Select(cluster.HttpAddress).ToList());
        await WaitForProgressAsync(sender, 50, "the first sends accepted");

        foreach (var i in new[] { 2, 1, 0 })
        {
            var node = cluster[i];
            var leave = System.Diagnostics.Stopwatch.StartNew();
            // The first leaves as an operator asks it to, through another node (`msgmate cluster leave`); the others on SIGTERM.
            var how = i == 2 ? "cluster leave" : "SIGTERM";
            if (i == 2)
            {
                (await CliRun.RunAsync("cluster", "leave", cluster.RemoteAddress(2), "--node", node0)).ShouldSucceed();
            }
            else
            {
                node.Terminate();
            }
            var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"node {i}: left and exited ({exitCode}) {leave.Elapsed.TotalSeconds:0.0} s after {how}; client so far: {sender.Summary}");
            Assert.True(exitCode == 0, $"node {i} exited with {exitCode}:{Environment.NewLine}{node.RecentOutput}");
            Assert.Contains("Left the cluster", node.RecentOutput);
            if (i == 2)
            {
                await AssertHandedOverAsync(cluster, users, node0);
            }
            await cluster.StartAsync(i);
            await WaitForProgressAsync(sender, 20, $"sends accepted after node {i} came back");
        }
        await sender.StopAsync();
        output.WriteLine($"client: {sender.Requests} requests, {sender.Accepted.Count} messages accepted; answers {sender.Summary}");

        var api = cluster[0].Http;
        await Eventually.DrainsAsync(async () =>
            (await api.GetAsync("/msg/list_msg_records?status=1&page_size=1")).ShouldSucceed()["total"].GetInt64()
            + (await api.GetAsync("/msg/list_msg_records?status=4&page_size=1")).ShouldSucceed()["total"].GetInt64(),
            TimeSpan.FromSeconds(120), "records left pending or retrying");

        Assert.Equal(0, sender.ServerErrors);
        var delivered = smtp.Messages.GroupBy(m => MessageId().Match(m.Data).Groups[1].Value).ToDictionary(g => g.Key, g => g.Count());
        var missing = sender.Accepted.Where(id => !delivered.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} accepted messages never reached the SMTP server, e.g. {string.Join(", ", missing.Take(5))}");
        var duplicates = delivered.Values.Sum(n => n - 1);
        output.WriteLine($"SMTP server: {smtp.Messages.Count} mails for {delivered.Count} messages, {duplicates} duplicate(s)");
        // A graceful leave drains its lanes before the hand-over; what can still be sent twice is bounded by what the
        // lanes of the three leaving nodes held (measured here: a handful per rolling restart).
        var d = new MsgMate.Actors.Delivery.DeliveryOptions();
        var inFlight = d.HighParallelism + d.MediumParallelism + d.LowParallelism + d.RetryParallelism;
        Assert.True(duplicates <= 3 * inFlight, $"{duplicates} duplicates; at most {3 * inFlight} (three nodes' lanes) can be in flight");
    }

    /// <summary>User shards per node address, as <c>msgmate cluster sharding stats user</c> reports them.</summary>
    private static async Task<Dictionary<string, int>> UserShardsAsync(string node) =>
        (await CliRun.RunAsync("cluster", "sharding", "stats", "user", "--json", "--node", node)).ShouldSucceed().Json
            .GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("address").GetString()!, n => n.GetProperty("shards").GetInt32());

    /// <summary>
    /// After the third node left: the cluster has two members, every user answers through the others (its shard
    /// allocated anew where it lived on the leaver), and the shards and entities are on the two remaining nodes only.
    /// </summary>
    private async Task AssertHandedOverAsync(ProcessCluster cluster, IReadOnlyList<string> users, string node0)
    {
        var left = cluster.RemoteAddress(2);
        await Eventually.AssertAsync(async () =>
        {
            var members = (await CliRun.RunAsync("cluster", "show", "--json", "--node", node0)).ShouldSucceed().Json.GetProperty("members").EnumerateArray().ToList();
            return members.Count == 2 && members.All(m => m.GetProperty("address").GetString() != left);
        }, TimeSpan.FromSeconds(60), "two members left, the third removed");
        // A shard that lived on the leaver is allocated anew by the first message for it: a read may meet that moment.
        for (var n = 0; n < users.Count; n++)
        {
            var (node, userId, name) = (cluster[n % 2], users[n], $"User {n}");
            await Eventually.AssertAsync(async () =>
            {
                var answer = await node.Http.GetAsync($"/user/get?user_id={userId}");
                return answer.Code == 0 && answer["user"].GetProperty("name").GetString() == name;
            }, TimeSpan.FromSeconds(30), $"{userId} answers through a remaining node");
        }
        var stats = (await CliRun.RunAsync("cluster", "sharding", "stats", "user", "--json", "--node", node0)).ShouldSucceed().Json;
        var nodes = stats.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("address").GetString()!).ToList();
        output.WriteLine($"after the leave: user shards {stats.GetProperty("shards").GetInt32()}, entities {stats.GetProperty("entities").GetInt32()} on {string.Join(", ", nodes)}");
        Assert.Equal(new[] { cluster.RemoteAddress(0), cluster.RemoteAddress(1) }.Order(StringComparer.Ordinal), nodes.Order(StringComparer.Ordinal));
        Assert.True(stats.GetProperty("entities").GetInt32() >= users.Count, stats.ToString());
    }

    private static Task WaitForProgressAsync(SteadySender sender, int more, string what)
    {
        var target = sender.Accepted.Count + more;
        return Eventually.AssertAsync(() => Task.FromResult(sender.Accepted.Count >= target), TimeSpan.FromSeconds(120),
            () => $"{what} ({sender.Accepted.Count} of {target}; answers {sender.Summary})");
    }
}
