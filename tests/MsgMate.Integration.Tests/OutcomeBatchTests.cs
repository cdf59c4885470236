using Dapper;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// One batch of delivery outcomes written on every supported server (on PostgreSQL a batch of distinct messages runs
/// as array statements, others row by row): the same records, attempt history and dead letters either way.
/// </summary>
public abstract class OutcomeBatchTests(Db db)
{
    private const long T = 5_000_000;

    private async Task<RecordStore> StoreWithAsync(params string[] ids)
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var store = new RecordStore(database);
        await using var c = await database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await store.InsertAsync(c, tx, [.. ids.Select(id => new MessageRecord
        {
            MsgId = id, BatchId = "b", To = $"{id}@example.com", Channel = 1, Priority = MessagePriority.Medium, Status = MessageStatus.Pending,
            NotBefore = T, CreateTime = T, ModifyTime = T,
        })], queued: true);
        await tx.CommitAsync();
        return store;
    }

    private static async Task<string[]> HistoryAsync(RecordStore store)
    {
        await using var c = await store.Database.OpenAsync();
        var attempts = await c.QueryAsync<(string MsgId, int Attempt, string Provider, int Outcome, string Error, long RetryAt, string ProviderMsgId)>(
            "SELECT msg_id, attempt, provider, outcome, error, retry_at, provider_msg_id FROM mm_msg_attempts ORDER BY msg_id, attempt");
        var dead = await c.QueryAsync<(string MsgId, string Error)>("SELECT msg_id, error FROM mm_dead_letters ORDER BY msg_id");
        return [.. attempts.Select(a => $"{a.MsgId}#{a.Attempt} {a.Provider} {a.Outcome} '{a.Error}' {a.RetryAt} '{a.ProviderMsgId}'"),
            .. dead.Select(d => $"dead {d.MsgId} '{d.Error}'")];
    }

    [Fact(DisplayName = "A batch of distinct messages: sent, failed over then sent, retrying, failed (a dead letter), deferred, and a stale attempt that changes nothing")]
    public async Task Distinct_messages()
    {
        var store = await StoreWithAsync("a", "b", "c", "d", "e", "f");
        await store.ApplyOutcomesAsync([new DeliveryOutcome("f", 1, MessageStatus.Retrying, T + 1, 1, "p1", "451 busy", 3, 1, T + 10_000, "n1")]);

        await store.ApplyOutcomesAsync([
            new DeliveryOutcome("a", 1, MessageStatus.Sent, T + 100, 1, "p1", "", 4, 0, 0, "n1", ProviderMessageId: "pid-a"),
            new DeliveryOutcome("b", 2, MessageStatus.Sent, T + 100, 1, "p2", "", 6, 0, 0, "n1",
                FailedOver: [new ProviderTry("p1", SendResult.RetryableFailure, "421 down", 2, "", null)]),
            new DeliveryOutcome("c", 1, MessageStatus.Retrying, T + 100, 1, "p1", "451 later", 5, 1, T + 2_000, "n2"),
            new DeliveryOutcome("d", 1, MessageStatus.Failed, T + 100, 1, "p1", "550 no such user", 5, 0, 0, "n2"),
            new DeliveryOutcome("e", 0, MessageStatus.Pending, T + 100, 1, "p1", "over rate", 0, 0, T + 700, "n2", Deferred: true),
            // f is at attempt 1 already: a redelivered attempt 1 is not written again.
            new DeliveryOutcome("f", 1, MessageStatus.Sent, T + 100, 1, "p1", "", 4, 0, 0, "n2")]);

        var r = (await store.GetManyAsync(["a", "b", "c", "d", "e", "f"])).ToDictionary(x => x.MsgId);
        Assert.Equal((MessageStatus.Sent, 1, T + 100, "pid-a"), (r["a"].Status, r["a"].Attempts, r["a"].SentTime, r["a"].ProviderMessageId));
        Assert.Equal((MessageStatus.Sent, 2), (r["b"].Status, r["b"].Attempts));
        Assert.Equal((MessageStatus.Retrying, 1, 1, T + 2_000, "451 later"), (r["c"].Status, r["c"].Attempts, r["c"].RetryCount, r["c"].NotBefore, r["c"].LastError));
        Assert.Equal((MessageStatus.Failed, "550 no such user"), (r["d"].Status, r["d"].LastError));
        Assert.Equal((MessageStatus.Pending, 0, T + 700, "over rate"), (r["e"].Status, r["e"].Attempts, r["e"].NotBefore, r["e"].LastError));
        Assert.Equal((MessageStatus.Retrying, 1, T + 10_000), (r["f"].Status, r["f"].Attempts, r["f"].NotBefore));
        Assert.Equal(
            [
                "a#1 p1 2 '' 0 'pid-a'",
                "b#1 p1 4 '421 down' 0 ''",
                "b#2 p2 2 '' 0 ''",
                "c#1 p1 4 '451 later' " + (T + 2_000) + " ''",
                "d#1 p1 3 '550 no such user' 0 ''",
                "f#1 p1 4 '451 busy' " + (T + 10_000) + " ''",
                "dead d '550 no such user'",
            ],
            await HistoryAsync(store));
    }

    [Fact(DisplayName = "One message twice in a batch (a redelivered job): the outcomes apply in order, as row by row — the later attempt wins, both are in the history")]
    public async Task Same_message_twice()
    {
        var store = await StoreWithAsync("a", "b");
        await store.ApplyOutcomesAsync([
            new DeliveryOutcome("a", 1, MessageStatus.Retrying, T + 100, 1, "p1", "451", 5, 1, T + 100, "n1"),
            new DeliveryOutcome("b", 1, MessageStatus.Sent, T + 100, 1, "p1", "", 5, 0, 0, "n1"),
            new DeliveryOutcome("a", 2, MessageStatus.Sent, T + 200, 1, "p1", "", 5, 0, 0, "n1"),
            new DeliveryOutcome("a", 2, MessageStatus.Failed, T + 300, 1, "p1", "550", 5, 0, 0, "n1")]);

        var a = (await store.GetAsync("a"))!;
        Assert.Equal((MessageStatus.Sent, 2, T + 200), (a.Status, a.Attempts, a.SentTime));
        Assert.Equal(["a#1 p1 4 '451' " + (T + 100) + " ''", "a#2 p1 2 '' 0 ''", "b#1 p1 2 '' 0 ''"], await HistoryAsync(store));
    }
}

public sealed class OutcomeBatchOnSqlite() : OutcomeBatchTests(Db.Sqlite);

public sealed class OutcomeBatchOnPostgreSql() : OutcomeBatchTests(Db.PostgreSql);

public sealed class OutcomeBatchOnMariaDb() : OutcomeBatchTests(Db.MariaDb);
