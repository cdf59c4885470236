using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>
/// How a DingTalk answer is taken (robot send, app token, app send). DingTalk answers HTTP 200 also for errors, so
/// <c>errcode</c> decides; an HTTP error status, a non-JSON body or a network failure is retryable.
/// </summary>
public static class DingTalkReplies
{
    /// <summary>Over the robot limit DingTalk blocks the robot for 10 minutes: come back after that.</summary>
    public static readonly TimeSpan RobotPenalty = TimeSpan.FromMinutes(10);

    /// <param name="httpStatus">The HTTP status (0: no answer).</param>
    /// <param name="errcode">The answer's <c>errcode</c>; null when the body was not a JSON object with one.</param>
    /// <param name="subCode">The <c>sub_code</c> of an errcode 88 answer.</param>
    /// <param name="message">The vendor's message (<c>errmsg</c>, <c>sub_msg</c>), already scrubbed of secrets and recipients.</param>
    public static ReplyVerdict Classify(int httpStatus, long? errcode, string? subCode = null, string? message = null)
    {
        if (httpStatus is < 200 or > 299)
        {
            return httpStatus is 408 or 429 or >= 500 or 0
                ? ReplyVerdict.Retry($"HTTP {httpStatus}")
                : ReplyVerdict.Permanent($"HTTP {httpStatus}");
        }
        if (errcode is not { } code)
        {
            return ReplyVerdict.Retry($"HTTP {httpStatus} without an errcode in the answer");
        }
        if (code == 88 && long.TryParse(subCode, out var sub) && sub != 88 && sub != 0)
        {
            // 88 "鉴权异常" carries the real reason in sub_code (40014 invalid token, 90002 throttled, 60011 no permission, …).
            var inner = Classify(httpStatus, sub, null, message);
            return inner with { Reason = $"DingTalk errcode 88 sub_code {sub}{Text(message)}" };
        }
        var reason = code == 88 && !string.IsNullOrEmpty(subCode)
            ? $"DingTalk errcode 88 sub_code {subCode}{Text(message)}"
            : $"DingTalk errcode {code}{Text(message)}";
        return code switch
        {
            0 => ReplyVerdict.Sent,
            // The access token is invalid, expired or missing: a new token, then once more.
            40014 or 42001 or 41001 or 40000 => ReplyVerdict.Token(reason),
            // Robot over 20 a minute (older and newer code).
            130101 or 410100 => ReplyVerdict.Retry(reason, RobotPenalty),
            // System busy.
            -1 => ReplyVerdict.Retry(reason),
            // Call-frequency and blocking codes (90001–90010 server/corp/secret blocked or over the limit, 90018 40/s per appkey).
            >= 90000 and <= 90099 => ReplyVerdict.Retry(reason),
            // Everything else: keyword/sign/timestamp/ip (310000), illegal ip (300001), group gone (400013), robot token
            // unknown (400101), robot disabled (400102), content refused (430101–430104), Content-Type (43004), secret or
            // appkey wrong (40001, 40089), agent id wrong (40056), ip not allowed (60020), no permission (88/60011) and any
            // code not known here: sending the same again would fail the same way.
            _ => ReplyVerdict.Permanent(reason),
        };
    }

    private static string Text(string? message) => string.IsNullOrEmpty(message) ? "" : ": " + message;
}
