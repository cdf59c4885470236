using MsgMate.Actors.Channels.DingTalk;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Channels.Tests.DingTalk;

public sealed class DingTalkSignAndRepliesTests
{
    // DingTalk publishes no signing vector; these were computed independently (Python hmac/hashlib, quote_plus) with
    // the official sample's secret "this is secret" and with a SEC… secret of the documented form.
    [Theory(DisplayName = "The robot sign is URL-encoded Base64(HMAC-SHA256(secret, timestamp + \"\\n\" + secret)) (fixed vectors)")]
    [InlineData("this is secret", 1577262236757L, "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D")]
    [InlineData("SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1577262236757L,
        "1FvsaxjE09b7bxVKSJb6LCsb3v2tUTADgOn5aQImxro=", "1FvsaxjE09b7bxVKSJb6LCsb3v2tUTADgOn5aQImxro%3D")]
    public void Sign_vectors(string secret, long timestamp, string base64, string sign)
    {
        Assert.Equal(base64, DingTalkSign.Base64(secret, timestamp));
        Assert.Equal(sign, DingTalkSign.Compute(secret, timestamp));
    }

    [Fact(DisplayName = "The robot sign changes with the timestamp (it signs the time, not only the secret)")]
    public void Sign_depends_on_time() =>
        Assert.NotEqual(DingTalkSign.Compute("this is secret", 1577262236757L), DingTalkSign.Compute("this is secret", 1577262236758L));

    [Theory(DisplayName = "DingTalk answers map to sent / token refresh / retryable / permanent by HTTP status, errcode and sub_code")]
    [InlineData(200, 0L, null, ReplyKind.Sent)]
    [InlineData(200, 40014L, null, ReplyKind.TokenRejected)]
    [InlineData(200, 42001L, null, ReplyKind.TokenRejected)]
    [InlineData(200, 41001L, null, ReplyKind.TokenRejected)]
    [InlineData(200, 88L, "40014", ReplyKind.TokenRejected)]
    [InlineData(200, 88L, "40000", ReplyKind.TokenRejected)]
    [InlineData(200, 130101L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, 410100L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, 88L, "90002", ReplyKind.RetryableFailure)]
    [InlineData(200, 90001L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, 90006L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, 90018L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, -1L, null, ReplyKind.RetryableFailure)]
    [InlineData(200, 310000L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 300001L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 400013L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 400101L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 400102L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 430101L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 430104L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 43004L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 40001L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 40089L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 40056L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 60020L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 88L, "60011", ReplyKind.PermanentFailure)]
    [InlineData(200, 88L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, 123456L, null, ReplyKind.PermanentFailure)]
    [InlineData(200, null, null, ReplyKind.RetryableFailure)]
    [InlineData(500, null, null, ReplyKind.RetryableFailure)]
    [InlineData(502, 0L, null, ReplyKind.RetryableFailure)]
    [InlineData(503, null, null, ReplyKind.RetryableFailure)]
    [InlineData(429, null, null, ReplyKind.RetryableFailure)]
    [InlineData(408, null, null, ReplyKind.RetryableFailure)]
    [InlineData(400, null, null, ReplyKind.PermanentFailure)]
    [InlineData(404, null, null, ReplyKind.PermanentFailure)]
    public void Classify(int status, long? errcode, string? subCode, ReplyKind expected) =>
        Assert.Equal(expected, DingTalkReplies.Classify(status, errcode, subCode, "vendor text").Kind);

    [Fact(DisplayName = "A DingTalk error reason names the errcode, the sub_code and the vendor's message")]
    public void Reason_has_code_and_message()
    {
        Assert.Equal("DingTalk errcode 310000: keywords not in content", DingTalkReplies.Classify(200, 310000, null, "keywords not in content").Reason);
        Assert.Equal("DingTalk errcode 88 sub_code 90002: too fast", DingTalkReplies.Classify(200, 88, "90002", "too fast").Reason);
        Assert.Equal("HTTP 503", DingTalkReplies.Classify(503, null).Reason);
    }

    [Fact(DisplayName = "A robot over 20 a minute (130101 / 410100) is asked to come back after its 10-minute block")]
    public void Robot_throttle_says_when()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), DingTalkReplies.Classify(200, 130101).RetryAfter);
        Assert.Equal(TimeSpan.FromMinutes(10), DingTalkReplies.Classify(200, 410100).RetryAfter);
        Assert.Null(DingTalkReplies.Classify(200, -1).RetryAfter);
    }
}
