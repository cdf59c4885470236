using MsgMate.Actors.Channels.Tokens;
using MsgMate.Actors.Channels.WeCom;

namespace MsgMate.Channels.Tests.WeCom;

public sealed class WeComRepliesTests
{
    [Theory(DisplayName = "WeCom answers map to sent / token refresh / retryable / permanent by HTTP status and errcode")]
    [InlineData(200, 0L, ReplyKind.Sent)]
    [InlineData(200, 40014L, ReplyKind.TokenRejected)]
    [InlineData(200, 42001L, ReplyKind.TokenRejected)]
    [InlineData(200, 41001L, ReplyKind.TokenRejected)]
    [InlineData(200, 45009L, ReplyKind.RetryableFailure)]
    [InlineData(200, 45033L, ReplyKind.RetryableFailure)]
    [InlineData(200, -1L, ReplyKind.RetryableFailure)]
    [InlineData(200, 40001L, ReplyKind.PermanentFailure)]
    [InlineData(200, 40013L, ReplyKind.PermanentFailure)]
    [InlineData(200, 60020L, ReplyKind.PermanentFailure)]
    [InlineData(200, 81013L, ReplyKind.PermanentFailure)]
    [InlineData(200, 82001L, ReplyKind.PermanentFailure)]
    [InlineData(200, 40003L, ReplyKind.PermanentFailure)]
    [InlineData(200, 60111L, ReplyKind.PermanentFailure)]
    [InlineData(200, 40056L, ReplyKind.PermanentFailure)]
    [InlineData(200, 93000L, ReplyKind.PermanentFailure)]
    [InlineData(200, 301002L, ReplyKind.PermanentFailure)]
    [InlineData(200, 999999L, ReplyKind.PermanentFailure)]
    [InlineData(200, null, ReplyKind.RetryableFailure)]
    [InlineData(500, null, ReplyKind.RetryableFailure)]
    [InlineData(503, 0L, ReplyKind.RetryableFailure)]
    [InlineData(429, null, ReplyKind.RetryableFailure)]
    [InlineData(403, null, ReplyKind.PermanentFailure)]
    public void Classify(int status, long? errcode, ReplyKind expected) =>
        Assert.Equal(expected, WeComReplies.Classify(status, errcode, "vendor text").Kind);

    [Fact(DisplayName = "A success that lists our one recipient as invaliduser is a permanent failure of that recipient")]
    public void Invalid_user()
    {
        var verdict = WeComReplies.Classify(200, 0, "ok", invalidUser: "zhangsan");

        Assert.Equal(ReplyKind.PermanentFailure, verdict.Kind);
        Assert.Contains("not a member", verdict.Reason);
        Assert.DoesNotContain("zhangsan", verdict.Reason);
    }

    [Fact(DisplayName = "A success with an empty invaliduser / unlicenseduser is sent; a listed unlicenseduser is permanent")]
    public void Empty_lists()
    {
        Assert.Equal(ReplyKind.Sent, WeComReplies.Classify(200, 0, "ok", "", "").Kind);
        Assert.Equal(ReplyKind.PermanentFailure, WeComReplies.Classify(200, 0, "ok", "", "zhangsan").Kind);
    }

    [Fact(DisplayName = "45009 asks to come back after the robot's one-minute window; the reason names code and message")]
    public void Frequency()
    {
        var verdict = WeComReplies.Classify(200, 45009, "api freq out of limit");

        Assert.Equal(TimeSpan.FromMinutes(1), verdict.RetryAfter);
        Assert.Equal("WeCom errcode 45009: api freq out of limit", verdict.Reason);
    }
}
