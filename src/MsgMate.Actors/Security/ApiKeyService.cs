using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Security;

/// <summary>A new key: the secret, shown this once, and what is stored of it.</summary>
public sealed record IssuedKey(string Key, ApiKeyRecord Record);

/// <summary>The rules of a new key's fields. Pure.</summary>
public static partial class ApiKeyRules
{
    public const int MaxSourceIdLength = 64;

    public const int MaxNameLength = 128;

    public const string SourceIdPattern = "^[A-Za-z0-9_.:@-]{1,64}$";

    [GeneratedRegex(SourceIdPattern)]
    private static partial Regex SourceIdShape();

    /// <summary>The parsed scopes, or what is wrong with the fields.</summary>
    public static (ScopeSet Scopes, Rejection? Problem) Check(string? sourceId, IReadOnlyList<string?>? scopes, string? name)
    {
        if (string.IsNullOrEmpty(sourceId) || !SourceIdShape().IsMatch(sourceId))
        {
            return (ScopeSet.None, Rejection.Invalid($"source_id is required: 1-{MaxSourceIdLength} letters, digits or _ . : @ -"));
        }
        if (scopes is null || scopes.Count == 0)
        {
            return (ScopeSet.None, Rejection.Invalid($"scopes is required: one or more of {ScopeSet.AllNames}"));
        }
        if (!ScopeSet.TryParse(scopes, out var set, out var unknown))
        {
            return (ScopeSet.None, Rejection.Invalid($"unknown scope {InputText.Quote(unknown)}: one of {ScopeSet.AllNames}"));
        }
        if ((name?.Length ?? 0) > MaxNameLength)
        {
            return (ScopeSet.None, Rejection.Invalid($"name must be at most {MaxNameLength} characters"));
        }
        return (set, null);
    }
}

/// <summary>
/// Creating, rotating, revoking and checking API keys. A node keeps what it read of a key for
/// <see cref="AuthOptions.KeyCacheTtl"/> (unknown ids too, so random keys do not reach the database each time);
/// a change made on this node is seen here at once, on the others within that time.
/// </summary>
public sealed class ApiKeyService(ApiKeyStore store, AuthOptions options, TimeProvider clock)
{
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, (ApiKeyRecord? Key, long ReadAt)> _cache = new(StringComparer.Ordinal);

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<(IssuedKey? Issued, Rejection? Problem)> CreateAsync(
        string? sourceId, IReadOnlyList<string?>? scopes, string? name, Caller by, CancellationToken ct = default)
    {
        var (set, problem) = ApiKeyRules.Check(sourceId, scopes, name);
        if (problem is not null)
        {
            return (null, problem);
        }
        var (id, key) = ApiKeyToken.Generate();
        var record = new ApiKeyRecord(id, sourceId!, set, name?.Trim() ?? "", ApiKeyToken.Hash(key), Now, by.KeyId, 0, 0, "");
        await store.InsertAsync(record, ct);
        return (new IssuedKey(key, record), null);
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct = default) => store.ListAsync(ct);

    /// <summary>A new key with the old one's source, scopes and name; the old one works on for the grace period.</summary>
    public async Task<(IssuedKey? Issued, Rejection? Problem)> RotateAsync(string keyId, Caller by, CancellationToken ct = default)
    {
        var old = await store.FindAsync(keyId, ct);
        var now = Now;
        if (old is null)
        {
            return (null, new Rejection(ResultCode.KeyNotFound, $"API key {InputText.Quote(keyId)} not found"));
        }
        if (!old.ActiveAt(now) || old.ReplacedBy.Length > 0)
        {
            return (null, new Rejection(ResultCode.Conflict, $"API key {keyId} is {(old.RevokedAt > 0 ? "revoked" : "already rotated")}"));
        }
        var (id, key) = ApiKeyToken.Generate();
        var replacement = old with
        {
            KeyId = id, SecretHash = ApiKeyToken.Hash(key), CreatedAt = now, CreatedBy = by.KeyId, ExpiresAt = 0, RevokedAt = 0, ReplacedBy = "",
        };
        var graceEnd = now + (long)options.RotationGrace.TotalMilliseconds;
        if (!await store.RotateAsync(keyId, graceEnd, replacement, ct))
        {
            return (null, new Rejection(ResultCode.Conflict, $"API key {keyId} changed meanwhile; list the keys and retry"));
        }
        _cache.TryRemove(keyId, out _);
        return (new IssuedKey(key, replacement), null);
    }

    public async Task<Rejection?> RevokeAsync(string keyId, CancellationToken ct = default)
    {
        var revoked = await store.RevokeAsync(keyId, Now, ct);
        _cache.TryRemove(keyId, out _);
        if (revoked)
        {
            return null;
        }
        return await store.FindAsync(keyId, ct) is null
            ? new Rejection(ResultCode.KeyNotFound, $"API key {InputText.Quote(keyId)} not found")
            : new Rejection(ResultCode.Conflict, $"API key {InputText.Quote(keyId)} is already revoked");
    }

    /// <summary>The stored key a presented key names (cached), or null.</summary>
    public async ValueTask<ApiKeyRecord?> LookupAsync(string presentedKey, CancellationToken ct = default)
    {
        var id = ApiKeyToken.KeyIdOf(presentedKey);
        var now = Now;
        if (_cache.TryGetValue(id, out var cached) && now - cached.ReadAt < options.KeyCacheTtl.TotalMilliseconds)
        {
            return cached.Key;
        }
        var key = await store.FindAsync(id, ct);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[id] = (key, now);
        return key;
    }

    /// <summary>
    /// At start: the operator's bootstrap key is stored (hashed) as <c>bootstrap</c>; without one, in keys mode and
    /// with no active admin key, a first admin key is generated and returned, to be shown once. Null otherwise.
    /// </summary>
    public async Task<string?> EnsureAdminKeyAsync(CancellationToken ct = default)
    {
        var bootstrap = options.BootstrapKey();
        var now = Now;
        if (bootstrap is not null)
        {
            await store.UpsertBootstrapAsync(new ApiKeyRecord(
                ApiKeyToken.BootstrapKeyId, options.BootstrapSourceId, ScopeSet.Of([Scope.Admin]), "bootstrap (configuration)",
                ApiKeyToken.Hash(bootstrap), now, "", 0, 0, ""), ct);
            return null;
        }
        if (!options.KeysRequired || await store.AnyActiveAdminAsync(now, ct))
        {
            return null;
        }
        var (id, key) = ApiKeyToken.Generate();
        await store.InsertAsync(new ApiKeyRecord(
            id, options.BootstrapSourceId, ScopeSet.Of([Scope.Admin]), "first admin key (generated)", ApiKeyToken.Hash(key), now, "", 0, 0, ""), ct);
        return key;
    }
}
