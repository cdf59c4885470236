using System.Text.Json;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Storage;
using MsgMate.Cli;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>What one run of the CLI printed and how it ended.</summary>
public sealed record CliRun(int Exit, string Out, string Err)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement.Clone();

    public CliRun ShouldSucceed()
    {
        Assert.True(Exit == 0, $"expected exit 0, got {Exit}; stdout: {Out}; stderr: {Err}");
        Assert.Equal("", Err);
        return this;
    }

    public CliRun ShouldExit(int exit, string reason)
    {
        Assert.True(Exit == exit, $"expected exit {exit}, got {Exit}; stdout: {Out}; stderr: {Err}");
        Assert.Contains(reason, Err);
        // One line: the reason, for a script's log.
        Assert.DoesNotContain('\n', Err.TrimEnd());
        return this;
    }

    /// <summary>The CLI's entry point in-process, with its output captured and no environment variables.</summary>
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await MsgMateCli.RunAsync(args, output, error, _ => null);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}

/// <summary>
/// The operator CLI against a real node in keys mode (a cluster of one), with the bootstrap admin key: every verb's
/// table and <c>--json</c> output, refusals (exit 1), usage errors (2), a wrong key and a node that is down (3).
/// </summary>
public sealed class CliTests(KeysModeFixture fixture) : IClassFixture<KeysModeFixture>
{
    private NodeHost Node => fixture.Node;

    private Task<CliRun> RunAsync(params string[] args) =>
        CliRun.RunAsync([.. args, "--node", Node.Client.BaseAddress!.ToString(), "--key", KeysModeFixture.AdminKey]);

    private async Task<string> SelfAddressAsync() => (await RunAsync("cluster", "show", "--json")).ShouldSucceed().Json.GetProperty("self").GetString()!;

    [Fact(DisplayName = "cluster show: this node Up, leader, oldest and self, as a table and as the node's JSON")]
    public async Task Cluster_show()
    {
        var json = (await RunAsync("cluster", "show", "--json")).ShouldSucceed().Json;
        Assert.Equal(0, json.GetProperty("code").GetInt32());
        var member = Assert.Single(json.GetProperty("members").EnumerateArray());
        var self = json.GetProperty("self").GetString()!;
        Assert.StartsWith("akka.tcp://msgmate@", self);
        Assert.Equal(self, member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("leader").GetBoolean() && member.GetProperty("oldest").GetBoolean() && member.GetProperty("self").GetBoolean());
        Assert.False(member.GetProperty("unreachable").GetBoolean());
        Assert.Empty(json.GetProperty("unreachable").EnumerateArray());

        var table = (await RunAsync("cluster", "show")).ShouldSucceed().Out;
        Assert.Contains("ADDRESS", table);
        Assert.Contains(self, table);
        Assert.Contains("Up", table);
    }

    [Fact(DisplayName = "cluster leader: the leader's address (one node: itself)")]
    public async Task Cluster_leader()
    {
        var self = await SelfAddressAsync();
        Assert.Equal(self, (await RunAsync("cluster", "leader")).ShouldSucceed().Out.Trim());
        Assert.Equal(self, (await RunAsync("cluster", "leader", "--json")).ShouldSucceed().Json.GetProperty("leader").GetString());
    }

    [Fact(DisplayName = "cluster sharding regions and stats: the entity types, shards and entities per node; an unknown type is refused (exit 1)")]
    public async Task Cluster_sharding()
    {
        var regions = (await RunAsync("cluster", "sharding", "regions", "--json")).ShouldSucceed().Json
            .GetProperty("regions").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(new[] { "schedule", "template", "user" }, regions);
        var table = (await RunAsync("cluster", "sharding", "regions")).ShouldSucceed().Out;
        Assert.All(regions, r => Assert.Contains(r, table));

        // A schedule entity woken on purpose: the schedule region holds at least one shard with one entity.
        await Node.GetAsync("/scheduled/get?schedule_id=cli-stats");
        var self = await SelfAddressAsync();
        var stats = (await RunAsync("cluster", "sharding", "stats", "schedule", "--json")).ShouldSucceed().Json;
        Assert.Equal("schedule", stats.GetProperty("type").GetString());
        var node = Assert.Single(stats.GetProperty("nodes").EnumerateArray());
        Assert.Equal(self, node.GetProperty("address").GetString());
        Assert.Equal(stats.GetProperty("shards").GetInt32(), node.GetProperty("shards").GetInt32());
        Assert.Equal(stats.GetProperty("entities").GetInt32(), node.GetProperty("entities").GetInt32());
        var statsTable = (await RunAsync("cluster", "sharding", "stats", "schedule")).ShouldSucceed().Out;
        Assert.Contains(self, statsTable);
        Assert.Contains("total", statsTable);

        (await RunAsync("cluster", "sharding", "stats", "no-such-type")).ShouldExit(ExitCodes.Refused, "no shard region of type 'no-such-type'");
    }

