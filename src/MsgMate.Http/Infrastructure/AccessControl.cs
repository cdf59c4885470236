using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Common;
using MsgMate.Actors.Quotas;
using MsgMate.Actors.Security;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Keys, scopes and legacy sources on every request (<see cref="AccessRules"/> decides; this reads the request and
/// answers 401 / 403 in the envelope). Runs after routing, before any handler reads a body: a refused caller learns
/// nothing about its input. A route names its scope with <see cref="RequireScope{T}"/>; one that names none and is
/// not <see cref="Public{T}"/> needs the admin scope, so that a route nobody thought about is closed, not open.
/// </summary>
public static class AccessControl
{
    public const string ApiKeyHeader = "X-Api-Key";

    private sealed record CallerFeature(Caller Caller);

    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, Scope scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement.Needs(scope));

    public static TBuilder Public<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement.Public());

    /// <summary>The caller this request was let in as (set by the access check).</summary>
    public static Caller Caller(this HttpContext http) =>
        http.Features.Get<CallerFeature>()?.Caller ?? throw new InvalidOperationException("the access check did not run for this request");

    public static Caller Caller(this HttpRequest http) => http.HttpContext.Caller();

    /// <summary>What a route needs: its own metadata, else the admin scope (the fallback's 404 needs no more than any key).</summary>
    public static AccessRequirement RequirementOf(Endpoint? endpoint) =>
        endpoint?.Metadata.GetOrderedMetadata<AccessRequirement>().LastOrDefault() ?? new AccessRequirement.Needs(Scope.Admin);

    public static IApplicationBuilder UseMsgMateAccess(this IApplicationBuilder app) =>
        app.Use(async (ctx, next) =>
        {
            var services = ctx.RequestServices;
            var auth = services.GetRequiredService<AuthOptions>();
            var keys = services.GetRequiredService<ApiKeyService>();
            var (presented, malformed) = PresentedKey(ctx.Request);
            var requirement = RequirementOf(ctx.GetEndpoint());
            var stored = presented is null || requirement is AccessRequirement.Public ? null : await keys.LookupAsync(presented, ctx.RequestAborted);
            var source = ctx.Request.Headers.TryGetValue(OpenApiExtensions.SourceIdHeader, out var s) ? s.ToString() : null;
            var decision = AccessRules.Decide(
                new AccessRequest(requirement, presented, malformed, stored, source, ctx.Connection.RemoteIpAddress,
                    services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds()),
                auth.KeysRequired, auth.Legacy);
            if (decision.Caller is null)
            {
                if (decision.Status == StatusCodes.Status401Unauthorized)
                {
                    ctx.Response.Headers.WWWAuthenticate = "Bearer";
                }
                await Api.Error(decision.Code, decision.Message, decision.Status).ExecuteAsync(ctx);
                return;
            }
            ctx.Features.Set(new CallerFeature(decision.Caller));
            if (decision.Caller.Kind != CallerKind.Anonymous)
            {
                // Requests per caller (api quotas). Fails open: without its counter the API still answers.
                var caller = decision.Caller.KeyId.Length > 0 ? decision.Caller.KeyId : "source:" + decision.Caller.SourceId;
                var outcome = await services.GetRequiredService<QuotaService>().TakeRequestAsync(caller, ctx.RequestAborted);
                if (!outcome.Allowed && !outcome.Unavailable)
                {
                    ctx.Response.Headers.RetryAfter = outcome.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await Api.Error(ResultCode.RateLimited, $"too many requests: {outcome.Exhausted!.Describe()}").ExecuteAsync(ctx);
                    return;
                }
            }
            await next(ctx);
        });

    /// <summary>The key from <c>Authorization: Bearer</c> or <c>X-Api-Key</c>; an Authorization header of another scheme is malformed.</summary>
    public static (string? Key, bool Malformed) PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            const string bearer = "Bearer ";
            return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && authorization.Length > bearer.Length
                ? (authorization[bearer.Length..].Trim(), false)
                : (null, true);
        }
        var header = request.Headers[ApiKeyHeader].ToString().Trim();
        return (header.Length > 0 ? header : null, false);
    }
}
