using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>The outbox's take / publish / mark cycle on the record store (SQLite), interleaved as a fast consumer does it.</summary>
public sealed class OutboxMarkTests
{
    [Fact(DisplayName = "An outcome written between publish and mark is not hidden by the mark: the retry is taken next")]
    public async Task Mark_after_outcome_keeps_the_retry_unqueued()
    {
        var (provider, connectionString) = await TestDatabases.CreateAsync(Db.Sqlite);
        var db = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connectionString });
        await db.EnsureSchemaAsync();
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
}