    [Fact(DisplayName = "cluster leave / down: an unknown member is refused (404 → exit 1), a malformed address too (400 → exit 1)")]
    public async Task Cluster_leave_and_down_refusals()
    {
        (await RunAsync("cluster", "leave", "akka.tcp://msgmate@127.0.0.1:1")).ShouldExit(ExitCodes.Refused, "is not a member of this cluster");
        (await RunAsync("cluster", "down", "akka.tcp://msgmate@127.0.0.1:1")).ShouldExit(ExitCodes.Refused, "code 8053, HTTP 404");
        (await RunAsync("cluster", "down", "not-an-address")).ShouldExit(ExitCodes.Refused, "code 8020, HTTP 400");
        // The node is still the one Up member.
        Assert.Equal("Up", (await RunAsync("cluster", "show", "--json")).ShouldSucceed().Json.GetProperty("members")[0].GetProperty("status").GetString());
    }

    [Fact(DisplayName = "cluster down-unreachable: nothing to down in a healthy cluster (dry run and for real), as text and JSON")]
    public async Task Cluster_down_unreachable()
    {
        Assert.Contains("nothing to down", (await RunAsync("cluster", "down-unreachable", "--dry-run")).ShouldSucceed().Out);
        Assert.Contains("nothing to down", (await RunAsync("cluster", "down-unreachable")).ShouldSucceed().Out);
        Assert.Empty((await RunAsync("cluster", "down-unreachable", "--json")).ShouldSucceed().Json.GetProperty("addresses").EnumerateArray());
    }

    [Fact(DisplayName = "msg get and cancel: a message sent for later shows as scheduled, cancels, then shows cancelled; a second cancel and an unknown id are refused")]
    public async Task Msg_get_and_cancel()
    {
        var later = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var id = (await Node.PostAsync("/msg/send_msg", new { to = "cli-later@example.com", channels = new[] { 1 }, content = "later", sendTimestamp = later }))
            .ShouldSucceed()["msgID"].GetString()!;

        var table = (await RunAsync("msg", "get", id)).ShouldSucceed().Out;
        Assert.Contains(id, table);
        Assert.Contains("scheduled", table);
        Assert.Contains("email", table);
        var json = (await RunAsync("msg", "get", id, "--json")).ShouldSucceed().Json;
        Assert.Equal(id, json.GetProperty("msgID").GetString());
        Assert.Equal(6, json.GetProperty("status").GetInt32());

        Assert.Contains($"{id} is cancelled", (await RunAsync("msg", "cancel", id)).ShouldSucceed().Out);
        Assert.Equal(5, (await RunAsync("msg", "get", id, "--json")).ShouldSucceed().Json.GetProperty("status").GetInt32());
        (await RunAsync("msg", "cancel", id)).ShouldExit(ExitCodes.Refused, "refused:");
        (await RunAsync("msg", "cancel", "no-such-message")).ShouldExit(ExitCodes.Refused, "code 8050, HTTP 404");
        (await RunAsync("msg", "get", "no-such-message")).ShouldExit(ExitCodes.Refused, "code 8050, HTTP 404");
    }

