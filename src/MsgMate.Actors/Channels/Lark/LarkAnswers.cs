using System.Globalization;
using System.Text.Json;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>What an answer of Lark means for the attempt.</summary>
public enum LarkAnswerKind
{
    /// <summary>The message was accepted (or, from the token endpoint, a token was issued).</summary>
    Ok,

    /// <summary>The tenant_access_token was refused: get a new one and send once more.</summary>
    RefreshToken,

    Retryable,

    Permanent,
}

/// <param name="MessageId">Lark's message_id (om_…) of an accepted message.</param>
/// <param name="RetryAfter">Lark asked for this pause (x-ogw-ratelimit-reset).</param>
public readonly record struct LarkAnswer(LarkAnswerKind Kind, string Error = "", string MessageId = "", TimeSpan? RetryAfter = null)
{
    public SendOutcome ToOutcome(string provider) => Kind switch
    {
        LarkAnswerKind.Ok => SendOutcome.Ok(provider, MessageId),
        LarkAnswerKind.Permanent => SendOutcome.Permanent(provider, Error),
        _ => SendOutcome.Retry(provider, Error, RetryAfter),
    };
}

/// <summary>The parts of a Lark answer that decide it (any of them may be missing).</summary>
/// <param name="Code">The body's <c>code</c>; null when the body is not Lark JSON (a gateway's page, nothing).</param>
public sealed record LarkReply(int HttpStatus, long? Code, string Msg, string MessageId, string Token, long Expire, string LogId, TimeSpan? RateLimitReset)
{
    /// <summary>Reads a Lark JSON body (tolerating anything else) and the headers that matter.</summary>
    public static LarkReply Parse(int httpStatus, string? body, string? rateLimitResetHeader, string? logIdHeader)
    {
        long? code = null;
        string msg = "", messageId = "", token = "", logId = logIdHeader ?? "";
        long expire = 0;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                var root = json.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var cv))
                    {
                        code = cv;
                    }
                    msg = String(root, "msg");
                    token = String(root, "tenant_access_token");
                    if (root.TryGetProperty("expire", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var ev))
                    {
                        expire = ev;
                    }
                    if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
                    {
                        messageId = String(data, "message_id");
                    }
                    if (logId.Length == 0 && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                    {
                        logId = String(error, "log_id");
                    }
                }
            }
            catch (JsonException)
            {
                // Not Lark's JSON: decided by the HTTP status.
            }
        }
        TimeSpan? reset = null;
        if (double.TryParse(rateLimitResetHeader?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds < 86_400)
        {
            reset = TimeSpan.FromSeconds(seconds);
        }
        return new LarkReply(httpStatus, code, msg, messageId, token, expire, logId, reset);
    }

    /// <summary>Without the token.</summary>
    public override string ToString() => $"HTTP {HttpStatus}, code {Code?.ToString(CultureInfo.InvariantCulture) ?? "none"}, msg {Msg}, log_id {LogId}";

    private static string String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";
}

/// <summary>
/// How Lark's answers map to outcomes, in one place (pure functions). Any non-zero <c>code</c> is an error whatever
/// the HTTP status; without Lark JSON the HTTP status decides.
/// <para>Message endpoint (im/v1/messages):</para>
/// <list type="bullet">
/// <item>code 0 → sent, with data.message_id.</item>
/// <item>99991661 (no token), 99991663 (tenant token invalid/expired), 99991664 (app token invalid), 99991665
/// (tenant code invalid), 99991668 (access token invalid) → <see cref="LarkAnswerKind.RefreshToken"/>: one new
/// token, one resend; refused again → retryable.</item>
/// <item>99991400 (frequency limit, HTTP 429 or 400) → retryable after <c>x-ogw-ratelimit-reset</c> seconds;
/// 230020 (5 QPS to one user / chat) → retryable (after the header's pause if sent); 230049 (the message is being
/// sent) → retryable (the same uuid dedupes it); 1500 (internal error, "retry later") → retryable.</item>
/// <item>Any other code → permanent with Lark's code and msg, unless the HTTP status is 5xx (retryable): the
/// 2300xx/2320xx message errors (230001 invalid parameter, 230002 bot not in the group, 230006 bot ability off,
/// 230013 user outside the app's availability, 230025 content too long, 230034 invalid receive_id, 230035 no
/// permission, 230053 the user stopped the bot, 230099 card content invalid, 232009 chat dissolved, …) and the
/// configuration ones (99991662 app disabled, 99991672 scope missing, 99991673 unauthorized app, 9999235x ids
/// not found, 99992402 field validation).</item>
/// <item>No Lark JSON: 2xx (the outcome is unknown; the uuid makes a resend safe), 408, 429 (with the pause) and
/// 5xx → retryable; any other status → permanent.</item>
/// </list>
/// <para>Token endpoint (auth/v3/tenant_access_token/internal):</para>
/// <list type="bullet">
/// <item>code 0 with a token → ok.</item>
/// <item>10003 (invalid param: a malformed or empty app id / secret) and 10014 (app secret invalid, or the app id
/// does not exist) → permanent: the configuration is wrong, retrying does not help.</item>
/// <item>Any other code, code 0 without a token, and no Lark JSON with 2xx/408/429/5xx → retryable
/// (with the rate-limit pause when given); no Lark JSON with another 4xx → permanent (a wrong BaseUrl).</item>
/// </list>
/// </summary>
public static class LarkAnswers
{
    /// <summary>Token-invalid codes: refresh the token once and resend.</summary>
    public static readonly IReadOnlySet<long> TokenInvalidCodes = new HashSet<long> { 99991661, 99991663, 99991664, 99991665, 99991668 };

