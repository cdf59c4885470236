using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
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
        group.MapPost("/keys", CreateKeyAsync)
            .AcceptsBody<CreateKeyRequest>([
                Field.Text("source_id", "The source the key sends as (the records' source_id)", maxLength: ApiKeyRules.MaxSourceIdLength, required: true,
                    pattern: ApiKeyRules.SourceIdPattern),
                Field.List("scopes", $"One or more of {ScopeSet.AllNames}; admin holds every scope",
                    Field.Choice("", "", Enum.GetValues<Scope>().Select(ScopeSet.Name)), required: true),
                Field.Text("name", "What the key is for", maxLength: ApiKeyRules.MaxNameLength)])
            .Produces<IssuedKeyResponse>()
            .WithSummary("Create an API key: the answer holds the key, shown this once (only its SHA-256 is stored)");
        group.MapGet("/keys", ListKeysAsync).Produces<KeyListResponse>()
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
        return app;
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
        var error = pagingError ?? fromError ?? untilError;
        if (error is not null)
        {
            return error;
        }
        var page = await audit.QueryAsync(new AuditQuery(
            paging, RequestReader.Query(http, "action"), RequestReader.Query(http, "key_id"), RequestReader.Query(http, "source_id"),
            RequestReader.Query(http, "target"), from, until), ct);
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