    [Fact(DisplayName = "msg resend: a failed message (by id) and a failed send (--batch) are re-driven; neither or both is a usage error (exit 2)")]
    public async Task Msg_resend()
    {
        // Lark is not configured on this node: the message fails at once, permanently.
        var sent = (await Node.PostAsync("/msg/send_msg", new { to = "ou_cli_resend", channels = new[] { 3 }, content = "fails" })).ShouldSucceed();
        var (id, batch) = (sent["msgID"].GetString()!, sent["batchID"].GetString()!);
        async Task WaitFailedAsync() => await Eventually.AssertAsync(
            async () => (await RunAsync("msg", "get", id, "--json")).ShouldSucceed().Json.GetProperty("status").GetInt32() == 3,
            TimeSpan.FromSeconds(60), "the Lark message failed");
        await WaitFailedAsync();

        Assert.Contains("re-driven: 1 message(s)", (await RunAsync("msg", "resend", id)).ShouldSucceed().Out);
        await WaitFailedAsync();
        Assert.Equal(1, (await RunAsync("msg", "resend", "--batch", batch, "--json")).ShouldSucceed().Json.GetProperty("count").GetInt32());
        await WaitFailedAsync();

        (await RunAsync("msg", "resend")).ShouldExit(ExitCodes.Usage, "exactly one of them");
        (await RunAsync("msg", "resend", id, "--batch", batch)).ShouldExit(ExitCodes.Usage, "exactly one of them");
        (await RunAsync("msg", "resend", "no-such-message")).ShouldExit(ExitCodes.Refused, "HTTP 404");
    }

    [Fact(DisplayName = "queue lag: the four lanes high first; records waiting for later count as waiting on their lane (retrying ones on the retry lane), with the next one's time; SQL queue: no consumer lag")]
    public async Task Queue_lag()
    {
        // Records stored straight into the node's record store, due tomorrow: they wait on their lanes for the whole test.
        var store = new RecordStore(new SqlDatabase(new StorageOptions { Provider = "sqlite", ConnectionString = fixture.ConnectionString }));
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds();
        MessageRecord Waiting(string id, int status) => new()
        {
            MsgId = $"cli-lag-{id}-{Guid.NewGuid():N}"[..36], BatchId = "cli-lag", SourceId = "cli", To = "lag@example.com", Channel = 1,
            Priority = MessagePriority.High, Status = status, NotBefore = tomorrow, CreateTime = tomorrow,
        };
        await using (var c = await store.Database.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await store.InsertAsync(c, tx, [Waiting("p1", MessageStatus.Pending), Waiting("p2", MessageStatus.Pending),
                Waiting("r1", MessageStatus.Retrying), Waiting("r2", MessageStatus.Retrying), Waiting("r3", MessageStatus.Retrying)], queued: true);
            await tx.CommitAsync();
        }

        var json = (await RunAsync("queue", "lag", "--json")).ShouldSucceed().Json;
        Assert.Equal("sql", json.GetProperty("queue").GetString());
        var lanes = json.GetProperty("lanes").EnumerateArray().ToDictionary(l => l.GetProperty("lane").GetString()!);
        Assert.Equal(["high", "medium", "low", "retry"], lanes.Keys);
        Assert.True(lanes["high"].GetProperty("waiting").GetInt64() >= 2, lanes["high"].ToString());
        Assert.True(lanes["retry"].GetProperty("waiting").GetInt64() >= 3, lanes["retry"].ToString());
        var nextIn = lanes["retry"].GetProperty("next_waiting_in_ms").GetInt64();
        Assert.InRange(nextIn, 1, (long)TimeSpan.FromDays(1).TotalMilliseconds);
        Assert.All(lanes.Values, l => Assert.Equal(JsonValueKind.Null, l.GetProperty("consumer_lag").ValueKind));

        var table = (await RunAsync("queue", "lag")).ShouldSucceed().Out;
        Assert.Contains("IN FLIGHT", table);
        Assert.Contains("NEXT WAITING", table);
        Assert.Contains("SQL table", table);
        Assert.DoesNotContain("CONSUMER LAG", table);
    }

