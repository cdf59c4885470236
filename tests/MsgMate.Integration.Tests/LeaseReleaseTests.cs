using Akka.Actor;
using Akka.Cluster;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Sql;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>Who holds a SQL-queue lease, as a pure function of the member and its incarnation.</summary>
public sealed class LeaseOwnerTests
{
    private static readonly Address NodeA = new("akka.tcp", "msgmate", "127.0.0.5", 4053);
    private static readonly Address NodeB = new("akka.tcp", "msgmate", "127.0.0.6", 4053);

    [Fact(DisplayName = "A claim token names the member and its incarnation and fits the 36-character column")]
    public void Token_shape()
    {
        var claimant = LeaseOwners.Of(new UniqueAddress(NodeA, 1234567890));
        var token = LeaseOwners.NewToken(claimant);
        Assert.Equal(17, claimant.Length);
        Assert.StartsWith(claimant, token);
        Assert.True(token.Length <= 36, token);
        Assert.StartsWith(LeaseOwners.Node(NodeA), claimant);
        Assert.NotEqual(LeaseOwners.Node(NodeA), LeaseOwners.Node(NodeB));
        Assert.NotEqual(LeaseOwners.Node(NodeA), LeaseOwners.Node(new Address("akka.tcp", "msgmate", "127.0.0.5", 4054)));
    }

    [Fact(DisplayName = "At start a node gives back its earlier incarnations' leases, never its own or another member's")]
    public void Earlier_incarnations()
    {
        var before = new UniqueAddress(NodeA, 1);
        var now = new UniqueAddress(NodeA, 2);
        var atStart = LeaseRelease.EarlierIncarnationsOf(now);
        Assert.True(atStart.Covers(LeaseOwners.NewToken(LeaseOwners.Of(before))));
        Assert.False(atStart.Covers(LeaseOwners.NewToken(LeaseOwners.Of(now))));
        Assert.False(atStart.Covers(LeaseOwners.NewToken(LeaseOwners.Of(new UniqueAddress(NodeB, 1)))));
        Assert.False(atStart.Covers(Guid.NewGuid().ToString()));
    }
}

/// <summary>Leases given back on every supported server: the SQL decides as <see cref="LeaseRelease.Covers"/> does.</summary>
public abstract class LeaseReleaseTests(Db db)
{
    private static readonly Address Self = new("akka.tcp", "msgmate", "127.0.0.1", 4053);
    private static readonly Address Other = new("akka.tcp", "msgmate", "127.0.0.2", 4053);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private static MessageRecord Record(string id, int status) => new()
    {
        MsgId = id, BatchId = "b", To = $"{id}@example.com", Channel = 1, Priority = MessagePriority.Medium, Status = status,
    };

    [Fact(DisplayName = "Restarted: the earlier incarnation's leases are claimable at once; another member's stay held until it is removed")]
    public async Task Release_by_incarnation_and_member()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var store = new RecordStore(database);
        await using (var c = await database.OpenAsync())
        await using (var tx = await c.BeginTransactionAsync())
        {
            await store.InsertAsync(c, tx, [.. Enumerable.Range(0, 6).Select(i => Record($"m{i}", MessageStatus.Pending))], queued: false);
            await tx.CommitAsync();
        }
        var earlier = LeaseOwners.Of(new UniqueAddress(Self, 1));
        var current = LeaseOwners.Of(new UniqueAddress(Self, 2));
        var other = LeaseOwners.Of(new UniqueAddress(Other, 7));
        Assert.Equal(4, (await store.ClaimAsync(QueueLane.Medium, 10, 4, Lease, earlier)).Count);
        Assert.Equal(2, (await store.ClaimAsync(QueueLane.Medium, 10, 4, Lease, other)).Count);
        Assert.Empty(await store.ClaimAsync(QueueLane.Medium, 20, 10, Lease, current));

        var atStart = LeaseRelease.EarlierIncarnationsOf(new UniqueAddress(Self, 2));
        Assert.Equal(4, await store.ReleaseLeasesAsync(atStart));
        Assert.Equal(4, (await store.ClaimAsync(QueueLane.Medium, 20, 10, Lease, current)).Count);
        // The node's own leases (this incarnation) are never given back by its start.
        Assert.Equal(0, await store.ReleaseLeasesAsync(atStart));

        // The other member is removed: the survivors give back that incarnation's leases.
        Assert.Equal(2, await store.ReleaseLeasesAsync(LeaseRelease.OfMember(new UniqueAddress(Other, 7))));
        Assert.Equal(2, (await store.ClaimAsync(QueueLane.Medium, 30, 10, Lease, current)).Count);
    }
}

public sealed class LeaseReleaseOnSqlite() : LeaseReleaseTests(Db.Sqlite);

public sealed class LeaseReleaseOnPostgreSql() : LeaseReleaseTests(Db.PostgreSql);

public sealed class LeaseReleaseOnMariaDb() : LeaseReleaseTests(Db.MariaDb);
