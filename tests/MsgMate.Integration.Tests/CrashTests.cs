using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Nothing accepted is lost: the node process is killed (SIGKILL) while 10,000 messages are in flight and started
/// again on the same database; every accepted message reaches a final state. Duplicates at the SMTP server can
/// only come from a crash between the provider call and the record write; the test reports how many.
/// </summary>
public abstract partial class CrashTests(ITestOutputHelper output)
{
    [System.Text.RegularExpressions.GeneratedRegex(@"Message-Id:\s*<([0-9a-f-]{36})@", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex MessageId();

    private const int Messages = 10_000;

    protected abstract Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync();

    [Fact(DisplayName = "Killed with 10,000 in flight and restarted: every accepted message reaches a final state, and no more are sent twice than the lanes had in flight")]
    public async Task Kill_and_restart()
    {
        await using var smtp = new ScriptedSmtpServer();
        var (_, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        var (settings, broker) = await QueueSettingsAsync();
        await using var _ = broker;
        settings["MsgMate:Storage:Provider"] = "sqlite";
        settings["MsgMate:Storage:ConnectionString"] = connection;
        // The same cluster address after the restart, as a real node has: its earlier incarnation's leases are given back.
        settings["MsgMate:Cluster:Port"] = NodeProcess.FreePort().ToString();
        settings["MsgMate:Email:Host"] = smtp.Host;
        settings["MsgMate:Email:Port"] = smtp.Port.ToString();
        settings["MsgMate:Email:TlsMode"] = "None";
        settings["MsgMate:Email:From"] = "noreply@msgmate.test";
        var port = NodeProcess.FreePort();

        var accepted = new HashSet<string>();
        await using (var node = await NodeProcess.StartAsync(settings, port))
        {
            for (var batch = 0; batch < Messages / 1000; batch++)
            {
                var to = Enumerable.Range(0, 1000).Select(i => $"crash{batch}-{i}@example.com").ToArray();
                var sent = (await node.Http.PostAsync("/msg/send_msg", new { to, channels = new[] { 1 }, content = "crash test", priority = 1 + batch % 3 }))
                    .ShouldSucceed();
                accepted.UnionWith(sent["msgIDs"].EnumerateArray().Select(e => e.GetString()!));
            }
            await Eventually.AssertAsync(() => Task.FromResult(smtp.Messages.Count >= 500), TimeSpan.FromSeconds(60), "deliveries under way");
            node.Kill();
        }
        var beforeRestart = smtp.Messages.Count;
        output.WriteLine($"killed after {beforeRestart} deliveries of {Messages}");
        Assert.True(beforeRestart < Messages, "the node was killed while messages were still in flight");

        var restart = System.Diagnostics.Stopwatch.StartNew();
        await using (var node = await NodeProcess.StartAsync(settings, port))
        {
            var started = restart.Elapsed;
            // The restarted node's lease release (SQL queue; the lease is 10 minutes, so expiry cannot be what brings them
            // back) or redelivery (Kafka) brings the in-flight records back; the drain may be slow on a loaded machine,
            // so the wait is on progress, not on a total.
            await Eventually.DrainsAsync(async () =>
                (await node.Http.GetAsync("/msg/list_msg_records?status=1&page_size=1")).ShouldSucceed()["total"].GetInt64()
                + (await node.Http.GetAsync("/msg/list_msg_records?status=4&page_size=1")).ShouldSucceed()["total"].GetInt64(),
                TimeSpan.FromSeconds(120), "records left pending or retrying");
            // Printed, not asserted: how long recovery took on this machine (bench/README.md keeps the numbers).
            output.WriteLine($"{GetType().Name}: restarted node answered after {started.TotalSeconds:0.0} s; every record final {(restart.Elapsed - started).TotalSeconds:0.0} s later ({Messages - beforeRestart} were not delivered before the kill)");
            var sent = (await node.Http.GetAsync("/msg/list_msg_records?status=2&page_size=1")).ShouldSucceed()["total"].GetInt64();
            Assert.Equal(Messages, sent);
        }

        // Each mail's Message-Id is <msgID@domain>.
        var byMessage = smtp.Messages.GroupBy(m => MessageId().Match(m.Data).Groups[1].Value).ToList();
        Assert.All(byMessage, g => Assert.Contains(g.Key, accepted));
        Assert.Equal(Messages, byMessage.Count);
        var duplicates = smtp.Messages.Count - byMessage.Count;
        output.WriteLine($"SMTP server received {smtp.Messages.Count} mails for {Messages} messages: {duplicates} duplicate(s)");
        // A lane's slot is held from the start of a send until its outcome is durable: what the kill can have sent
        // without a record is at most every lane's parallelism.
        var d = new MsgMate.Actors.Delivery.DeliveryOptions();
        var inFlight = d.HighParallelism + d.MediumParallelism + d.LowParallelism + d.RetryParallelism;
        Assert.True(duplicates <= inFlight, $"{duplicates} duplicates; at most {inFlight} (the lanes' total parallelism) can be in flight");
    }
}

[Collection(TimingCollection.Name)]
public sealed class CrashOnSqlQueue(ITestOutputHelper output) : CrashTests(output)
{
    protected override Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync() =>
        Task.FromResult<(Dictionary<string, string?>, IAsyncDisposable?)>((new Dictionary<string, string?>
        {
            ["MsgMate:Queue:SqlQueue"] = "true",
            ["MsgMate:Delivery:Lease"] = "00:10:00",
        }, null));
}

[Collection(TimingCollection.Name)]
public sealed class CrashOnKafka(ITestOutputHelper output) : CrashTests(output)
{
    protected override Task<(Dictionary<string, string?> Settings, IAsyncDisposable? Broker)> QueueSettingsAsync() =>
        Task.FromResult<(Dictionary<string, string?>, IAsyncDisposable?)>(KafkaOnSqlite.StartBrokerWithSettings());
}
