using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Priorities are real: with 20,000 low messages queued, high messages sent afterwards are delivered before the
/// low backlog drains. A class of its own: it leaves a backlog behind, which its node takes down with it.
/// </summary>
public abstract class PriorityTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : PipelineFixture
{
    private const int Low = 20_000;

    [Fact(DisplayName = "20,000 low queued, then high: every high is sent while low is still draining")]
    public async Task High_overtakes_low_backlog()
    {
        var node = fixture.Node;
        var lowSource = $"low_{Guid.NewGuid():N}"[..20];
        for (var batch = 0; batch < Low / 1000; batch++)
        {
            var to = Enumerable.Range(0, 1000).Select(i => $"low{batch}-{i}@example.com").ToArray();
            (await node.PostAsync("/msg/send_msg", new { to, channels = new[] { 1 }, content = "bulk", priority = 1 },
                new Dictionary<string, string> { ["Source-Id"] = lowSource })).ShouldSucceed();
        }

        var highIds = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            highIds.Add((await node.PostAsync("/msg/send_msg", new { to = $"vip{i}@example.com", channels = new[] { 1 }, content = "urgent", priority = 3 }))
                .ShouldSucceed()["msgID"].GetString()!);
        }

        await Eventually.AssertAsync(async () =>
        {
            foreach (var id in highIds)
            {
                if ((await node.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed()["status"].GetInt32() != 2)
                {
                    return false;
                }
            }
            return true;
        }, TimeSpan.FromSeconds(60), "every high message is sent");

        var lowSent = (await node.GetAsync($"/msg/list_msg_records?source_id={lowSource}&status=2&page_size=1")).ShouldSucceed()["total"].GetInt64();
        Assert.True(lowSent < Low, $"the low backlog had not drained when the last high was sent ({lowSent} of {Low} low sent)");
        Assert.True(fixture.Smtp.Messages.Count(m => m.Recipients[0].StartsWith("vip", StringComparison.Ordinal)) == highIds.Count);
    }
}

[Collection(TimingCollection.Name)]
public sealed class PriorityOnSqlQueueSqlite(SqlQueueOnSqlite fixture) : PriorityTests<SqlQueueOnSqlite>(fixture);

[Collection(TimingCollection.Name)]
public sealed class PriorityOnKafka(KafkaOnSqlite fixture) : PriorityTests<KafkaOnSqlite>(fixture);
