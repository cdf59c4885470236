using System.Text.Json.Serialization;
using MsgMate.Actors.Security;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Admin;

public sealed class CreateKeyRequest
{
    [JsonPropertyName("source_id")] public string? SourceId { get; set; }
    [JsonPropertyName("scopes")] public List<string?>? Scopes { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
}

public sealed class KeyIdRequest
{
    [JsonPropertyName("key_id")] public string? KeyId { get; set; }
}

/// <summary>The only answer that ever holds a key's secret: create and rotate, once.</summary>
public sealed record IssuedKeyResponse(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("source_id")] string SourceId,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes) : Envelope;

/// <summary>A key as listed: never its secret or hash.</summary>
public sealed record KeyDto(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("source_id")] string SourceId,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("expires_at")] string ExpiresAt,
    [property: JsonPropertyName("revoked_at")] string RevokedAt,
    [property: JsonPropertyName("replaced_by")] string ReplacedBy)
{
    public static KeyDto From(ApiKeyRecord k, long now, TimeZoneInfo zone) => new(
        k.KeyId, k.SourceId, [.. k.Scopes.Scopes.Select(ScopeSet.Name)], k.Name,
        k.RevokedAt > 0 ? "revoked" : !k.ActiveAt(now) ? "expired" : k.ReplacedBy.Length > 0 ? "rotated" : "active",
        ApiTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(k.CreatedAt), zone), k.CreatedBy, k.ExpiresAt == 0 ? "" : ApiTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(k.ExpiresAt), zone),
        k.RevokedAt == 0 ? "" : ApiTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(k.RevokedAt), zone), k.ReplacedBy);
}

public sealed record KeyListResponse([property: JsonPropertyName("keys")] IReadOnlyList<KeyDto> Keys) : Envelope;

public sealed record AuditDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("source_id")] string SourceId,
    [property: JsonPropertyName("remote")] string Remote,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("detail")] string Detail);

public sealed record AuditListResponse(
    [property: JsonPropertyName("entries")] IReadOnlyList<AuditDto> Entries,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;

/// <summary>Which quota: scope, subject and channel.</summary>
public class QuotaKeyRequest
{
    [JsonPropertyName("scope")] public string? Scope { get; set; }
    [JsonPropertyName("source_id")] public string? SourceId { get; set; }
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("caller")] public string? Caller { get; set; }
    [JsonPropertyName("channel")] public int? Channel { get; set; }
}

/// <summary>A quota, with the Go tables' field names (<c>unit</c> in milliseconds).</summary>
public sealed class QuotaRequest : QuotaKeyRequest
{
    [JsonPropertyName("num")] public long? Num { get; set; }
    [JsonPropertyName("unit")] public long? Unit { get; set; }
}

public sealed record QuotaDto(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("num")] long Num,
    [property: JsonPropertyName("unit")] long Unit,
    [property: JsonPropertyName("origin")] string Origin);

public sealed record QuotaListResponse(
    [property: JsonPropertyName("quotas")] IReadOnlyList<QuotaDto> Quotas,
    [property: JsonPropertyName("counter")] string Counter) : Envelope;
