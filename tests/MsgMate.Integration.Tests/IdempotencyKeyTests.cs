using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The idempotency key store on every supported server: a key is claimed once while it lives, an expired one is
/// taken over, concurrent claims of new keys do not wait on each other, and expired keys are purged in batches.
/// </summary>
public abstract class IdempotencyKeyTests(Db db)
{
    protected Db Server => db;

    private static readonly long Day = (long)IdempotencyKeys.Window.TotalMilliseconds;
    protected const long T = 1_800_000_000_000;

    protected static IdempotencyKey Key(string key, long at, string hash = "h1") => new("src", key, hash, at);

    private static async Task<bool> ClaimAsync(SqlDatabase database, IdempotencyKeys keys, IdempotencyKey key, string answer)
    {
        await using var w = await database.BeginWriteAsync();
        var claimed = await keys.ClaimAsync(w, key, answer);
        await w.CommitAsync();
        return claimed;
    }

    private static async Task<List<string>> KeysAsync(SqlDatabase database)
    {
        await using var c = await database.OpenAsync();
        return (await c.QueryAsync<string>("SELECT idem_key FROM mm_idempotency ORDER BY idem_key")).ToList();
    }

    [Fact(DisplayName = "A live key is claimed once; an expired one is taken over with the new request's hash and answer")]
    public async Task Claim_live_and_expired()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var keys = new IdempotencyKeys(database);

        Assert.True(await ClaimAsync(database, keys, Key("k", T), "first"));
        Assert.False(await ClaimAsync(database, keys, Key("k", T + Day - 1, "h2"), "second"));
        Assert.Equal(("h1", "first"), await keys.FindAsync("src", "k", T + Day - 1));

        Assert.Null(await keys.FindAsync("src", "k", T + Day + 1));
        Assert.True(await ClaimAsync(database, keys, Key("k", T + Day + 1, "h2"), "again"));
        Assert.Equal(("h2", "again"), await keys.FindAsync("src", "k", T + Day + 1));
        Assert.Equal(["k"], await KeysAsync(database));
    }

    [Fact(DisplayName = "A key claimed without its answer is not found until the answer is written in the same transaction")]
    public async Task Answer_written_later()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var keys = new IdempotencyKeys(database);
        await using (var w = await database.BeginWriteAsync())
        {
            Assert.True(await keys.ClaimAsync(w, Key("late", T), ""));
            await keys.AnswerAsync(w, Key("late", T), "the answer");
            await w.CommitAsync();
        }
        Assert.Equal(("h1", "the answer"), await keys.FindAsync("src", "late", T + 1));

        await using (var w = await database.BeginWriteAsync())
        {
            Assert.True(await keys.ClaimAsync(w, Key("pending", T), ""));
            await w.CommitAsync();
        }
        Assert.Null(await keys.FindAsync("src", "pending", T + 1));
    }

    [Fact(DisplayName = "Expired keys are purged in batches, the oldest first; live ones stay")]
    public async Task Purge_in_batches()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(db);
        var keys = new IdempotencyKeys(database);
        await using (var w = await database.BeginWriteAsync())
        {
            for (var i = 0; i < 25; i++)
            {
                Assert.True(await keys.ClaimAsync(w, Key($"old{i:00}", T + i), "a"));
            }
            Assert.True(await keys.ClaimAsync(w, Key("live", T + Day), "a"));
            await w.CommitAsync();
        }
        var now = T + Day + 100;

        Assert.Equal(10, await keys.PurgeExpiredAsync(now, 10));
        Assert.Equal(Enumerable.Range(10, 15).Select(i => $"old{i:00}").Prepend("live"), await KeysAsync(database));

        var janitor = new IdempotencyJanitor(keys, new At(now), NullLogger<IdempotencyJanitor>.Instance);
        Assert.Equal(15, await janitor.PurgeAsync(CancellationToken.None));
        Assert.Equal(["live"], await KeysAsync(database));
        Assert.Equal(0, await janitor.PurgeAsync(CancellationToken.None));

        // A batch that is all one millisecond goes whole rather than not at all.
        await using (var w = await database.BeginWriteAsync())
        {
            foreach (var name in new[] { "same1", "same2", "same3" })
            {
                Assert.True(await keys.ClaimAsync(w, Key(name, T + 50), "a"));
            }
            await w.CommitAsync();
        }
        Assert.Equal(3, await keys.PurgeExpiredAsync(now, 2));
        Assert.Equal(["live"], await KeysAsync(database));
    }
}

/// <summary>Servers with row locks: two open transactions claiming new keys of one source take no lock of each other's.</summary>
public abstract class ConcurrentIdempotencyKeyTests(Db db) : IdempotencyKeyTests(db)
{
    [Fact(DisplayName = "Two open transactions claim neighbouring new keys without waiting on each other (no gap lock), and both commit")]
    public async Task Concurrent_new_keys_do_not_wait()
    {
        var database = await TestDatabases.CreateWithSchemaAsync(Server);
        var keys = new IdempotencyKeys(database);
        await using var first = await database.BeginWriteAsync();
        await using var second = await database.BeginWriteAsync();
        // Interleaved as two nodes' group commits can be: with a delete of the expired key before the insert, MariaDB's
        // repeatable read locked the gaps, and the second insert waited for the first transaction (or deadlocked).
        Assert.True(await keys.ClaimAsync(first, Key("k1", T), "a"));
        Assert.True(await keys.ClaimAsync(second, Key("k2", T), "b"));
        Assert.True(await keys.ClaimAsync(first, Key("k0", T), "c"));
        await first.CommitAsync();
        await second.CommitAsync();
        Assert.Equal(("h1", "b"), await keys.FindAsync("src", "k2", T + 1));
    }
}

/// <summary>A clock standing at one instant.</summary>
file sealed class At(long unixMs) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
}

public sealed class IdempotencyKeysOnSqlite() : IdempotencyKeyTests(Db.Sqlite);

public sealed class IdempotencyKeysOnPostgreSql() : ConcurrentIdempotencyKeyTests(Db.PostgreSql);

public sealed class IdempotencyKeysOnMariaDb() : ConcurrentIdempotencyKeyTests(Db.MariaDb);
