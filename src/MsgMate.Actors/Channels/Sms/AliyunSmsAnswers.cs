using System.Text.Json;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Sms;

/// <summary>The fields of a SendSms answer (business answer or gateway error).</summary>
public sealed record AliyunAnswer(string? Code, string? Message, string? BizId, string? RequestId)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>The answer in a JSON body; null when the body is not a JSON object of that shape.</summary>
    public static AliyunAnswer? Parse(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Deserialize<AliyunAnswer>(Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// How a SendSms answer is classified; one pure function (<see cref="Map"/>). Aliyun publishes no retry classes:
/// the classes are ours, from the documented meaning of each code.
/// </summary>
public static class AliyunSmsAnswers
{
    /// <summary>Aliyun's day limits are per natural day in China (UTC+8).</summary>
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private static readonly Dictionary<string, string> Retryable = new(StringComparer.Ordinal)
    {
        ["isv.BUSINESS_LIMIT_CONTROL"] = "per-number frequency control",
        ["isv.DAY_LIMIT_CONTROL"] = "daily quota of the account reached",
        ["isv.MONTH_LIMIT_CONTROL"] = "monthly quota of the account reached",
        // Account-wide and fixed by a top-up: retryable, so that another account takes over meanwhile and the
        // message waits instead of failing (the provider's breaker backs the account off).
        ["isv.AMOUNT_NOT_ENOUGH"] = "account balance insufficient (top up the account)",
        ["isv.OUT_OF_SERVICE"] = "service suspended (account balance)",
        ["isp.SYSTEM_ERROR"] = "Aliyun system error",
        ["InternalError"] = "Aliyun internal error",
        ["ServiceUnavailable"] = "Aliyun temporarily unavailable",
        ["SignatureNonceUsed"] = "nonce reused",
        ["InvalidTimeStamp.Expired"] = "request timestamp out of range (check this node's clock)",
    };

    private static readonly Dictionary<string, string> Permanent = new(StringComparer.Ordinal)
    {
        ["isv.MOBILE_NUMBER_ILLEGAL"] = "invalid phone number",
        ["isv.MOBILE_COUNT_OVER_LIMIT"] = "too many phone numbers",
        ["isv.DOMESTIC_NUMBER_NOT_SUPPORTED"] = "template does not serve mainland numbers",
        ["isv.BLACK_KEY_CONTROL_LIMIT"] = "recipient blacklisted",
        ["isv.SMS_SIGNATURE_ILLEGAL"] = "sign name not valid",
        ["isv.SMS_SIGN_ILLEGAL"] = "sign name not allowed",
        ["isv.SIGN_STATE_ILLEGAL"] = "sign name not available",
        ["isv.SMS_SIGNATURE_SCENE_ILLEGAL"] = "sign name and template types do not match",
        ["isv.SMS_TEMPLATE_ILLEGAL"] = "template not valid",
        ["isv.TEMPLATE_MISSING_PARAMETERS"] = "template parameter missing",
        ["isv.INVALID_PARAMETERS"] = "invalid parameters",
        ["isv.INVALID_JSON_PARAM"] = "template parameters not valid JSON of strings",
        ["isv.PARAM_LENGTH_LIMIT"] = "parameter too long",
        ["isv.PARAM_NOT_SUPPORT_URL"] = "URL not allowed in a template parameter",
        ["isv.TEMPLATE_PARAMS_ILLEGAL"] = "template parameter refused",
        ["isv.SMS_CONTENT_ILLEGAL"] = "content refused",
        ["isv.EXTEND_CODE_ERROR"] = "extend code refused",
        ["isv.DENY_IP_RANGE"] = "source IP region refused",
        ["isv.PRODUCT_UN_SUBSCRIPT"] = "SMS product not activated",
        ["isv.PRODUCT_UNSUBSCRIBE"] = "SMS product not activated",
        ["isv.ACCOUNT_NOT_EXISTS"] = "account does not exist",
        ["isv.ACCOUNT_ABNORMAL"] = "account abnormal",
        ["isp.RAM_PERMISSION_DENY"] = "RAM permission missing (AliyunDysmsFullAccess)",
        ["SignatureDoesNotMatch"] = "signature refused (check AccessKeySecret)",
        ["IncompleteSignature"] = "signature refused",
        ["MissingParameter"] = "parameter missing",
        ["InvalidParameter"] = "invalid parameter",
    };

    /// <summary>
    /// Classifies one answer. <paramref name="answer"/> is null when the body was not readable JSON.
    /// HTTP 2xx and Code <c>OK</c>: sent, with the BizId. HTTP 5xx, 408, 429, throttling, limit and system codes:
    /// retryable. Number, sign, template, parameter, content and credential codes, and any other code with a 4xx
    /// (or 2xx) status: permanent. The error names the code, Aliyun's message (long digit runs masked), the HTTP
    /// status and the RequestId — never the phone number or a key.
    /// </summary>
    /// <param name="now">For the pause after a daily limit (until the next day in China).</param>
    /// <param name="retryAfter">The answer's Retry-After header, if any.</param>
    public static SendOutcome Map(string provider, int httpStatus, AliyunAnswer? answer, DateTimeOffset now, TimeSpan? retryAfter = null)
    {
        var code = answer?.Code?.Trim() ?? "";
        if (code == "OK" && httpStatus is >= 200 and < 300)
        {
            return SendOutcome.Ok(provider, answer!.BizId ?? "");
        }
        var transientStatus = httpStatus is >= 500 or 408 or 429;
        if (code.Length == 0)
        {
            var what = answer is null ? "an unreadable answer" : "an answer without a Code";
            var text = $"HTTP {httpStatus} with {what}";
            return httpStatus is >= 400 and < 500 && !transientStatus
                ? SendOutcome.Permanent(provider, text)
                : SendOutcome.Retry(provider, text, retryAfter);
        }

        var details = Details(code, answer!, httpStatus);
        if (Retryable.TryGetValue(code, out var meaning))
        {
            return SendOutcome.Retry(provider, $"{meaning}: {details}", retryAfter ?? Pause(code, answer!.Message, now));
        }
        if (code.StartsWith("Throttling", StringComparison.Ordinal) || code.StartsWith("ServiceUnavailable", StringComparison.Ordinal))
        {
            return SendOutcome.Retry(provider, $"throttled by Aliyun: {details}", retryAfter);
        }
        if (transientStatus)
        {
            return SendOutcome.Retry(provider, $"Aliyun error: {details}", retryAfter);
        }
        if (Permanent.TryGetValue(code, out meaning))
        {
            return SendOutcome.Permanent(provider, $"{meaning}: {details}");
        }
        if (code.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal))
        {
            return SendOutcome.Permanent(provider, $"AccessKey refused (check AccessKeyId): {details}");
        }
        if (code.StartsWith("Forbidden", StringComparison.Ordinal))
        {
            return SendOutcome.Permanent(provider, $"forbidden: {details}");
        }
        if (code.StartsWith("isp.", StringComparison.Ordinal))
        {
            // isp: Aliyun's side; only RAM_PERMISSION_DENY (above) is known to be a configuration error.
            return SendOutcome.Retry(provider, $"Aliyun platform error: {details}", retryAfter);
        }
        return SendOutcome.Permanent(provider, $"refused by Aliyun: {details}");
    }

    /// <summary>
    /// The pause a limit answer implies: per-number control says which window (分钟级 minute, 小时级 hour, 天级 day);
    /// a daily limit lasts until midnight in China. Null: the usual backoff.
    /// </summary>
    public static TimeSpan? Pause(string code, string? message, DateTimeOffset now)
    {
        message ??= "";
        return code switch
        {
            "isv.BUSINESS_LIMIT_CONTROL" when message.Contains("分钟级", StringComparison.Ordinal) => TimeSpan.FromMinutes(1),
            "isv.BUSINESS_LIMIT_CONTROL" when message.Contains("小时级", StringComparison.Ordinal) => TimeSpan.FromHours(1),
            "isv.BUSINESS_LIMIT_CONTROL" when message.Contains("天级", StringComparison.Ordinal) => UntilNextChinaDay(now),
            "isv.BUSINESS_LIMIT_CONTROL" => TimeSpan.FromMinutes(1),
            "isv.DAY_LIMIT_CONTROL" => UntilNextChinaDay(now),
            _ => null,
        };
    }

    private static TimeSpan UntilNextChinaDay(DateTimeOffset now)
    {
        var local = now.ToOffset(ChinaOffset);
        var midnight = new DateTimeOffset(local.Date.AddDays(1), ChinaOffset);
        return midnight - now;
    }

    private static string Details(string code, AliyunAnswer answer, int httpStatus)
    {
        // Aliyun echoes the numbers it refuses ("invalid mobile 138…"): masked like every other log text.
        var message = PersonalData.Scrub(answer.Message);
        var text = message.Length > 0 ? $"{Clip(code, 80)} {message}" : Clip(code, 80);
        var request = string.IsNullOrWhiteSpace(answer.RequestId) ? "" : $", RequestId {Clip(answer.RequestId.Trim(), 64)}";
        return $"{text} (HTTP {httpStatus}{request})";
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