    /// <summary>Message-endpoint codes worth another attempt.</summary>
    public static readonly IReadOnlySet<long> RetryableCodes = new HashSet<long> { RateLimited, 230020, 230049, 1500 };

    /// <summary>Token-endpoint codes that mean the app id or secret is wrong.</summary>
    public static readonly IReadOnlySet<long> BadCredentialCodes = new HashSet<long> { 10003, 10014 };

    /// <summary>"request trigger frequency limit".</summary>
    public const long RateLimited = 99991400;

    /// <summary>Classifies an answer of im/v1/messages.</summary>
    public static LarkAnswer ClassifySend(LarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Code is not { } code)
        {
            return ByStatus(reply, "");
        }
        if (code == 0 && reply.HttpStatus is >= 200 and < 300)
        {
            return new LarkAnswer(LarkAnswerKind.Ok, MessageId: reply.MessageId);
        }
        var error = Describe(reply);
        if (code == 0)
        {
            return ByStatus(reply, "");
        }
        if (TokenInvalidCodes.Contains(code))
        {
            return new LarkAnswer(LarkAnswerKind.RefreshToken, error);
        }
        // An unlisted code on a throttled or timed-out HTTP answer (429, 408) or a server error is the transport's verdict.
        if (RetryableCodes.Contains(code) || reply.HttpStatus is >= 500 or 429 or 408)
        {
            return new LarkAnswer(LarkAnswerKind.Retryable, error, RetryAfter: reply.RateLimitReset);
        }
        return new LarkAnswer(LarkAnswerKind.Permanent, error);
    }

    /// <summary>Classifies an answer of auth/v3/tenant_access_token/internal (<see cref="LarkAnswerKind.Ok"/>: a token came).</summary>
    public static LarkAnswer ClassifyToken(LarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        const string prefix = "token endpoint: ";
        if (reply.Code is not { } code)
        {
            return ByStatus(reply, prefix);
        }
        if (code == 0)
        {
            return reply.Token.Length > 0 && reply.HttpStatus is >= 200 and < 300
                ? new LarkAnswer(LarkAnswerKind.Ok)
                : new LarkAnswer(LarkAnswerKind.Retryable, prefix + Describe(reply) + " without a tenant_access_token", RetryAfter: reply.RateLimitReset);
        }
        if (BadCredentialCodes.Contains(code))
        {
            return new LarkAnswer(LarkAnswerKind.Permanent, prefix + Describe(reply) + " (check the app's AppId and AppSecret)");
        }
        return new LarkAnswer(LarkAnswerKind.Retryable, prefix + Describe(reply), RetryAfter: reply.RateLimitReset);
    }

    /// <summary>"Lark 230002: msg (log_id …)", or "HTTP 503" without Lark JSON.</summary>
    public static string Describe(LarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var text = reply.Code is { } code
            ? $"Lark {code}: {(reply.Msg.Length == 0 ? "(no msg)" : reply.Msg)}" + (reply.HttpStatus is >= 200 and < 300 ? "" : $" (HTTP {reply.HttpStatus})")
            : $"HTTP {reply.HttpStatus}";
        return reply.LogId.Length == 0 ? text : $"{text} log_id {reply.LogId}";
    }

    private static LarkAnswer ByStatus(LarkReply reply, string prefix)
    {
        var status = reply.HttpStatus;
        var error = prefix + Describe(reply) + (reply.Code is null ? " (no Lark answer)" : "");
        return status is (>= 200 and < 300) or 408 or 429 or >= 500
            ? new LarkAnswer(LarkAnswerKind.Retryable, error, RetryAfter: reply.RateLimitReset)
            : new LarkAnswer(LarkAnswerKind.Permanent, error);
    }
}
