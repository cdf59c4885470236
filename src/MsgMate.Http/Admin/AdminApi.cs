using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Quotas;
using MsgMate.Actors.Security;
using MsgMate.Actors.Storage;
using MsgMate.Http.Infrastructure;
using MsgMate.Http.Messages;

namespace MsgMate.Http.Admin;

/// <summary>The <c>/admin/*</c> routes: API keys and the audit trail. Admin scope only.</summary>
public static class AdminApi
{
    private static readonly ApiField KeyIdField = Field.Text("key_id", "The key's id (from create or list)", maxLength: 32, required: true);

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin").WithTags("Admin").RequireScope(Scope.Admin);
        group.MapPost("/keys", CreateKeyAsync).WithName("adminKeysCreate")
            .AcceptsBody<CreateKeyRequest>([
                Field.Text("source_id", "The source the key sends as (the records' source_id)", maxLength: ApiKeyRules.MaxSourceIdLength, required: true,
                    pattern: ApiKeyRules.SourceIdPattern),
                Field.List("scopes", $"One or more of {ScopeSet.AllNames}; admin holds every scope",
                    Field.Choice("", "", Enum.GetValues<Scope>().Select(ScopeSet.Name)), required: true),
                Field.Text("name", "What the key is for", maxLength: ApiKeyRules.MaxNameLength)])
            .Produces<IssuedKeyResponse>()
            .WithSummary("Create an API key: the answer holds the key, shown this once (only its SHA-256 is stored)");
        group.MapGet("/keys", ListKeysAsync).WithName("adminKeysList").Produces<KeyListResponse>()
            .WithSummary("List the API keys (never their secrets): status active, rotated (in its grace period), expired or revoked");
        group.MapPost("/keys/rotate", RotateKeyAsync)
            .AcceptsBody<KeyIdRequest>([KeyIdField])
            .Produces<IssuedKeyResponse>().WithErrors(ResultCode.KeyNotFound, ResultCode.Conflict)
            .WithSummary("Rotate a key: a new key with the same source and scopes; the old one keeps working for MsgMate:Auth:RotationGrace");
        group.MapPost("/keys/revoke", RevokeKeyAsync)
            .AcceptsBody<KeyIdRequest>([KeyIdField])
            .Produces<Envelope>().WithErrors(ResultCode.KeyNotFound, ResultCode.Conflict)
            .WithSummary("Revoke a key at once (on the other nodes within MsgMate:Auth:KeyCacheTtl)");
        group.MapGet("/audit", AuditAsync).Produces<AuditListResponse>()
            .WithQueryParameters(
                Field.Text("action", "e.g. key.create, template.update, user.erase, msg.resend", maxLength: 64),
                Field.Text("key_id", "Changes made with this key", maxLength: 32),
                Field.Text("source_id", "Changes made by this source", maxLength: 64),
                Field.Text("target", "Changes of this id (template, user, schedule, message, key)", maxLength: 128),
                Field.Time("start_time", "From this time"), Field.Time("end_time", "Until this time"),
                Field.Page, Field.PageSize)
            .WithSummary("The audit trail, newest first: who (key id, source, address) changed what and when");
        ApiField[] quotaKey =
        [
            Field.Choice("scope", "What the quota counts", Enum.GetValues<QuotaScope>().Select(QuotaRule.ScopeName), required: true),
            Field.Text("source_id", "source and user quotas: the source id", maxLength: 64),
            Field.Text("user_id", "user quotas: the user id", maxLength: 128),
            Field.Text("caller", "api quotas: a key id, or 'source:<id>' for callers without a key; empty: every caller alike", maxLength: 80),
            Field.Int("channel", "0: all channels together; otherwise one channel", min: 0, max: 6),
        ];
        group.MapGet("/quotas", ListQuotasAsync).WithName("adminQuotasList").Produces<QuotaListResponse>()
            .WithSummary("The quotas in force: configured (MsgMate:Quotas:Rules) and stored (set here; a stored one replaces a configured one of the same scope, subject and channel)");
        group.MapPost("/quotas", SetQuotaAsync).WithName("adminQuotasSet")
            .AcceptsBody<QuotaRequest>([.. quotaKey,
                Field.Int("num", "Messages (api: requests) per unit", min: 1, required: true),
                Field.Int("unit", "The window in milliseconds (1000 to 31 days)", min: 1000, max: 31L * 86_400_000, required: true)])
            .Produces<Envelope>()
            .WithSummary("Create or replace a quota: num per unit milliseconds, a token bucket (holds on every node within MsgMate:Quotas:RuleCacheTtl)");
        group.MapPost("/quotas/delete", DeleteQuotaAsync)
            .AcceptsBody<QuotaKeyRequest>(quotaKey)
            .Produces<Envelope>().WithErrors(ResultCode.KeyNotFound)
            .WithSummary("Delete a stored quota (a configured one stays: change the configuration)");
        return app;
    }

    private static async Task<IResult> ListQuotasAsync(QuotaService quotas, CancellationToken ct)
    {
        var stored = (await quotas.StoredAsync(ct)).ToHashSet();
        var all = await quotas.RulesAsync(ct);
        return Api.Ok(new QuotaListResponse(
            [.. all.Select(r => new QuotaDto(QuotaRule.ScopeName(r.Scope), r.Subject, r.Channel, r.Num, r.UnitMs, stored.Contains(r) ? "stored" : "configuration"))],
            quotas.Counter.Name));
    }

    private static async Task<IResult> SetQuotaAsync(HttpContext http, QuotaService quotas, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<QuotaRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (req.Num is null || req.Unit is null)
        {
            return Api.Invalid("num and unit are required");
        }
        var (rule, problem) = QuotaService.Parse(req.Scope, req.SourceId, req.UserId, req.Caller, req.Channel ?? 0, req.Num.Value, req.Unit.Value);
        if (rule is null)
        {
            return Api.Invalid(problem!);
        }
        await quotas.SetAsync(rule, ct);
        await http.AuditAsync("quota.set", $"{QuotaRule.ScopeName(rule.Scope)}:{rule.Subject}:{rule.Channel}", $"{rule.Num} per {rule.UnitMs} ms");
        return Api.Ok();
    }

    private static async Task<IResult> DeleteQuotaAsync(HttpContext http, QuotaService quotas, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<QuotaKeyRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        // Any valid num/unit: only scope, subject and channel name the quota.
        var (rule, problem) = QuotaService.Parse(req.Scope, req.SourceId, req.UserId, req.Caller, req.Channel ?? 0, 1, 1000);
        if (rule is null)
        {
            return Api.Invalid(problem!);
        }
        if (!await quotas.DeleteAsync(rule.Scope, rule.Subject, rule.Channel, ct))
        {
            return Api.Error(ResultCode.KeyNotFound, "no stored quota with that scope, subject and channel");
        }
        await http.AuditAsync("quota.delete", $"{QuotaRule.ScopeName(rule.Scope)}:{rule.Subject}:{rule.Channel}");
        return Api.Ok();
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext http, ApiKeyService keys, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<CreateKeyRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var (issued, problem) = await keys.CreateAsync(req.SourceId?.Trim(), req.Scopes, req.Name, http.Caller(), ct);
        if (issued is null)
        {
            return Api.Error(problem!.Code, problem.Message);
        }
        await http.AuditAsync("key.create", issued.Record.KeyId, $"source {issued.Record.SourceId}, scopes {issued.Record.Scopes}");
        return Issued(issued);
    }

    private static async Task<IResult> ListKeysAsync(ApiKeyService keys, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return Api.Ok(new KeyListResponse([.. (await keys.ListAsync(ct)).Select(k => KeyDto.From(k, now, options.Zone))]));
    }

    private static async Task<IResult> RotateKeyAsync(HttpContext http, ApiKeyService keys, MsgMateOptions options, CancellationToken ct)
    {
        var (keyId, error) = await ReadKeyIdAsync(http, options);
        if (keyId is null)
        {
            return error!;
        }
        var (issued, problem) = await keys.RotateAsync(keyId, http.Caller(), ct);
        if (issued is null)
        {
            return Api.Error(problem!.Code, problem.Message);
        }
        await http.AuditAsync("key.rotate", keyId, $"replaced by {issued.Record.KeyId}");
        return Issued(issued);
    }

    private static async Task<IResult> RevokeKeyAsync(HttpContext http, ApiKeyService keys, MsgMateOptions options, CancellationToken ct)
    {
        var (keyId, error) = await ReadKeyIdAsync(http, options);
        if (keyId is null)
        {
            return error!;
        }
        if (await keys.RevokeAsync(keyId, ct) is { } problem)
        {
            return Api.Error(problem.Code, problem.Message);
        }
        await http.AuditAsync("key.revoke", keyId);
        return Api.Ok();
    }

    private static async Task<IResult> AuditAsync(HttpRequest http, AuditLog audit, MsgMateOptions options, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        var (from, fromError) = MessageApi.QueryTime(http, "start_time", options.Zone);
        var (until, untilError) = MessageApi.QueryTime(http, "end_time", options.Zone);
        var filters = new[] { ("action", 64), ("key_id", 32), ("source_id", 64), ("target", 128) }
            .Select(f => (f.Item1, f.Item2, Value: RequestReader.Query(http, f.Item1))).ToList();
        var tooLong = filters.FirstOrDefault(f => f.Value?.Length > f.Item2);
        var error = pagingError ?? fromError ?? untilError
            ?? (tooLong.Value is null ? null : Api.Invalid($"{tooLong.Item1} must be at most {tooLong.Item2} characters"));
        if (error is not null)
        {
            return error;
        }
        var page = await audit.QueryAsync(new AuditQuery(
            paging, filters[0].Value, filters[1].Value, filters[2].Value, filters[3].Value, from, until), ct);
        return Api.Ok(new AuditListResponse(
            [.. page.Items.Select(e => new AuditDto(e.Id, RecordItemDto.Time(e.At, options.Zone), e.KeyId, e.SourceId, e.Remote, e.Action, e.Target, e.Detail))],
            page.Total, paging.Page, paging.PageSize));
    }

    private static async Task<(string? KeyId, IResult? Error)> ReadKeyIdAsync(HttpContext http, MsgMateOptions options)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<KeyIdRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return (null, error);
        }
        var keyId = req.KeyId?.Trim();
        return string.IsNullOrEmpty(keyId) || keyId.Length > 32
            ? (null, Api.Invalid("key_id is required (at most 32 characters)"))
            : (keyId, null);
    }

    private static IResult Issued(IssuedKey issued) => Api.Ok(new IssuedKeyResponse(
        issued.Key, issued.Record.KeyId, issued.Record.SourceId, [.. issued.Record.Scopes.Scopes.Select(ScopeSet.Name)]));
}
