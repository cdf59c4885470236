using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The outbox's take / publish / mark cycle on the record store, interleaved as a fast consumer does it (SQLite), and
/// what stays in its unqueued range (every server).
/// </summary>
public sealed class OutboxMarkTests
{
    [Fact(DisplayName = "An outcome written between publish and mark is not hidden by the mark: the retry is taken next")]
    public async Task Mark_after_outcome_keeps_the_retry_unqueued()
    {
        var db = await TestDatabases.CreateWithSchemaAsync(Db.Sqlite);
        var records = new RecordStore(db);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = Guid.NewGuid().ToString();
        await using (var c = await db.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await records.InsertAsync(c, tx, [new MessageRecord
            {
                MsgId = id, BatchId = "b", To = "x@example.com", Channel = 1, Priority = MessagePriority.Medium,
                Status = MessageStatus.Pending, NotBefore = now, CreateTime = now, ModifyTime = now,
            }], queued: false);
            await tx.CommitAsync();
        }

        // The relay takes and publishes attempt 1 …
        var first = Assert.Single(await records.TakeUnqueuedAsync(now, 10));
        Assert.Equal((QueueLane.Medium, 1), (first.Lane, first.Job.Attempt));
        // … a consumer delivers it and writes the outcome (a retry, due now) before the relay has its acknowledgement …
        await records.ApplyOutcomesAsync([new DeliveryOutcome(id, 1, MessageStatus.Retrying, now, 1, "p", "451", 1, 1, now, "n")]);
        // … and only then does the relay mark what it published.
        await records.MarkQueuedAsync([first.Job]);

        var retry = Assert.Single(await records.TakeUnqueuedAsync(now, 10));
        Assert.Equal((QueueLane.Retry, 2), (retry.Lane, retry.Job.Attempt));
        await records.MarkQueuedAsync([retry.Job]);
        Assert.Empty(await records.TakeUnqueuedAsync(now, 10));
    }

    [Theory(DisplayName = "Final records leave the outbox's unqueued range (sent, failed, cancelled are marked queued; a retry is unqueued again); a schema upgrade marks those an older database left unqueued")]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.PostgreSql)]
    [InlineData(Db.MariaDb)]
    public async Task Final_records_leave_the_outbox_range(Db server)
    {
        var db = await TestDatabases.CreateWithSchemaAsync(server);
        var records = new RecordStore(db);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var c = await db.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await records.InsertAsync(c, tx, [.. new[] { "a-sent", "b-failed", "c-cancelled", "d-retry", "e-open" }.Select(id => new MessageRecord
            {
                MsgId = id, BatchId = "b", To = "x@example.com", Channel = 1, Priority = MessagePriority.Medium,
                Status = MessageStatus.Pending, NotBefore = now, CreateTime = now, ModifyTime = now,
            })], queued: false);
            await tx.CommitAsync();
        }
        await records.ApplyOutcomesAsync([
            new DeliveryOutcome("a-sent", 1, MessageStatus.Sent, now, 1, "p", "", 1, 0, 0, "n"),
            new DeliveryOutcome("b-failed", 1, MessageStatus.Failed, now, 1, "p", "550", 1, 0, 0, "n"),
            new DeliveryOutcome("d-retry", 1, MessageStatus.Retrying, now, 1, "p", "451", 1, 1, now, "n")]);
        Assert.True(await records.CancelAsync("c-cancelled", now));

        async Task<string[]> UnqueuedAsync()
        {
            await using var c = await db.OpenAsync();
            return [.. await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT msg_id FROM mm_msg_records WHERE queued = 0 ORDER BY msg_id")];
        }
        Assert.Equal(["d-retry", "e-open"], await UnqueuedAsync());
        Assert.Equal(["d-retry", "e-open"], (await records.TakeUnqueuedAsync(now, 10)).Select(t => t.Job.MsgId).Order(StringComparer.Ordinal));

        // As a database of an earlier version left them: every record unqueued.
        await using (var c = await db.OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(c, "UPDATE mm_msg_records SET queued = 0");
        }
        await db.EnsureSchemaAsync();
        Assert.Equal(["d-retry", "e-open"], await UnqueuedAsync());
    }
}
