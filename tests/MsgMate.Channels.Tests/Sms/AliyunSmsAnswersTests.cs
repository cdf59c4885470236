using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using MsgMate.Actors.Channels.Sms;

namespace MsgMate.Channels.Tests.Sms;

public sealed class AliyunSmsAnswersTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private static SendOutcome Map(int status, string? code, string? message = "msg", string? requestId = "RID-1") =>
        AliyunSmsAnswers.Map("aliyun", status, new AliyunAnswer(code, message, "biz-1", requestId), Now);

    [Fact(DisplayName = "HTTP 200 with Code OK is sent, with the BizId as the provider's message id")]
    public void Ok_is_sent()
    {
        var outcome = AliyunSmsAnswers.Map("aliyun", 200, new AliyunAnswer("OK", "OK", "900619746936498440^0", "F655A8D5"), Now);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal("900619746936498440^0", outcome.ProviderMessageId);
        Assert.Equal("aliyun", outcome.Provider);
        Assert.Null(outcome.Error);
    }

    [Theory(DisplayName = "Limits, throttling, system and balance codes, HTTP 5xx/408/429 are retryable")]
    [InlineData(200, "isv.BUSINESS_LIMIT_CONTROL", "per-number frequency control")]
    [InlineData(200, "isv.DAY_LIMIT_CONTROL", "daily quota")]
    [InlineData(200, "isv.MONTH_LIMIT_CONTROL", "monthly quota")]
    [InlineData(200, "isp.SYSTEM_ERROR", "system error")]
    [InlineData(200, "isp.SOMETHING_NEW", "platform error")]
    [InlineData(200, "isv.AMOUNT_NOT_ENOUGH", "balance insufficient")]
    [InlineData(200, "isv.OUT_OF_SERVICE", "suspended")]
    [InlineData(400, "Throttling", "throttled")]
    [InlineData(400, "Throttling.User", "throttled")]
    [InlineData(400, "Throttling.Api", "throttled")]
    [InlineData(503, "ServiceUnavailable", "unavailable")]
    [InlineData(500, "InternalError", "internal error")]
    [InlineData(400, "SignatureNonceUsed", "nonce")]
    [InlineData(400, "InvalidTimeStamp.Expired", "clock")]
    [InlineData(502, "isv.MOBILE_NUMBER_ILLEGAL", "Aliyun error")]
    [InlineData(500, "Whatever", "Aliyun error")]
    [InlineData(429, "Whatever", "Aliyun error")]
    [InlineData(408, "Whatever", "Aliyun error")]
    public void Retryable(int status, string code, string reason)
    {
        var outcome = Map(status, code);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains(reason, outcome.Error);
        Assert.Contains(code, outcome.Error);
        Assert.Contains($"HTTP {status}", outcome.Error);
        Assert.Contains("RequestId RID-1", outcome.Error);
    }

    [Theory(DisplayName = "Number, sign, template, parameter, content and credential codes are permanent, with the code and Aliyun's message")]
    [InlineData(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid phone number")]
    [InlineData(200, "isv.MOBILE_COUNT_OVER_LIMIT", "too many phone numbers")]
    [InlineData(200, "isv.BLACK_KEY_CONTROL_LIMIT", "blacklisted")]
    [InlineData(200, "isv.SMS_SIGNATURE_ILLEGAL", "sign name")]
    [InlineData(200, "isv.SMS_SIGN_ILLEGAL", "sign name")]
    [InlineData(200, "isv.SIGN_STATE_ILLEGAL", "sign name")]
    [InlineData(200, "isv.SMS_SIGNATURE_SCENE_ILLEGAL", "sign name")]
    [InlineData(200, "isv.SMS_TEMPLATE_ILLEGAL", "template")]
    [InlineData(200, "isv.TEMPLATE_MISSING_PARAMETERS", "template parameter missing")]
    [InlineData(200, "isv.INVALID_PARAMETERS", "invalid parameters")]
    [InlineData(200, "isv.INVALID_JSON_PARAM", "not valid JSON")]
    [InlineData(200, "isv.PARAM_LENGTH_LIMIT", "too long")]
    [InlineData(200, "isv.PARAM_NOT_SUPPORT_URL", "URL")]
    [InlineData(200, "isv.TEMPLATE_PARAMS_ILLEGAL", "refused")]
    [InlineData(200, "isv.SMS_CONTENT_ILLEGAL", "content refused")]
    [InlineData(200, "isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "mainland")]
    [InlineData(200, "isv.PRODUCT_UN_SUBSCRIPT", "not activated")]
    [InlineData(200, "isv.ACCOUNT_NOT_EXISTS", "account does not exist")]
    [InlineData(200, "isv.ACCOUNT_ABNORMAL", "account abnormal")]
    [InlineData(200, "isp.RAM_PERMISSION_DENY", "RAM permission")]
    [InlineData(404, "InvalidAccessKeyId.NotFound", "AccessKey refused")]
    [InlineData(400, "InvalidAccessKeyId.Inactive", "AccessKey refused")]
    [InlineData(400, "SignatureDoesNotMatch", "signature refused")]
    [InlineData(403, "Forbidden.RAM", "forbidden")]
    [InlineData(400, "MissingParameter", "parameter missing")]
    [InlineData(400, "isv.SOMETHING_NEW", "refused by Aliyun")]
    [InlineData(404, "Unknown.Code", "refused by Aliyun")]
    [InlineData(200, "Unknown.Code", "refused by Aliyun")]
    public void Permanent(int status, string code, string reason)
    {
        var outcome = Map(status, code, "the provider's words");

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains(reason, outcome.Error);
        Assert.Contains($"{code} the provider's words", outcome.Error);
        Assert.Contains($"HTTP {status}", outcome.Error);
        Assert.Contains("RequestId RID-1", outcome.Error);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact(DisplayName = "Code OK with a non-2xx status is not taken as sent")]
    public void Ok_with_error_status()
    {
        Assert.Equal(SendResult.RetryableFailure, Map(500, "OK").Result);
        Assert.Equal(SendResult.PermanentFailure, Map(400, "OK").Result);
    }

    [Theory(DisplayName = "An unreadable answer or one without a Code: retryable, except a plain 4xx (permanent)")]
    [InlineData(200, false, SendResult.RetryableFailure)]
    [InlineData(200, true, SendResult.RetryableFailure)]
    [InlineData(502, false, SendResult.RetryableFailure)]
    [InlineData(429, false, SendResult.RetryableFailure)]
    [InlineData(404, false, SendResult.PermanentFailure)]
    [InlineData(403, true, SendResult.PermanentFailure)]
    public void Unreadable(int status, bool parsedWithoutCode, SendResult expected)
    {
        var answer = parsedWithoutCode ? new AliyunAnswer(null, null, null, null) : null;

        var outcome = AliyunSmsAnswers.Map("aliyun", status, answer, Now);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains($"HTTP {status}", outcome.Error);
    }

    [Theory(DisplayName = "Per-number control pauses for the window Aliyun names; a daily limit until midnight in China")]
    [InlineData("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", 60)]
    [InlineData("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", 3600)]
    [InlineData("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", 30 * 60)]
    [InlineData("isv.BUSINESS_LIMIT_CONTROL", "something else", 60)]
    [InlineData("isv.DAY_LIMIT_CONTROL", "", 30 * 60)]
    public void Pauses(string code, string message, int seconds)
    {
        // 15:30 UTC is 23:30 in China: the next day there starts in 30 minutes.
        var now = new DateTimeOffset(2024, 5, 6, 15, 30, 0, TimeSpan.Zero);

        var outcome = AliyunSmsAnswers.Map("aliyun", 200, new AliyunAnswer(code, message, null, null), now);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal(TimeSpan.FromSeconds(seconds), outcome.RetryAfter);
    }

    [Fact(DisplayName = "Midnight in China is computed from UTC+8 across the UTC date (00:30 UTC is 08:30 there: 15.5 h left)")]
    public void Day_pause_across_dates() =>
        Assert.Equal(TimeSpan.FromHours(15.5), AliyunSmsAnswers.Pause("isv.DAY_LIMIT_CONTROL", null, new DateTimeOffset(2024, 5, 6, 0, 30, 0, TimeSpan.Zero)));

    [Fact(DisplayName = "A Retry-After header wins over the derived pause; throttling without one keeps the usual backoff")]
    public void Retry_after_header()
    {
        var withHeader = AliyunSmsAnswers.Map("aliyun", 400, new AliyunAnswer("Throttling.User", "Request was denied due to user flow control.", null, null), Now, TimeSpan.FromSeconds(7));
        var without = AliyunSmsAnswers.Map("aliyun", 400, new AliyunAnswer("Throttling.User", "x", null, null), Now);
        var limit = AliyunSmsAnswers.Map("aliyun", 200, new AliyunAnswer("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控", null, null), Now, TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), withHeader.RetryAfter);
        Assert.Null(without.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(7), limit.RetryAfter);
    }

    [Fact(DisplayName = "A phone number in Aliyun's message is masked; long messages are cut")]
    public void Masks_numbers()
    {
        var outcome = Map(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile +8613812345678 and 13812345678, ext 12345678");

        Assert.DoesNotContain("13812345678", outcome.Error);
        Assert.DoesNotContain("12345678,", outcome.Error);
        Assert.Contains("+86138****5678", outcome.Error);
        Assert.Contains("138****5678", outcome.Error);
        Assert.Contains("12****78", outcome.Error);
        Assert.True(PersonalData.Scrub(new string('x', 500)).Length <= 201);
        Assert.Equal("code 1234 ok", PersonalData.Scrub("code 1234 ok"));
    }

    [Theory(DisplayName = "Answers are read from JSON objects (field names case-insensitive); anything else is unreadable")]
    [InlineData("{\"Message\":\"OK\",\"RequestId\":\"R\",\"Code\":\"OK\",\"BizId\":\"B\"}", "OK", "B")]
    [InlineData("{\"code\":\"isv.X\",\"message\":\"m\"}", "isv.X", null)]
    [InlineData("<html>502 Bad Gateway</html>", null, null)]
    [InlineData("[1,2]", null, null)]
    [InlineData("", null, null)]
    [InlineData("{\"Code\":", null, null)]
    public void Parse(string body, string? code, string? bizId)
    {
        var answer = AliyunAnswer.Parse(body);

        Assert.Equal(code, answer?.Code);
        Assert.Equal(bizId, answer?.BizId);
    }
}
