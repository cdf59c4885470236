using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Security;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// The audit trail on the routes that change something: <see cref="Audited"/> writes one entry after the handler
/// answered success (code 0), as the request's caller. The target is the id the request names (or, for a create,
/// the id the answer gives); the detail lists which fields the request set, never their values — so that the trail
/// holds no contacts, contents or secrets.
/// </summary>
public static class AuditTrail
{
    private static readonly object BodyKey = new();

    /// <summary>Keeps the parsed body for the audit filter (<see cref="RequestReader"/> calls it).</summary>
    public static T Remember<T>(HttpContext http, T body) where T : class
    {
        http.Items[BodyKey] = body;
        return body;
    }

    /// <summary>Audits the route as <paramref name="action"/>; the target is the first of <paramref name="targetFields"/> present.</summary>
    public static RouteHandlerBuilder Audited(this RouteHandlerBuilder builder, string action, params string[] targetFields) =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var result = await next(ctx);
            if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK } and IValueHttpResult { Value: Envelope { Code: 0 } answer })
            {
                var http = ctx.HttpContext;
                var body = http.Items.TryGetValue(BodyKey, out var b) && b is not null
                    ? JsonSerializer.SerializeToElement(b, b.GetType(), Api.ResponseJson)
                    : default;
                var reply = JsonSerializer.SerializeToElement(answer, answer.GetType(), Api.ResponseJson);
                var target = targetFields.Select(f => Text(body, f) ?? Text(reply, f) ?? QueryText(http, f)).FirstOrDefault(t => t is not null) ?? "";
                await http.AuditAsync(action, target, FieldsSet(body));
            }
            return result;
        });

    /// <summary>Writes an audit entry for a change this request made, as its caller. Not cancelled with the request: the change is made.</summary>
    public static Task AuditAsync(this HttpContext http, string action, string target, string detail = "") =>
        http.RequestServices.GetRequiredService<AuditLog>()
            .RecordAsync(http.Caller(), RemoteOf(http), action, target, detail, CancellationToken.None);

    /// <summary>The client's address as the trail writes it.</summary>
    public static string RemoteOf(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : "";

    private static string? Text(JsonElement element, string field) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : null;

    private static string? QueryText(HttpContext http, string field) => http.Request.Query[field].ToString() is { Length: > 0 } s ? s : null;

    private static string FieldsSet(JsonElement body) => body.ValueKind != JsonValueKind.Object
        ? ""
        : "fields: " + string.Join(", ", body.EnumerateObject()
            .Where(p => p.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
            .Select(p => p.Name));
}
