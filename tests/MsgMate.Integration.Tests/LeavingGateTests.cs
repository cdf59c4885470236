using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Hosting;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>What a leaving node answers (the leave itself, SIGTERM to exit, is in <see cref="ClusterLifeTests"/>).</summary>
public sealed class LeavingGateTests
{
    [Fact(DisplayName = "A leaving node refuses a send with 503, code 8070 and Retry-After, stores nothing, and is unready but alive")]
    public async Task Leaving_node_refuses_new_work()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        await using var node = await NodeHost.StartAsync(provider, connection,
            new Dictionary<string, string?> { ["MsgMate:Email:OutboxFolder"] = Path.Combine(Path.GetTempPath(), $"msgmate-outbox-{Guid.NewGuid():N}") });
        var body = new { to = "leaving@example.com", channels = new[] { 1 }, content = "x" };
        (await node.PostAsync("/msg/send_msg", body)).ShouldSucceed();
        using (var ready = await node.Client.GetAsync("/readyz"))
        {
            Assert.Equal(200, (int)ready.StatusCode);
        }

        node.Services.GetRequiredService<NodeLifecycle>().MarkLeaving("test");

        using (var refused = await node.Client.PostAsync("/msg/send_msg", System.Net.Http.Json.JsonContent.Create(body)))
        {
            var answer = await Answer.ReadAsync(refused);
            answer.ShouldFail(8070, 503);
            Assert.Equal(TimeSpan.FromSeconds(NodeLifecycle.RetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("leaving", answer.Msg);
        }
        using (var ready = await node.Client.GetAsync("/readyz"))
        {
            Assert.Equal(503, (int)ready.StatusCode);
            var report = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("unhealthy", report.GetProperty("checks").GetProperty("leaving").GetProperty("status").GetString());
        }
        using (var alive = await node.Client.GetAsync("/healthz"))
        {
            Assert.Equal(200, (int)alive.StatusCode);
        }
        // Reads need the node too (entities are being handed over): refused alike, and nothing was stored by the refusal.
        (await node.GetAsync("/msg/list_msg_records?page_size=1")).ShouldFail(8070, 503);
        var records = node.Services.GetRequiredService<MsgMate.Actors.Storage.SqlDatabase>();
        await using var db = await records.OpenAsync();
        Assert.Equal(1, await Dapper.SqlMapper.ExecuteScalarAsync<long>(db, "SELECT COUNT(*) FROM mm_msg_records"));
    }
}
