using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// What <c>queue lag</c> and <c>dead-letters</c> read from the record store, on every supported server: the lanes'
/// due, leased, waiting and unpublished counts at one instant, and dead letters listed, filtered and re-driven.
/// </summary>
public abstract class QueueInspectionTests(Db db)
{
    private const long Now = 1_000_000;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private static MessageRecord Record(string id, int status, int priority = MessagePriority.Medium, long notBefore = 0, int channel = 1) => new()
    {
        MsgId = id, BatchId = "b", SourceId = "src", To = $"{id}@example.com", Channel = channel, Priority = priority, Status = status,
        NotBefore = notBefore, CreateTime = notBefore,
    };

    private async Task<RecordStore> StoreWithAsync(bool queued, params MessageRecord[] records)
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var store = new RecordStore(database);
        await InsertAsync(store, queued, records);
        return store;
    }

    private static async Task InsertAsync(RecordStore store, bool queued, params MessageRecord[] records)
    {
        await using var c = await store.Database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await store.InsertAsync(c, tx, records, queued);
        await tx.CommitAsync();
    }

    [Fact(DisplayName = "Lanes at one instant: due and unclaimed, leased (in flight), waiting for a later time, unpublished; the oldest due and the next waiting; final and scheduled records count nowhere")]
    public async Task Lane_backlog()
    {
        var store = await StoreWithAsync(false,
            Record("h1", MessageStatus.Pending, MessagePriority.High, notBefore: Now - 500),
            Record("m1", MessageStatus.Pending, notBefore: Now - 3_000),
            Record("m2", MessageStatus.Pending, notBefore: Now - 2_000),
            Record("m3", MessageStatus.Pending, notBefore: Now - 1_000),
            Record("l1", MessageStatus.Pending, MessagePriority.Low, notBefore: Now + 60_000),
            Record("r1", MessageStatus.Retrying, MessagePriority.High, notBefore: Now - 100),
            Record("r2", MessageStatus.Retrying, MessagePriority.Low, notBefore: Now + 4_000),
            Record("r3", MessageStatus.Retrying, MessagePriority.Medium, notBefore: Now + 9_000),
            Record("s1", MessageStatus.Sent, notBefore: Now - 9_000),
            Record("f1", MessageStatus.Failed, notBefore: Now - 9_000),
            Record("c1", MessageStatus.Cancelled, notBefore: Now - 9_000),
            Record("x1", MessageStatus.Scheduled, notBefore: Now + 1_000));
        await InsertAsync(store, true, Record("m4", MessageStatus.Pending, notBefore: Now - 100));
        // The oldest medium record is claimed: in flight, no longer due.
        Assert.Equal("m1", Assert.Single(await store.ClaimAsync(QueueLane.Medium, Now, 1, Lease)).MsgId);

        var lanes = (await store.LaneBacklogAsync(Now)).ToDictionary(l => l.Lane);

        Assert.Equal([QueueLane.High, QueueLane.Medium, QueueLane.Low, QueueLane.Retry], (await store.LaneBacklogAsync(Now)).Select(l => l.Lane));
        Assert.Equal(new LaneBacklog(QueueLane.High, 1, 0, 0, 1, Now - 500, null), lanes[QueueLane.High]);
        // m2, m3 and m4 due (m4 already handed to the queue), m1 leased.
        Assert.Equal(new LaneBacklog(QueueLane.Medium, 3, 1, 0, 3, Now - 2_000, null), lanes[QueueLane.Medium]);
        Assert.Equal(new LaneBacklog(QueueLane.Low, 0, 0, 1, 0, null, Now + 60_000), lanes[QueueLane.Low]);
        // Retrying records of every priority share the retry lane: one due, two in their backoff.
        Assert.Equal(new LaneBacklog(QueueLane.Retry, 1, 0, 2, 1, Now - 100, Now + 4_000), lanes[QueueLane.Retry]);

        // Later, the lease has run out and the backoffs are over.
        var later = (await store.LaneBacklogAsync(Now + 3_600_000)).ToDictionary(l => l.Lane);
        Assert.Equal((4L, 0L), (later[QueueLane.Medium].Due, later[QueueLane.Medium].Leased));
        Assert.Equal((3L, 0L), (later[QueueLane.Retry].Due, later[QueueLane.Retry].Waiting));
    }

    [Fact(DisplayName = "Dead letters: listed newest first with their record's facts, filtered by channel and time; a re-drive takes the oldest up to its limit, says what remains, and leaves other letters alone")]
    public async Task Dead_letters_list_and_redrive()
    {
        var records = Enumerable.Range(0, 5).Select(i => Record($"d{i}", MessageStatus.Pending, channel: i < 3 ? 1 : 6)).ToArray();
        var store = await StoreWithAsync(false, [.. records, Record("ok", MessageStatus.Pending)]);
        await store.ApplyOutcomesAsync([
            .. records.Select((r, i) => new DeliveryOutcome(r.MsgId, 1, MessageStatus.Failed, Now + i * 1_000, r.Channel, "p", $"550 refused {i}", 5, 0, 0, "node")),
            new DeliveryOutcome("ok", 1, MessageStatus.Sent, Now, 1, "p", "", 5, 0, 0, "node")]);

        var all = await store.DeadLettersAsync(new DeadLetterFilter(), new PageRequest(1, 10));
        Assert.Equal(5, all.Total);
        Assert.Equal(["d4", "d3", "d2", "d1", "d0"], all.Items.Select(d => d.MsgId));
        Assert.Equal(new DeadLetter("d4", Now + 4_000, 6, MessagePriority.Medium, 1, "550 refused 4", "src", "b"), all.Items[0]);
        Assert.Equal(["d1"], (await store.DeadLettersAsync(new DeadLetterFilter(), new PageRequest(4, 1))).Items.Select(d => d.MsgId));
        Assert.Equal(["d2", "d1", "d0"], (await store.DeadLettersAsync(new DeadLetterFilter(Channel: 1), new PageRequest(1, 10))).Items.Select(d => d.MsgId));
        Assert.Equal(["d3", "d2"], (await store.DeadLettersAsync(new DeadLetterFilter(From: Now + 2_000, Until: Now + 3_000), new PageRequest(1, 10))).Items.Select(d => d.MsgId));

        // Channel 1, two at a time: the two oldest first, one remains.
        Assert.Equal((2, 1L), await store.RedriveDeadLettersAsync(new DeadLetterFilter(Channel: 1), 2, Now + 10_000));
        foreach (var id in new[] { "d0", "d1" })
        {
            var r = (await store.GetAsync(id))!;
            Assert.Equal((MessageStatus.Pending, 0, Now + 10_000, 1), (r.Status, r.RetryCount, r.NotBefore, r.Attempts));
        }
        Assert.Equal(["d4", "d3", "d2"], (await store.DeadLettersAsync(new DeadLetterFilter(), new PageRequest(1, 10))).Items.Select(d => d.MsgId));
        // By id: only the named ones, and an id that is no dead letter (sent, unknown, already re-driven) is skipped.
        Assert.Equal((1, 0L), await store.RedriveDeadLettersAsync(new DeadLetterFilter(MsgIds: ["d4", "ok", "nope", "d0"]), 10, Now + 11_000));
        Assert.Equal(MessageStatus.Sent, (await store.GetAsync("ok"))!.Status);
        Assert.Equal((2, 0L), await store.RedriveDeadLettersAsync(new DeadLetterFilter(), 10, Now + 12_000));
        Assert.Equal(0, (await store.DeadLettersAsync(new DeadLetterFilter(), new PageRequest(1, 10))).Total);
        Assert.Equal((0, 0L), await store.RedriveDeadLettersAsync(new DeadLetterFilter(), 10, Now + 13_000));

        // Failing again after the re-drive makes a dead letter again.
        await store.ApplyOutcomesAsync([new DeliveryOutcome("d0", 2, MessageStatus.Failed, Now + 20_000, 1, "p", "550 again", 5, 0, 0, "node")]);
        var again = Assert.Single((await store.DeadLettersAsync(new DeadLetterFilter(), new PageRequest(1, 10))).Items);
        Assert.Equal(("d0", "550 again", 2), (again.MsgId, again.Error, again.Attempts));
    }
}

public sealed class QueueInspectionOnSqlite() : QueueInspectionTests(Db.Sqlite);

public sealed class QueueInspectionOnPostgreSql() : QueueInspectionTests(Db.PostgreSql);

public sealed class QueueInspectionOnMariaDb() : QueueInspectionTests(Db.MariaDb);
