using Akka.Actor;
using Akka.Actor.Dsl;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dapper;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Sql;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>The SQL queue's lanes outlive a failing database: a failed claim is tried again, it does not end the lane.</summary>
public sealed class SqlQueueResilienceTests
{
    [Fact(DisplayName = "A claim that fails (the table gone) is logged and tried again; once the table is back, the lane hands out the due record")]
    public async Task Claim_failure_does_not_end_the_lane()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(Db.Sqlite);
        var store = new RecordStore(database);
        using var system = ActorSystem.Create("claims", "akka.actor.provider = cluster\nakka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }");
        var warned = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(dsl => dsl.Receive<Warning>((w, _) =>
        {
            if (w.Message.ToString() is { } text && text.Contains("claim failed"))
            {
                warned.TrySetResult(text);
            }
        }));
        system.EventStream.Subscribe(listener, typeof(Warning));

        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("ALTER TABLE mm_msg_records RENAME TO mm_msg_records_away");
        }
        var queue = new SqlDeliveryQueue(store, new DeliveryOptions { PollInterval = TimeSpan.FromMilliseconds(50) }, TimeProvider.System, system);
        var first = queue.Consume(QueueLane.Medium).RunWith(Sink.First<CommittableJob>(), system.Materializer());

        var warning = await warned.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("Lane Medium", warning);
        Assert.False(first.IsCompleted, first.Exception?.ToString());

        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync("ALTER TABLE mm_msg_records_away RENAME TO mm_msg_records");
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var c = await database.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await store.InsertAsync(c, tx, [new MessageRecord
            {
                MsgId = "due-1", BatchId = "b", SourceId = "src", To = "due@example.com", Channel = 1, Priority = MessagePriority.Medium,
                Status = MessageStatus.Pending, NotBefore = now - 1_000, CreateTime = now - 1_000,
            }], queued: false);
            await tx.CommitAsync();
        }
        queue.RecordsStored(0);
        var job = await first.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(("due-1", 1), (job.Job.MsgId, job.Job.Attempt));
    }

    [Fact(DisplayName = "Claim backoff: the poll interval, doubling with each failure in a row, at most 5 s")]
    public void Claim_backoff()
    {
        var poll = TimeSpan.FromMilliseconds(200);
        Assert.Equal(
            new[] { 200, 400, 800, 1600, 3200, 5000, 5000 }.Select(ms => TimeSpan.FromMilliseconds(ms)),
            new[] { 1, 2, 3, 4, 5, 6, 100 }.Select(n => SqlDeliveryQueue.ClaimBackoff(n, poll)));
    }
}
