using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Security;

/// <summary>A stored API key: everything but the secret, which only its hash stands for.</summary>
public sealed record ApiKeyRecord(
    string KeyId, string SourceId, ScopeSet Scopes, string Name, string SecretHash,
    long CreatedAt, string CreatedBy, long ExpiresAt, long RevokedAt, string ReplacedBy)
{
    public bool ActiveAt(long now) => RevokedAt == 0 && (ExpiresAt == 0 || now < ExpiresAt);
}

/// <summary>The <c>mm_api_keys</c> table.</summary>
public sealed class ApiKeyStore(SqlDatabase db)
{
    private const string Columns = "key_id, source_id, scopes, name, secret_hash, created_at, created_by, expires_at, revoked_at, replaced_by";

    private sealed record Row(
        string KeyId, string SourceId, string Scopes, string Name, string SecretHash,
        long CreatedAt, string CreatedBy, long ExpiresAt, long RevokedAt, string ReplacedBy)
    {
        public ApiKeyRecord ToRecord() => new(KeyId, SourceId, ScopeSet.FromStored(Scopes), Name, SecretHash, CreatedAt, CreatedBy, ExpiresAt, RevokedAt, ReplacedBy);
    }

    public async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_api_keys WHERE key_id = @keyId", new { keyId }, cancellationToken: ct));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM mm_api_keys ORDER BY created_at, key_id", cancellationToken: ct));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<bool> AnyActiveAdminAsync(long now, CancellationToken ct = default) =>
        (await ListAsync(ct)).Any(k => k.Scopes.IsAdmin && k.ActiveAt(now));

    public async Task InsertAsync(ApiKeyRecord key, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        await InsertAsync(w, key, ct);
        await w.CommitAsync(ct);
    }

    /// <summary>Sets the bootstrap key's hash (the operator may change the key between starts: the old one stops working).</summary>
    public async Task UpsertBootstrapAsync(ApiKeyRecord key, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var updated = await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mm_api_keys SET secret_hash = @SecretHash, source_id = @SourceId, scopes = @Scopes, revoked_at = 0, expires_at = 0 WHERE key_id = @KeyId",
            new { key.SecretHash, key.SourceId, Scopes = key.Scopes.ToString(), key.KeyId }, w.Transaction, cancellationToken: ct));
        if (updated == 0)
        {
            await InsertAsync(w, key, ct);
        }
        await w.CommitAsync(ct);
    }

    /// <summary>Revokes an active key; false when it is unknown or already revoked.</summary>
    public async Task<bool> RevokeAsync(string keyId, long now, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var n = await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mm_api_keys SET revoked_at = @now WHERE key_id = @keyId AND revoked_at = 0", new { keyId, now }, w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>The replacement and the old key's end of grace, in one transaction: both or neither.</summary>
    public async Task<bool> RotateAsync(string oldKeyId, long oldExpiresAt, ApiKeyRecord replacement, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var n = await w.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mm_api_keys SET expires_at = @oldExpiresAt, replaced_by = @newId WHERE key_id = @oldKeyId AND revoked_at = 0 AND replaced_by = ''",
            new { oldKeyId, oldExpiresAt, newId = replacement.KeyId }, w.Transaction, cancellationToken: ct));
        if (n == 0)
        {
            return false;
        }
        await InsertAsync(w, replacement, ct);
        await w.CommitAsync(ct);
        return true;
    }

    private static Task InsertAsync(SqlWrite w, ApiKeyRecord key, CancellationToken ct) =>
        w.Connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO mm_api_keys ({Columns}) VALUES (@KeyId, @SourceId, @Scopes, @Name, @SecretHash, @CreatedAt, @CreatedBy, @ExpiresAt, @RevokedAt, @ReplacedBy)",
            new { key.KeyId, key.SourceId, Scopes = key.Scopes.ToString(), key.Name, key.SecretHash, key.CreatedAt, key.CreatedBy, key.ExpiresAt, key.RevokedAt, key.ReplacedBy },
            w.Transaction, cancellationToken: ct));
}
