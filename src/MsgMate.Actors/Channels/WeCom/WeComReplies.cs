using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>
/// How a WeCom answer is taken (robot send, app token, app send). WeCom answers HTTP 200 also for errors, so
/// <c>errcode</c> decides; an HTTP error status, a non-JSON body or a network failure is retryable.
/// </summary>
public static class WeComReplies
{
    /// <summary>After 45009 (over the frequency limit): the robot's window is a minute.</summary>
    public static readonly TimeSpan FrequencyPause = TimeSpan.FromMinutes(1);

    /// <param name="httpStatus">The HTTP status (0: no answer).</param>
    /// <param name="errcode">The answer's <c>errcode</c>; null when the body was not a JSON object with one.</param>
    /// <param name="message">The vendor's <c>errmsg</c>, already scrubbed of secrets and recipients.</param>
    /// <param name="invalidUser">An app send's <c>invaliduser</c>: non-empty means our one recipient was not reached.</param>
    /// <param name="unlicensedUser">An app send's <c>unlicenseduser</c>: non-empty means our one recipient has no licence.</param>
    public static ReplyVerdict Classify(int httpStatus, long? errcode, string? message = null, string? invalidUser = null, string? unlicensedUser = null)
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
        var reason = $"WeCom errcode {code}{(string.IsNullOrEmpty(message) ? "" : ": " + message)}";
        return code switch
        {
            // One recipient per message: "the others were sent" does not arise, that one failed.
            0 when !string.IsNullOrWhiteSpace(invalidUser) =>
                ReplyVerdict.Permanent("the recipient is not a member of the app's visible range or is not a valid UserID (invaliduser)"),
            0 when !string.IsNullOrWhiteSpace(unlicensedUser) =>
                ReplyVerdict.Permanent("the recipient has no WeCom interface licence (unlicenseduser)"),
            0 => ReplyVerdict.Sent,
            // Invalid, expired or missing access token: a new token, then once more.
            40014 or 42001 or 41001 => ReplyVerdict.Token(reason),
            // Over the frequency limit (robot 20/min, app limits).
            45009 => ReplyVerdict.Retry(reason, FrequencyPause),
            // System busy; too many concurrent calls.
            -1 or 45033 => ReplyVerdict.Retry(reason),
            // Everything else: invalid secret (40001), CorpID (40013), ip not allowed (60020), all recipients invalid
            // (81013, 82001), invalid UserID (40003, 60111), agentid (40056, 40036), robot key (93000), no permission
            // for the app (301002) and any code not known here: sending the same again would fail the same way.
            _ => ReplyVerdict.Permanent(reason),
        };
    }
}
