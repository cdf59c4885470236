using System.Net;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Security;

/// <summary>How a caller got in.</summary>
public enum CallerKind
{
    /// <summary>A public route (health, OpenAPI): nobody in particular.</summary>
    Anonymous,

    /// <summary>No key, in open mode: trusted as the Go server trusted everyone.</summary>
    Open,

    /// <summary>No key, a configured legacy source from one of its networks.</summary>
    Legacy,

    Key,
}

/// <summary>The authenticated caller of a request: what the records, the audit trail and the quotas see.</summary>
public sealed record Caller(CallerKind Kind, string KeyId, string SourceId, ScopeSet Scopes)
{
    /// <summary>
    /// The only source whose records this caller may see or change, or null for every source: a key without the
    /// admin scope sees its own source's records; open and legacy callers (the Go console) see all, as before.
    /// </summary>
    public string? OwnSourceOnly => Kind == CallerKind.Key && !Scopes.IsAdmin ? SourceId : null;
}

/// <summary>What a route needs.</summary>
public abstract record AccessRequirement
{
    /// <summary>Answers without a key (health, readiness, metrics, the OpenAPI document).</summary>
    public sealed record Public : AccessRequirement;

    public sealed record Needs(Scope Scope) : AccessRequirement;
}

/// <summary>One request, as far as access is concerned.</summary>
/// <param name="PresentedKey">The key from <c>Authorization: Bearer</c> or <c>X-Api-Key</c>; null if none was sent.</param>
/// <param name="MalformedAuthorization">An Authorization header that is not a Bearer token.</param>
/// <param name="StoredKey">The stored key the presented key's id names, or null when there is none.</param>
/// <param name="SourceHeader">The <c>Source-Id</c> header, or null when absent.</param>
public sealed record AccessRequest(
    AccessRequirement Requirement,
    string? PresentedKey,
    bool MalformedAuthorization,
    ApiKeyRecord? StoredKey,
    string? SourceHeader,
    IPAddress? Remote,
    long Now);

/// <summary>Allowed, as this caller; or refused with a status (401 who are you, 403 not allowed) and a code.</summary>
public sealed record AccessDecision(Caller? Caller, int Status, ResultCode Code, string Message)
{
    public static AccessDecision Allow(Caller caller) => new(caller, 200, ResultCode.Ok, "");

    public static AccessDecision Unauthenticated(string message) => new(null, 401, ResultCode.Unauthenticated, message);

    public static AccessDecision Forbidden(string message) => new(null, 403, ResultCode.Forbidden, message);
}

/// <summary>
/// Who may call what: keys first (a presented key is checked in every mode, so a wrong key is never ignored), then
/// legacy sources from their networks, then open mode. Pure: the stored key is looked up before, by its id.
/// </summary>
public static class AccessRules
{
    public static AccessDecision Decide(AccessRequest request, bool keysRequired, IReadOnlyList<LegacySource> legacy)
    {
        var source = request.SourceHeader?.Trim() ?? "";
        if (request.Requirement is AccessRequirement.Public)
        {
            return AccessDecision.Allow(new Caller(CallerKind.Anonymous, "", source, ScopeSet.None));
        }
        var scope = ((AccessRequirement.Needs)request.Requirement).Scope;
        if (request.MalformedAuthorization)
        {
            return AccessDecision.Unauthenticated("Authorization must be 'Bearer <API key>'");
        }
        if (request.PresentedKey is { } presented)
        {
            var key = request.StoredKey;
            if (key is null || !ApiKeyToken.Matches(presented, key.SecretHash))
            {
                return AccessDecision.Unauthenticated("unknown API key");
            }
            if (key.RevokedAt > 0)
            {
                return AccessDecision.Unauthenticated($"API key {key.KeyId} is revoked");
            }
            if (key.ExpiresAt > 0 && request.Now >= key.ExpiresAt)
            {
                return AccessDecision.Unauthenticated($"API key {key.KeyId} has expired (rotated: use its replacement)");
            }
            if (request.SourceHeader is not null && source != key.SourceId)
            {
                return AccessDecision.Forbidden(
                    $"Source-Id {InputText.Quote(source)} does not match the key's source {InputText.Quote(key.SourceId)}");
            }
            return key.Scopes.Allows(scope)
                ? AccessDecision.Allow(new Caller(CallerKind.Key, key.KeyId, key.SourceId, key.Scopes))
                : AccessDecision.Forbidden($"API key {key.KeyId} lacks the scope '{ScopeSet.Name(scope)}'");
        }
        if (!keysRequired)
        {
            // Open mode trusts every caller, as the Go server did; legacy entries matter once keys are required.
            return AccessDecision.Allow(new Caller(CallerKind.Open, "", source, ScopeSet.All));
        }
        var entry = legacy.FirstOrDefault(l => l.SourceId == source);
        if (entry is not null)
        {
            if (!entry.AllowsFrom(request.Remote))
            {
                return AccessDecision.Unauthenticated(
                    $"source {InputText.Quote(source)} is accepted without a key only from its allowed networks; send an API key");
            }
            return entry.Scopes.Allows(scope)
                ? AccessDecision.Allow(new Caller(CallerKind.Legacy, "", source, entry.Scopes))
                : AccessDecision.Forbidden($"source {InputText.Quote(source)} without a key lacks the scope '{ScopeSet.Name(scope)}'");
        }
        return AccessDecision.Unauthenticated("an API key is required: Authorization: Bearer <key> or X-Api-Key: <key>");
    }
}
