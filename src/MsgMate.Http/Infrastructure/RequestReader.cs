using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Reads request bodies (JSON, or a form read as the JSON it stands for) and query strings into typed values,
/// answering bad input in the wire contract's shape: malformed JSON or form 8021/400, a wrong type or bad value
/// 8020/400, too large 8020/413. Never a 500.
/// </summary>
public static class RequestReader
{
    public readonly record struct Parsed<T>(T? Value, IResult? Error)
    {
        public bool Failed => Error is not null;
    }

    /// <summary>
    /// The body as a <typeparamref name="T"/>: a form (<c>application/x-www-form-urlencoded</c> or
    /// <c>multipart/form-data</c>, see <see cref="FormBody"/>) is read as the JSON object it stands for; any other
    /// body is JSON, whatever the Content-Type says (as Gin bound it). Same size limit, UTF-8 check and errors.
    /// </summary>
    public static async Task<Parsed<T>> ReadBodyAsync<T>(HttpRequest request, long maxBytes) where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            return new(null, TooLarge(maxBytes));
        }

        var form = FormBody.EncodingOf(request.ContentType);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return new(null, TooLarge(maxBytes));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            return new(null, Api.Error(ResultCode.BadJson,
                form is null ? "request body is empty; send a JSON object" : "request body is empty; send the form fields"));
        }
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (form is FormBody.FormEncoding.UrlEncoded && FormBody.LooksLikeJson(body.Span))
        {
            // `curl -d '{…}'` labels JSON as a form: no form starts with { or [ (a name does not), so it is JSON.
            form = null;
        }

        // The JSON reader does not check UTF-8 inside strings; a broken body is malformed, not a wrong type.
        // (A multipart body may carry binary file parts: its field values are checked one by one.)
        if (form is not FormBody.FormEncoding.Multipart && !System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return new(null, Api.Error(ResultCode.BadJson, "request body is not valid UTF-8"));
        }

        if (form is { } encoding)
        {
            var (fields, formError) = encoding == FormBody.FormEncoding.UrlEncoded
                ? FormBody.ParseUrlEncoded(body.Span)
                : await FormBody.ParseMultipartAsync(body, request.ContentType!, request.HttpContext.RequestAborted);
            if (formError is not null)
            {
                return new(null, Api.Error(ResultCode.BadJson, formError));
            }
            var (json, shapeError) = FormBody.ToJson(fields!, Api.RequestJson.GetTypeInfo(typeof(T)));
            if (shapeError is not null)
            {
                return new(null, Api.Invalid(shapeError));
            }
            body = json;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return new(null, Api.Error(ResultCode.BadJson, $"malformed JSON: {InputText.Quote(ex.Message)}"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(null, Api.Error(ResultCode.BadJson, "request body must be a JSON object"));
            }
            var textError = CheckText(document.RootElement, "");
            if (textError is not null)
            {
                return new(null, textError);
            }
            try
            {
                var value = document.RootElement.Deserialize<T>(Api.RequestJson);
                return value is null
                    ? new(null, Api.Error(ResultCode.BadJson, "request body must be a JSON object"))
                    : new(AuditTrail.Remember(request.HttpContext, value), null);
            }
            catch (JsonException ex)
            {
                var field = ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
                return new(null, Api.Invalid($"field '{InputText.Quote(field)}' has the wrong type"));
            }
        }
    }

    /// <summary>
    /// Every string of the body, names included, is text that every database stores as sent: a <c>\uD800</c> escape
    /// without its pair is not Unicode (malformed, 8021; reading it would throw), and NUL is refused (8020) because
    /// PostgreSQL cannot store it and no field of the API means it.
    /// </summary>
    private static IResult? CheckText(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return CheckString(element, path);
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (CheckText(item, $"{path}[{i++}]") is { } itemError)
                    {
                        return itemError;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return Api.Error(ResultCode.BadJson, $"malformed JSON: a name in '{InputText.Quote(path.Length == 0 ? "body" : path)}' holds an unpaired UTF-16 surrogate escape");
                    }
                    var at = path.Length == 0 ? name : $"{path}.{name}";
                    if (name.Contains('\0'))
                    {
                        return Api.Invalid($"field '{InputText.Quote(at.Replace("\0", "\\u0000"))}': a name must not contain NUL (\\u0000)");
                    }
                    if (CheckText(property.Value, at) is { } valueError)
                    {
                        return valueError;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static IResult? CheckString(JsonElement element, string path)
    {
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Api.Error(ResultCode.BadJson, $"malformed JSON: field '{InputText.Quote(path)}' holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF)");
        }
        return text.Contains('\0') ? Api.Invalid($"field '{InputText.Quote(path)}' must not contain NUL (\\u0000)") : null;
    }

    /// <summary>An optional integer query parameter; absent gives the default.</summary>
    public static (int Value, IResult? Error) QueryInt(HttpRequest request, string name, int fallback)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return (fallback, null);
        }
        return int.TryParse(raw, out var value) ? (value, null) : (0, Api.Invalid($"{name} must be an integer"));
    }

    /// <summary>An optional integer query parameter; absent gives null.</summary>
    public static (int? Value, IResult? Error) QueryOptionalInt(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return (null, null);
        }
        return int.TryParse(raw, out var value) ? (value, null) : (null, Api.Invalid($"{name} must be an integer"));
    }

    /// <summary>page (≥ 1, default 1) and page_size (1..100, default 10).</summary>
    public static (PageRequest Paging, IResult? Error) Paging(HttpRequest request)
    {
        var (page, pageError) = QueryInt(request, "page", 1);
        var (size, sizeError) = QueryInt(request, "page_size", PageRequest.DefaultPageSize);
        var error = pageError ?? sizeError;
        if (error is not null)
        {
            return (default, error);
        }
        var problem = PageRequest.Validate(page, size);
        return problem is null ? (new PageRequest(page, size), null) : (default, Api.Invalid(problem));
    }

    public static string? Query(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        return raw.Length == 0 ? null : raw;
    }

    private static IResult TooLarge(long maxBytes) =>
        Api.Error(ResultCode.InvalidArgument, $"request body exceeds {maxBytes} bytes", StatusCodes.Status413PayloadTooLarge);
}
