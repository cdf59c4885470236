using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The queue's admin routes against a real node on both queue modes: the lanes after a delivered send (on Kafka the
/// consumer lag from the brokers back at 0 once the lanes have committed), and a message refused for good by the SMTP
/// server listed as a dead letter, then re-driven and delivered. Concrete classes at the end.
/// </summary>
public abstract class QueueAdminTests<TFixture>(TFixture fixture, bool kafka) : IClassFixture<TFixture> where TFixture : PipelineFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private NodeHost Node => fixture.Node;

    private ScriptedSmtpServer Smtp => fixture.Smtp;

    private async Task<string> SendAsync(string to, int priority) =>
        (await Node.PostAsync("/msg/send_msg", new { to, channels = new[] { 1 }, subject = "s", content = "queue admin", priority }))
        .ShouldSucceed()["msgID"].GetString()!;

    private Task WaitForStatusAsync(string id, int status) => Eventually.AssertAsync(
        async () => (await Node.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed()["status"].GetInt32() == status,
        Patience, $"message {id} reaches status {status}");

    [Fact(DisplayName = "GET /admin/queue after sends on every priority are delivered: four lanes, nothing due or in flight; on Kafka every lane's consumer lag back at 0 over its partitions")]
    public async Task Lanes_after_delivery()
    {
        var ids = new List<string>();
        foreach (var priority in new[] { 1, 2, 3 })
        {
            ids.Add(await SendAsync($"lanes-{priority}-{Guid.NewGuid():N}@example.com", priority));
        }
        foreach (var id in ids)
        {
            await WaitForStatusAsync(id, 2);
        }
        Answer answer = null!;
        await Eventually.AssertAsync(async () =>
        {
            answer = (await Node.GetAsync("/admin/queue")).ShouldSucceed();
            var lanes = answer["lanes"].EnumerateArray().ToList();
            return lanes.All(l => l.GetProperty("due").GetInt64() == 0 && l.GetProperty("in_flight").GetInt64() == 0)
                // The brokers may miss an ask on a loaded machine (lag_problem, no lag): asked again at the next poll.
                && (!kafka || lanes.All(l => l.GetProperty("consumer_lag") is { ValueKind: System.Text.Json.JsonValueKind.Number } lag && lag.GetInt64() == 0));
        }, Patience, () => $"every lane empty and committed: {answer?.Body}");

        Assert.Equal(kafka ? "kafka" : "sql", answer["queue"].GetString());
        var byLane = answer["lanes"].EnumerateArray().ToDictionary(l => l.GetProperty("lane").GetString()!);
        Assert.Equal(["high", "medium", "low", "retry"], byLane.Keys);
        if (kafka)
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Null, answer["lag_problem"].ValueKind);
            Assert.All(byLane.Values, l => Assert.Equal(3, l.GetProperty("partitions").GetInt32()));
            Assert.Equal("msgmate.high", byLane["high"].GetProperty("topic").GetString());
        }
        else
        {
            Assert.All(byLane.Values, l => Assert.Equal(System.Text.Json.JsonValueKind.Null, l.GetProperty("consumer_lag").ValueKind));
        }
    }

    [Fact(DisplayName = "A message the SMTP server refuses for good (550) is a dead letter with its error; re-driven once the server accepts, it is delivered and no dead letter any more")]
    public async Task Dead_letter_redriven()
    {
        string id;
        Smtp.ClearScript().RejectAllDeliveries(550);
        try
        {
            id = await SendAsync($"dead-{Guid.NewGuid():N}@example.com", 2);
            await WaitForStatusAsync(id, 3);
        }
        finally
        {
            Smtp.ClearScript();
        }
        var letters = (await Node.GetAsync("/admin/dead-letters?channel=1&page_size=100")).ShouldSucceed()["dead_letters"].EnumerateArray().ToList();
        var letter = Assert.Single(letters, l => l.GetProperty("msg_id").GetString() == id);
        Assert.Contains("550", letter.GetProperty("error").GetString());
        Assert.Equal(1, letter.GetProperty("attempts").GetInt32());

        var redriven = (await Node.PostAsync("/admin/dead-letters/redrive", new { msg_ids = new[] { id } })).ShouldSucceed();
        Assert.Equal(1, redriven["count"].GetInt32());
        await WaitForStatusAsync(id, 2);
        Assert.DoesNotContain((await Node.GetAsync("/admin/dead-letters?page_size=100")).ShouldSucceed()["dead_letters"].EnumerateArray(),
            l => l.GetProperty("msg_id").GetString() == id);
        (await Node.PostAsync("/admin/dead-letters/redrive", new { limit = 5 })).ShouldFail(8020, 400);
    }
}

public sealed class QueueAdminOnSqlQueue(SqlQueueOnSqlite fixture) : QueueAdminTests<SqlQueueOnSqlite>(fixture, kafka: false);

public sealed class QueueAdminOnKafka(KafkaOnSqlite fixture) : QueueAdminTests<KafkaOnSqlite>(fixture, kafka: true);
