using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Delivery;

/// <summary>An idempotency key as it is stored: who, which key, the request's hash, when (Unix ms).</summary>
public readonly record struct IdempotencyKey(string SourceId, string Key, string Hash, long Now);

/// <summary>
/// The idempotency keys of sends (an <c>Idempotency-Key</c> header, a schedule's firing <c>schedule:{id}:{n}</c>), in
/// the record store: a key is claimed in the transaction that stores the records it answers for, so a crash leaves
/// both or neither. A key holds for <see cref="Window"/>; after that it may be claimed anew.
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
        await w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mm_idempotency WHERE source_id = @SourceId AND idem_key = @Key AND create_time < @expired",
            new { k.SourceId, k.Key, expired = ExpiredBefore(k.Now) }, w.Transaction, cancellationToken: ct));
        var (insert, suffix) = db.InsertIgnore;
        return await w.Connection.ExecuteAsync(new CommandDefinition(
            $"{insert} mm_idempotency (source_id, idem_key, request_hash, response, create_time) VALUES (@SourceId, @Key, @Hash, @answer, @Now){suffix}",
            new { k.SourceId, k.Key, k.Hash, answer, k.Now }, w.Transaction, cancellationToken: ct)) == 1;
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
}