    [Fact(DisplayName = "dead-letters list and redrive: failed messages listed with their error, re-driven by id and by channel (until none is left); no selection is a usage error (exit 2), a bad channel a refusal (exit 1)")]
    public async Task Dead_letters()
    {
        // Lark is not configured on this node: every Lark message fails at once, for good.
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await Node.PostAsync("/msg/send_msg", new { to = $"ou_cli_dead_{i}", channels = new[] { 3 }, content = "fails" })).ShouldSucceed()["msgID"].GetString()!);
        }
        async Task<List<JsonElement>> LarkLettersAsync() =>
            [.. (await RunAsync("dead-letters", "list", "--channel", "3", "--page-size", "100", "--json")).ShouldSucceed().Json
                .GetProperty("dead_letters").EnumerateArray().Where(d => ids.Contains(d.GetProperty("msg_id").GetString()!))];
        await Eventually.AssertAsync(async () => (await LarkLettersAsync()).Count == 3, TimeSpan.FromSeconds(60), "three Lark dead letters");
        var letter = (await LarkLettersAsync()).First();
        Assert.Equal(3, letter.GetProperty("channel").GetInt32());
        Assert.NotEqual("", letter.GetProperty("error").GetString());
        var table = (await RunAsync("dead-letters", "list")).ShouldSucceed().Out;
        Assert.All(ids, id => Assert.Contains(id, table));
        Assert.Contains("lark", table);

        Assert.Contains("re-driven: 1 message(s)", (await RunAsync("dead-letters", "redrive", ids[0])).ShouldSucceed().Out);
        await Eventually.AssertAsync(async () => (await LarkLettersAsync()).Count == 3, TimeSpan.FromSeconds(60), "the re-driven message failed again");
        var byChannel = (await RunAsync("dead-letters", "redrive", "--channel", "3", "--json")).ShouldSucceed().Json;
        Assert.True(byChannel.GetProperty("count").GetInt32() >= 3, byChannel.ToString());
        Assert.Equal(0, byChannel.GetProperty("remaining").GetInt64());

        (await RunAsync("dead-letters", "redrive")).ShouldExit(ExitCodes.Usage, "needs IDs, --channel N or --all");
        (await RunAsync("dead-letters", "list", "--channel", "99")).ShouldExit(ExitCodes.Refused, "HTTP 400");
    }

    [Fact(DisplayName = "schedule list, get, pause, resume, cancel: each as the node decides; a second cancel is refused (exit 1)")]
    public async Task Schedule_verbs()
    {
        var at = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-ddTHH:mm:sszzz");
        var id = (await Node.PostAsync("/scheduled/create", new { to = "cli-schedule@example.com", channels = new[] { 1 }, content = "x", scheduled_time = at }))
            .ShouldSucceed()["schedule_id"].GetString()!;

        Assert.Contains(id, (await RunAsync("schedule", "list")).ShouldSucceed().Out);
        Assert.Contains((await RunAsync("schedule", "list", "--status", "pending", "--json")).ShouldSucceed().Json.GetProperty("messages").EnumerateArray(),
            s => s.GetProperty("schedule_id").GetString() == id);
        Assert.Contains("pending", (await RunAsync("schedule", "get", id)).ShouldSucceed().Out);

        Assert.Contains($"{id} is paused", (await RunAsync("schedule", "pause", id)).ShouldSucceed().Out);
        Assert.Equal(5, (await RunAsync("schedule", "get", id, "--json")).ShouldSucceed().Json.GetProperty("message").GetProperty("status").GetInt32());
        Assert.Contains($"{id} is resumed", (await RunAsync("schedule", "resume", id)).ShouldSucceed().Out);
        Assert.Equal(1, (await RunAsync("schedule", "get", id, "--json")).ShouldSucceed().Json.GetProperty("message").GetProperty("status").GetInt32());
        Assert.Equal(0, (await RunAsync("schedule", "cancel", id, "--json")).ShouldSucceed().Json.GetProperty("code").GetInt32());
        Assert.Contains("cancelled", (await RunAsync("schedule", "get", id)).ShouldSucceed().Out);

        (await RunAsync("schedule", "cancel", id)).ShouldExit(ExitCodes.Refused, "HTTP 409");
        (await RunAsync("schedule", "get", "no-such-schedule")).ShouldExit(ExitCodes.Refused, "code 8051, HTTP 404");
        (await RunAsync("schedule", "list", "--status", "bogus")).ShouldExit(ExitCodes.Usage, "bogus");
    }

    [Fact(DisplayName = "node health: alive and ready with every check, as a table and as JSON")]
    public async Task Node_health()
    {
        var table = (await RunAsync("node", "health")).ShouldSucceed().Out;
        Assert.Contains("alive: yes", table);
        Assert.Contains("ready: yes", table);
        Assert.Contains("cluster", table);
        Assert.Contains("store", table);
        var json = (await RunAsync("node", "health", "--json")).ShouldSucceed().Json;
        Assert.True(json.GetProperty("alive").GetBoolean() && json.GetProperty("ready").GetBoolean());
        Assert.Equal("healthy", json.GetProperty("readyz").GetProperty("checks").GetProperty("cluster").GetProperty("status").GetString());
    }

    [Fact(DisplayName = "A wrong key, no key and a key without the admin scope: exit 3 with the node's reason")]
    public async Task Unauthorised_is_exit_3()
    {
        var node = Node.Client.BaseAddress!.ToString();
        (await CliRun.RunAsync("cluster", "show", "--node", node, "--key", "mm_000000000000.wrong")).ShouldExit(ExitCodes.Unreachable, "unauthorised");
        (await CliRun.RunAsync("cluster", "show", "--node", node)).ShouldExit(ExitCodes.Unreachable, "HTTP 401");
        var reader = (await Node.PostAsync("/admin/keys", new { source_id = "cli-reader", scopes = new[] { "read" } })).ShouldSucceed()["key"].GetString()!;
        (await CliRun.RunAsync("cluster", "show", "--node", node, "--key", reader)).ShouldExit(ExitCodes.Unreachable, "HTTP 403");
        // The key from the environment when --key is not given.
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await MsgMateCli.RunAsync(["cluster", "leader"], output, error,
            name => name switch { MsgMateCli.NodeVariable => node, MsgMateCli.KeyVariable => KeysModeFixture.AdminKey, _ => null });
        Assert.True(exit == 0, error.ToString());
        Assert.StartsWith("akka.tcp://", output.ToString());
        // Help never shows the key from the environment (it is a secret).
        var help = new StringWriter();
        Assert.Equal(0, await MsgMateCli.RunAsync(["cluster", "show", "--help"], help, TextWriter.Null,
            name => name == MsgMateCli.KeyVariable ? KeysModeFixture.AdminKey : null));
        Assert.DoesNotContain(KeysModeFixture.AdminKey, help.ToString());
    }

    [Fact(DisplayName = "A node that is down (a closed loopback port): exit 3, one line saying it is unreachable")]
    public async Task Node_down_is_exit_3()
    {
        var closed = $"http://127.0.0.1:{NodeProcess.FreePort()}";
        (await CliRun.RunAsync("cluster", "show", "--node", closed)).ShouldExit(ExitCodes.Unreachable, $"unreachable: {closed}");
        (await CliRun.RunAsync("node", "health", "--node", closed)).ShouldExit(ExitCodes.Unreachable, "unreachable");
    }

    [Fact(DisplayName = "Usage errors: no verb, an unknown verb, a missing argument, a bad --node: exit 2")]
    public async Task Usage_errors_are_exit_2()
    {
        (await RunAsync("cluster")).ShouldExit(ExitCodes.Usage, "msgmate:");
        (await RunAsync("bogus")).ShouldExit(ExitCodes.Usage, "bogus");
        (await RunAsync("msg", "get")).ShouldExit(ExitCodes.Usage, "msgmate:");
        (await RunAsync("cluster", "sharding", "stats")).ShouldExit(ExitCodes.Usage, "msgmate:");
        (await CliRun.RunAsync("cluster", "show", "--node", "ftp://example")).ShouldExit(ExitCodes.Usage, "not an http(s) address");
    }

    [Theory(DisplayName = "--help on every verb: exit 0 and the verb's description")]
    [InlineData("cluster show", "address, status")]
    [InlineData("cluster leader", "leader")]
    [InlineData("cluster leave", "ADDR")]
    [InlineData("cluster down", "ADDR")]
    [InlineData("cluster down-unreachable", "--dry-run")]
    [InlineData("cluster sharding regions", "entity types")]
    [InlineData("cluster sharding stats", "TYPE")]
    [InlineData("queue lag", "consumer lag")]
    [InlineData("dead-letters list", "--channel")]
    [InlineData("dead-letters redrive", "--all")]
    [InlineData("msg get", "ID")]
    [InlineData("msg resend", "--batch")]
    [InlineData("msg cancel", "ID")]
    [InlineData("schedule list", "--status")]
    [InlineData("schedule get", "ID")]
    [InlineData("schedule cancel", "ID")]
    [InlineData("schedule pause", "ID")]
    [InlineData("schedule resume", "ID")]
    [InlineData("node health", "/readyz")]
    [InlineData("", "--node")]
    public async Task Help_on_every_verb(string verb, string expected)
    {
        var run = await CliRun.RunAsync([.. verb.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        run.ShouldSucceed();
        Assert.Contains(expected, run.Out);
        Assert.Contains("--json", run.Out);
    }
}
