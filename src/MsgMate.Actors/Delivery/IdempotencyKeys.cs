using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Delivery;

/// <summary>An idempotency key as it is stored: who, which key, the request's hash, when (Unix ms).</summary>
public readonly record struct IdempotencyKey(string SourceId, string Key, string Hash, long Now);

/// <summary>
/// The idempotency keys of sends (an <c>Idempotency-Key</c> header, a schedule's firing <c>schedule:{id}:{n}</c>), in
/// the record store: a key is claimed in the transaction that stores the records it answers for, so a crash leaves
/// both or neither. A key holds for <see cref="Window"/>; after that it may be claimed anew, and it is purged.
/// </summary>
public sealed class IdempotencyKeys(SqlDatabase db)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    private static long ExpiredBefore(long nowMs) => nowMs - (long)Window.TotalMilliseconds;

    /// <summary>
    /// Claims a key in the write <paramref name="w"/> with its answer (empty when the answer is written later, see
    /// <see cref="AnswerAsync"/>); false when a live key holds it. A concurrent transaction inserting the same key makes
    /// this wait for its end on PostgreSQL and MariaDB (then: held); on SQLite writers take turns anyway.
    /// </summary>
    public async Task<bool> ClaimAsync(SqlWrite w, IdempotencyKey k, string answer, CancellationToken ct = default)
    {
        // The insert comes first: a new key, the usual case, is one statement that locks only its own row, at any
        // isolation. Deleting an expired key first locked, at MariaDB's repeatable read, the gap where the missing key
        // would be, and two transactions claiming neighbouring new keys (two nodes, or the urgent and the normal
        // writer) waited on each other's gaps or deadlocked.
        var (insert, suffix) = db.InsertIgnore;
        if (await w.Connection.ExecuteAsync(new CommandDefinition(
                $"{insert} mm_idempotency (source_id, idem_key, request_hash, response, create_time) VALUES (@SourceId, @Key, @Hash, @answer, @Now){suffix}",
                new { k.SourceId, k.Key, k.Hash, answer, k.Now }, w.Transaction, cancellationToken: ct)) == 1)
        {
            return true;
        }
        // Held. A plain read (no lock) tells a live key, the usual case, from an expired one; only an expired one is
        // locked, to be taken over. A row this transaction cannot see yet was committed after it began: live.
        var created = await w.Connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT create_time FROM mm_idempotency WHERE source_id = @SourceId AND idem_key = @Key",
            new { k.SourceId, k.Key }, w.Transaction, cancellationToken: ct));
        if (created is not { } at || at >= ExpiredBefore(k.Now))
        {
            return false;
        }
        return await w.Connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE mm_idempotency SET request_hash = @Hash, response = @answer, create_time = @Now
            WHERE source_id = @SourceId AND idem_key = @Key AND create_time < @expired
            """,
            new { k.SourceId, k.Key, k.Hash, answer, k.Now, expired = ExpiredBefore(k.Now) }, w.Transaction, cancellationToken: ct)) == 1;
    }

    /// <summary>Writes the answer of a key claimed earlier in the same transaction.</summary>
    public Task AnswerAsync(SqlWrite w, IdempotencyKey k, string answer, CancellationToken ct = default) =>
        w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mm_idempotency SET response = @answer WHERE source_id = @SourceId AND idem_key = @Key",
            new { answer, k.SourceId, k.Key }, w.Transaction, cancellationToken: ct));

    /// <summary>The request hash and the answer of a live key; null when there is none, or its answer is not written yet.</summary>
    public async Task<(string Hash, string Answer)?> FindAsync(string sourceId, string key, long nowMs, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string Hash, string Response)?>(new CommandDefinition(
            "SELECT request_hash, response FROM mm_idempotency WHERE source_id = @sourceId AND idem_key = @key AND create_time >= @since",
            new { sourceId, key, since = ExpiredBefore(nowMs) }, cancellationToken: ct));
        return row is { } r && !string.IsNullOrEmpty(r.Response) ? (r.Hash, r.Response) : null;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> expired keys, the oldest first, in one short transaction; the number
    /// deleted (more only when more than <paramref name="limit"/> keys share the oldest millisecond).
    /// </summary>
    public async Task<int> PurgeExpiredAsync(long nowMs, int limit, CancellationToken ct = default)
    {
        var expired = ExpiredBefore(nowMs);
        await using var w = await db.BeginWriteAsync(WriteUrgency.Normal, ct);
        // The batch ends before the first key beyond it (a LIMIT on DELETE is not portable).
        var beyond = await w.Connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT create_time FROM mm_idempotency WHERE create_time < @expired ORDER BY create_time LIMIT 1 OFFSET @limit",
            new { expired, limit }, w.Transaction, cancellationToken: ct));
        const string delete = "DELETE FROM mm_idempotency WHERE create_time < @upTo";
        var deleted = await w.Connection.ExecuteAsync(new CommandDefinition(delete, new { upTo = beyond ?? expired }, w.Transaction, cancellationToken: ct));
        if (deleted == 0 && beyond is { } tied)
        {
            // The whole batch shares that key's millisecond: the keys of that millisecond go together.
            deleted = await w.Connection.ExecuteAsync(new CommandDefinition(delete, new { upTo = tied + 1 }, w.Transaction, cancellationToken: ct));
        }
        await w.CommitAsync(ct);
        return deleted;
    }
}
