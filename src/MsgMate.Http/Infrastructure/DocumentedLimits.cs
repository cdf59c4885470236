using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Enforces, on every route, the limits its OpenAPI metadata publishes for what handlers read ad hoc from the request:
/// the length of each documented query parameter (and that none holds NUL, which PostgreSQL cannot compare), and the
/// length of the <c>Source-Id</c> and <c>Idempotency-Key</c> headers. The document and the check read the same list,
/// so they cannot drift apart; what a handler checks beyond (ranges, formats, allowed values) stays in the handler.
/// </summary>
public static class DocumentedLimits
{
    /// <summary>Adds the check to every endpoint under <paramref name="builder"/>.</summary>
    public static TBuilder WithDocumentedLimits<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) => Check(context.HttpContext) ?? await next(context));

    /// <summary>The first documented limit the request breaks, as the 8020/400 answer; null when it keeps them all.</summary>
    public static IResult? Check(HttpContext http)
    {
        var request = http.Request;
        var metadata = http.GetEndpoint()?.Metadata;
        var sourceId = request.Headers[OpenApiExtensions.SourceIdHeader].ToString();
        if (sourceId.Length > OpenApiExtensions.MaxSourceIdLength)
        {
            return Api.Invalid($"{OpenApiExtensions.SourceIdHeader} must be at most {OpenApiExtensions.MaxSourceIdLength} characters");
        }
        if (metadata?.GetMetadata<OpenApiExtensions.IdempotencyKeyDoc>() is not null
            && request.Headers[OpenApiExtensions.IdempotencyKeyHeader].ToString().Length > OpenApiExtensions.MaxIdempotencyKeyLength)
        {
            return Api.Invalid($"{OpenApiExtensions.IdempotencyKeyHeader} must be at most {OpenApiExtensions.MaxIdempotencyKeyLength} characters");
        }
        foreach (var field in metadata?.GetOrderedMetadata<OpenApiExtensions.QueryParametersDoc>().SelectMany(d => d.Fields) ?? [])
        {
            var value = request.Query[field.Name].ToString();
            if (value.Contains('\0'))
            {
                return Api.Invalid($"{field.Name} must not contain NUL (%00)");
            }
            if (field.MaxLength is { } max && value.Length > max)
            {
                return Api.Invalid($"{field.Name} must be at most {max} characters");
            }
        }
        return null;
    }
}
