using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using MsgMate.Actors.Channels.Lark;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>The answer mapping (pure): code and HTTP status → outcome.</summary>
public sealed class LarkAnswersTests
{
    private static LarkReply Reply(int status, long? code, string msg = "", string messageId = "", TimeSpan? reset = null, string logId = "", string token = "") =>
        new(status, code, msg, messageId, token, 0, logId, reset);

    [Theory(DisplayName = "Message answers: code (whatever the HTTP status) and, without Lark JSON, the status decide the outcome")]
    // Accepted.
    [InlineData(200, 0L, LarkAnswerKind.Ok)]
    // Token refused: refresh once.
    [InlineData(400, 99991663L, LarkAnswerKind.RefreshToken)]
    [InlineData(200, 99991663L, LarkAnswerKind.RefreshToken)]
    [InlineData(401, 99991661L, LarkAnswerKind.RefreshToken)]
    [InlineData(400, 99991664L, LarkAnswerKind.RefreshToken)]
    [InlineData(400, 99991665L, LarkAnswerKind.RefreshToken)]
    [InlineData(400, 99991668L, LarkAnswerKind.RefreshToken)]
    // Throttled / transient.
    [InlineData(429, 99991400L, LarkAnswerKind.Retryable)]
    [InlineData(400, 99991400L, LarkAnswerKind.Retryable)]
    [InlineData(400, 230020L, LarkAnswerKind.Retryable)]
    [InlineData(400, 230049L, LarkAnswerKind.Retryable)]
    [InlineData(200, 1500L, LarkAnswerKind.Retryable)]
    [InlineData(500, 230001L, LarkAnswerKind.Retryable)]
    [InlineData(503, 0L, LarkAnswerKind.Retryable)]
    // Message refused: permanent.
    [InlineData(400, 230001L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230002L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230006L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230013L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230025L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230034L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230035L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230053L, LarkAnswerKind.Permanent)]
    [InlineData(400, 230099L, LarkAnswerKind.Permanent)]
    [InlineData(400, 232009L, LarkAnswerKind.Permanent)]
    [InlineData(400, 99991662L, LarkAnswerKind.Permanent)]
    [InlineData(403, 99991672L, LarkAnswerKind.Permanent)]
    [InlineData(400, 99992351L, LarkAnswerKind.Permanent)]
    [InlineData(400, 99992402L, LarkAnswerKind.Permanent)]
    // An unlisted code on a throttled, timed-out or failed HTTP answer: the transport's verdict.
    [InlineData(429, 12345L, LarkAnswerKind.Retryable)]
    [InlineData(408, 12345L, LarkAnswerKind.Retryable)]
    [InlineData(503, 12345L, LarkAnswerKind.Retryable)]
    [InlineData(400, 12345L, LarkAnswerKind.Permanent)]
    // No Lark JSON.
    [InlineData(200, null, LarkAnswerKind.Retryable)]
    [InlineData(408, null, LarkAnswerKind.Retryable)]
    [InlineData(429, null, LarkAnswerKind.Retryable)]
    [InlineData(500, null, LarkAnswerKind.Retryable)]
    [InlineData(502, null, LarkAnswerKind.Retryable)]
    [InlineData(504, null, LarkAnswerKind.Retryable)]
    [InlineData(400, null, LarkAnswerKind.Permanent)]
    [InlineData(401, null, LarkAnswerKind.Permanent)]
    [InlineData(404, null, LarkAnswerKind.Permanent)]
    [InlineData(413, null, LarkAnswerKind.Permanent)]
    public void Send_mapping(int status, long? code, LarkAnswerKind expected)
    {
        var answer = LarkAnswers.ClassifySend(Reply(status, code, "some msg"));

        Assert.Equal(expected, answer.Kind);
        if (expected != LarkAnswerKind.Ok)
        {
            Assert.Contains(code is { } c ? $"Lark {c}: some msg" : $"HTTP {status}", answer.Error);
        }
    }

    [Fact(DisplayName = "Accepted: Lark's data.message_id becomes the provider message id")]
    public void Accepted_message_id()
    {
        var outcome = LarkAnswers.ClassifySend(Reply(200, 0, "success", "om_abc")).ToOutcome("lark");
        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal("om_abc", outcome.ProviderMessageId);
    }

