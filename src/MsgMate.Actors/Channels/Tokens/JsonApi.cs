using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MsgMate.Actors.Channels.Tokens;

/// <summary>How a vendor answer is to be taken.</summary>
public enum ReplyKind
{
    Sent,

    /// <summary>The access token was refused (invalid, expired): fetch a new one and send once more.</summary>
    TokenRejected,

    RetryableFailure,

    PermanentFailure,
}

/// <summary>The classification of one vendor answer, with a reason for the attempt history (no personal data).</summary>
public readonly record struct ReplyVerdict(ReplyKind Kind, string Reason = "", TimeSpan? RetryAfter = null)
{
    public static ReplyVerdict Sent => new(ReplyKind.Sent);

    public static ReplyVerdict Retry(string reason, TimeSpan? retryAfter = null) => new(ReplyKind.RetryableFailure, reason, retryAfter);

    public static ReplyVerdict Permanent(string reason) => new(ReplyKind.PermanentFailure, reason);

    public static ReplyVerdict Token(string reason) => new(ReplyKind.TokenRejected, reason);

    /// <summary>The send outcome for this verdict (a refused token that was not retried counts as retryable).</summary>
    public SendOutcome ToOutcome(string provider, string providerMessageId = "") => Kind switch
    {
        ReplyKind.Sent => SendOutcome.Ok(provider, providerMessageId),
        ReplyKind.PermanentFailure => SendOutcome.Permanent(provider, Reason),
        _ => SendOutcome.Retry(provider, Reason, RetryAfter),
    };
}

/// <summary>An HTTP answer whose body was read as JSON (null when it was not JSON), or a transport failure.</summary>
public sealed record JsonReply(int Status, JsonElement? Body, string? TransportFailure)
{
    public long? Long(string name) => JsonApi.Long(Body, name);

    public string? String(string name) => JsonApi.String(Body, name);
}

/// <summary>The HTTP plumbing the errcode-style vendor APIs (DingTalk, WeCom) share.</summary>
public static class JsonApi
{
    /// <summary>Plain UTF-8 in the body (Chinese text as is, not \u escapes); the bodies never end up in HTML.</summary>
    public static readonly JsonSerializerOptions Serializer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static HttpRequestMessage PostJson(string url, JsonNode body)
    {
        var content = new StringContent(body.ToJsonString(Serializer), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
    }

    /// <summary>
    /// Sends once within <paramref name="timeout"/>. Network errors and timeouts come back as
    /// <see cref="JsonReply.TransportFailure"/>; only the caller's own cancellation throws.
    /// </summary>
    public static async Task<JsonReply> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
            var text = await response.Content.ReadAsStringAsync(cts.Token);
            JsonElement? body = null;
            if (text.Length > 0)
            {
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    body = doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
                }
                catch (JsonException)
                {
                    // Not JSON (a proxy's error page): the classification decides by the status.
                }
            }
            return new JsonReply((int)response.StatusCode, body, null);
        }
        catch (HttpRequestException ex)
        {
            return new JsonReply(0, null, $"request failed: {ex.HttpRequestError}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new JsonReply(0, null, "timed out");
        }
        finally
        {
            request.Dispose();
        }
    }

    /// <summary>A number field, also when the vendor sends it as a string ("sub_code":"40014").</summary>
    public static long? Long(JsonElement? body, string name)
    {
        if (body is not { } b || !b.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(value.GetString(), out var s) => s,
            _ => null,
        };
    }

    /// <summary>A string field, or a number field as its text ("task_id":123 → "123").</summary>
    public static string? String(JsonElement? body, string name)
    {
        if (body is not { } b || !b.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    /// <summary>The base URL without a trailing slash, joined with <paramref name="path"/>.</summary>
    public static string Join(string baseUrl, string path) => baseUrl.TrimEnd('/') + path;

    /// <summary>Whether <paramref name="value"/> is an absolute http(s) URL.</summary>
    public static bool IsHttpUrl(string? value, out Uri url)
    {
        url = null!;
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var parsed)
            || parsed.Scheme is not ("http" or "https"))
        {
            return false;
        }
        url = parsed;
        return true;
    }

    /// <summary>The first value of a query parameter (decoded), or null.</summary>
    public static string? QueryValue(Uri url, string name)
    {
        var query = url.Query.TrimStart('?');
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            if (key == name)
            {
                return eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            }
        }
        return null;
    }

    /// <summary>
    /// A robot webhook URL given as the recipient is accepted when it points at the configured robot endpoint
    /// (same scheme, host and port as the base URL, the robot path) and carries a non-empty <paramref name="keyParameter"/>.
    /// </summary>
    public static bool IsRobotUrl(string? recipient, Uri robotBase, string robotPath, string keyParameter, out string key)
    {
        key = "";
        if (!IsHttpUrl(recipient, out var url)
            || !string.Equals(url.Scheme, robotBase.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(url.IdnHost, robotBase.IdnHost, StringComparison.OrdinalIgnoreCase)
            || url.Port != robotBase.Port
            || !string.Equals(url.AbsolutePath.TrimEnd('/'), robotBase.AbsolutePath.TrimEnd('/') + robotPath, StringComparison.Ordinal)
            || !string.IsNullOrEmpty(url.UserInfo))
        {
            return false;
        }
        var value = QueryValue(url, keyParameter);
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        key = value;
        return true;
    }
}