    [Fact(DisplayName = "99991400 and 230020 carry the rate-limit pause as RetryAfter; the error has code, msg and log_id")]
    public void Rate_limit_pause()
    {
        var limited = LarkAnswers.ClassifySend(Reply(429, 99991400, "request trigger frequency limit", reset: TimeSpan.FromSeconds(7), logId: "20240101abc"));
        Assert.Equal(TimeSpan.FromSeconds(7), limited.RetryAfter);
        Assert.Equal("Lark 99991400: request trigger frequency limit (HTTP 429) log_id 20240101abc", limited.Error);
        Assert.Equal(TimeSpan.FromSeconds(3), LarkAnswers.ClassifySend(Reply(400, 230020, "", reset: TimeSpan.FromSeconds(3))).RetryAfter);
        Assert.Null(LarkAnswers.ClassifySend(Reply(400, 230002)).RetryAfter);
    }

    [Theory(DisplayName = "Token answers: 10003 and 10014 (bad app id/secret) permanent; other codes, 5xx, 429, no token retryable; wrong URL permanent")]
    [InlineData(200, 0L, "t-x", LarkAnswerKind.Ok)]
    [InlineData(200, 0L, "", LarkAnswerKind.Retryable)]
    [InlineData(400, 10014L, "", LarkAnswerKind.Permanent)]
    [InlineData(200, 10014L, "", LarkAnswerKind.Permanent)]
    [InlineData(400, 10003L, "", LarkAnswerKind.Permanent)]
    [InlineData(429, 99991400L, "", LarkAnswerKind.Retryable)]
    [InlineData(200, 1500L, "", LarkAnswerKind.Retryable)]
    [InlineData(200, 2200L, "", LarkAnswerKind.Retryable)]
    [InlineData(500, null, "", LarkAnswerKind.Retryable)]
    [InlineData(503, null, "", LarkAnswerKind.Retryable)]
    [InlineData(200, null, "", LarkAnswerKind.Retryable)]
    [InlineData(404, null, "", LarkAnswerKind.Permanent)]
    public void Token_mapping(int status, long? code, string token, LarkAnswerKind expected)
    {
        var answer = LarkAnswers.ClassifyToken(Reply(status, code, "m", token: token));

        Assert.Equal(expected, answer.Kind);
        if (expected != LarkAnswerKind.Ok)
        {
            Assert.StartsWith("token endpoint: ", answer.Error);
        }
    }

    [Fact(DisplayName = "Parse: Lark JSON fields, log_id from the header or the body's error, the reset header in seconds; anything else tolerated")]
    public void Parse()
    {
        var reply = LarkReply.Parse(400, """{"code":230002,"msg":"Bot can NOT be out of the chat.","error":{"log_id":"L1"}}""", " 12 ", null);
        Assert.Equal(230002, reply.Code);
        Assert.Equal("Bot can NOT be out of the chat.", reply.Msg);
        Assert.Equal("L1", reply.LogId);
        Assert.Equal(TimeSpan.FromSeconds(12), reply.RateLimitReset);

        var ok = LarkReply.Parse(200, """{"code":0,"data":{"message_id":"om_1"},"tenant_access_token":"t-1","expire":7140}""", null, "H1");
        Assert.Equal(("om_1", "t-1", 7140L, "H1"), (ok.MessageId, ok.Token, ok.Expire, ok.LogId));
        Assert.DoesNotContain("t-1", ok.ToString());

        Assert.Null(LarkReply.Parse(502, "<html>Bad Gateway</html>", "x", null).Code);
        Assert.Null(LarkReply.Parse(200, "[1,2]", null, null).Code);
        Assert.Null(LarkReply.Parse(200, """{"code":"0"}""", null, null).Code);
        Assert.Null(LarkReply.Parse(200, "", "-1", null).RateLimitReset);
    }

    [Fact(DisplayName = "Scrub: the recipient and any email in Lark's msg are masked, control characters dropped, length capped")]
    public void Scrub()
    {
        var msg = PersonalData.Scrub("user alice@example.com not found, receive_id ou_1234567890abcdef\n(bob@corp.cn)", "ou_1234567890abcdef");

        Assert.DoesNotContain("alice@", msg);
        Assert.DoesNotContain("bob@", msg);
        Assert.DoesNotContain("ou_1234567890abcdef", msg);
        Assert.Contains("a***@example.com", msg);
        Assert.Contains("ou_1***", msg);
        Assert.DoesNotContain("\n", msg);
        Assert.True(PersonalData.Scrub(new string('x', 1000), "").Length <= 201);
    }
}
