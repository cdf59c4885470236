using System.Text.Json;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using static MsgMate.Channels.Tests.Lark.LarkFake;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>The provider against a loopback Lark: the exact requests and how answers become outcomes.</summary>
public sealed class LarkProviderTests : IDisposable
{
    private readonly LarkFake _lark = new();

    public void Dispose() => _lark.Dispose();

    [Fact(DisplayName = "Token request: POST …/tenant_access_token/internal, JSON utf-8, exactly {app_id, app_secret}")]
    public async Task Exact_token_request()
    {
        _lark.TokenOk().MessageOk();
        var provider = _lark.Provider();

        await provider.SendAsync(Message(), CancellationToken.None);

        var token = Assert.Single(_lark.Requests(TokenPath));
        Assert.Equal("POST", token.Method);
        Assert.Equal("application/json; charset=utf-8", Header(token, "Content-Type"));
        Assert.Equal("", Header(token, "Authorization"));
        var body = BodyJson(token);
        Assert.Equal(["app_id", "app_secret"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(AppId, body.GetProperty("app_id").GetString());
        Assert.Equal(AppSecret, body.GetProperty("app_secret").GetString());
    }

    [Fact(DisplayName = "Message request: POST …/im/v1/messages?receive_id_type=open_id, Bearer token, JSON utf-8, body with content string and uuid; Sent with message_id")]
    public async Task Exact_message_request()
    {
        _lark.TokenOk("t-g1044ghJRUIJJ5ELMMOVP5MFMDP2Y5ZA7KIWP5DA").MessageOk("om_dc13264520392913993dd051dba21dcf");
        var provider = _lark.Provider();

        var outcome = await provider.SendAsync(Message(body: "Disk full", subject: "Alert"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal("lark", outcome.Provider);
        Assert.Equal("om_dc13264520392913993dd051dba21dcf", outcome.ProviderMessageId);
        Assert.Null(outcome.Error);
        var request = Assert.Single(_lark.Requests(MessagesPath));
        Assert.Equal("POST", request.Method);
        Assert.Equal("?receive_id_type=open_id", request.RawQuery);
        Assert.Equal("Bearer t-g1044ghJRUIJJ5ELMMOVP5MFMDP2Y5ZA7KIWP5DA", Header(request, "Authorization"));
        Assert.Equal("application/json; charset=utf-8", Header(request, "Content-Type"));
        var body = BodyJson(request);
        Assert.Equal(["receive_id", "msg_type", "content", "uuid"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ou_7d8a6e6df7621556ce0d21922b676706ccs", body.GetProperty("receive_id").GetString());
        Assert.Equal("text", body.GetProperty("msg_type").GetString());
        Assert.Equal("5f0c6d0e-3b7a-4c1e-9d2f-8a6b4c3d2e1f", body.GetProperty("uuid").GetString());
        var content = Content(request);
        Assert.Equal(["text"], content.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Alert\nDisk full", content.GetProperty("text").GetString());
    }

    [Theory(DisplayName = "Each recipient form is sent with its receive_id_type and as receive_id")]
    [InlineData("ou_7d8a6e6df7621556ce0d21922b676706ccs", "open_id")]
    [InlineData("on_94a1ee5551019f18cd73d9f111898cf2", "union_id")]
    [InlineData("oc_a0553eda9014c201e6969b478895c230", "chat_id")]
    [InlineData("zhang.san@example.com", "email")]
    [InlineData("5d9bdxxx", "user_id")]
    public async Task Receive_id_types(string to, string type)
    {
        _lark.TokenOk().MessageOk();

        var outcome = await _lark.Provider().SendAsync(Message(to: to), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var request = Assert.Single(_lark.Requests(MessagesPath));
        Assert.Equal(type, Assert.Single(request.Query!["receive_id_type"]));
        Assert.Equal(to, BodyJson(request).GetProperty("receive_id").GetString());
    }

    [Theory(DisplayName = "Each message type goes out with its msg_type and content shape")]
    [InlineData("", "text")]
    [InlineData("text", "text")]
    [InlineData("post", "post")]
    [InlineData("interactive", "interactive")]
    [InlineData("card", "interactive")]
    [InlineData("markdown", "interactive")]
    public async Task Message_types(string relTemplateId, string msgType)
    {
        _lark.TokenOk().MessageOk();

        var outcome = await _lark.Provider().SendAsync(Message(subject: "Build #42", body: "**green**\nall tests passed", type: relTemplateId), CancellationToken.None);

        Assert.Equal((SendResult.Sent, null), (outcome.Result, outcome.Error));
        var request = Assert.Single(_lark.Requests(MessagesPath));
        Assert.Equal(msgType, BodyJson(request).GetProperty("msg_type").GetString());
        var content = Content(request);
        switch (msgType)
        {
            case "text":
                Assert.Equal("Build #42\n**green**\nall tests passed", content.GetProperty("text").GetString());
                break;
            case "post":
                var zhCn = content.GetProperty("zh_cn");
                Assert.Equal("Build #42", zhCn.GetProperty("title").GetString());
                Assert.Equal(
                    """[[{"tag":"text","text":"**green**"}],[{"tag":"text","text":"all tests passed"}]]""",
                    JsonSerializer.Serialize(zhCn.GetProperty("content")));
                break;
            default:
                Assert.Equal("Build #42", content.GetProperty("header").GetProperty("title").GetProperty("content").GetString());
                Assert.Equal("plain_text", content.GetProperty("header").GetProperty("title").GetProperty("tag").GetString());
                var element = Assert.Single(content.GetProperty("elements").EnumerateArray());
                Assert.Equal("markdown", element.GetProperty("tag").GetString());
                Assert.Equal("**green**\nall tests passed", element.GetProperty("content").GetString());
                break;
        }
    }

    [Fact(DisplayName = "Quotes, backslashes, newlines and unicode arrive exactly as rendered, inside the content string")]
    public async Task Special_characters_on_the_wire()
    {
        _lark.TokenOk().MessageOk();
        const string body = "路径 C:\\tmp\\\"x\" — <at user_id=\"all\"></at>\r\n😀 {\"json\": [1]}";

        await _lark.Provider().SendAsync(Message(body: body), CancellationToken.None);

        var request = Assert.Single(_lark.Requests(MessagesPath));
        Assert.Equal(body, Content(request).GetProperty("text").GetString());
    }

    [Fact(DisplayName = "An unknown relTemplateID is permanent, naming the allowed types, without any HTTP call")]
    public async Task Unknown_type_no_call()
    {
        _lark.TokenOk().MessageOk();

        var outcome = await _lark.Provider().SendAsync(Message(type: "sticker"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("\"sticker\"", outcome.Error);
        Assert.Contains("\"post\"", outcome.Error);
        Assert.Equal(0, _lark.RequestCount);
    }

    [Fact(DisplayName = "The same message sent twice carries the same uuid (Lark drops the duplicate of a resend)")]
    public async Task Uuid_is_stable()
    {
        _lark.TokenOk().MessageOk();
        var provider = _lark.Provider();

        await provider.SendAsync(Message(msgId: "0a1b2c3d-0000-4000-8000-000000000001"), CancellationToken.None);
        await provider.SendAsync(Message(msgId: "0a1b2c3d-0000-4000-8000-000000000001"), CancellationToken.None);

        Assert.Equal(
            ["0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000001"],
            _lark.Requests(MessagesPath).Select(r => BodyJson(r).GetProperty("uuid").GetString()));
    }

    [Theory(DisplayName = "99991400 (HTTP 429 or 400) is retryable with RetryAfter from x-ogw-ratelimit-reset")]
    [InlineData(429)]
    [InlineData(400)]
    public async Task Rate_limited(int status)
    {
        _lark.TokenOk().MessageAnswers(status, new { code = 99991400, msg = "request trigger frequency limit" },
            headers: [("x-ogw-ratelimit-limit", "50"), ("x-ogw-ratelimit-reset", "7")]);

        var outcome = await _lark.Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal(TimeSpan.FromSeconds(7), outcome.RetryAfter);
        Assert.Contains("99991400", outcome.Error);
        Assert.Contains("request trigger frequency limit", outcome.Error);
    }

    [Theory(DisplayName = "Message errors: 230020/230049 retryable; 2300xx refusals permanent with Lark's code and msg")]
    [InlineData(230020, "This operation triggers the frequency limit.", SendResult.RetryableFailure)]
    [InlineData(230049, "The message is being sent.", SendResult.RetryableFailure)]
    [InlineData(230002, "The bot can not be outside the group.", SendResult.PermanentFailure)]
    [InlineData(230013, "Bot has NO availability to this user.", SendResult.PermanentFailure)]
    [InlineData(230025, "message content length over limit", SendResult.PermanentFailure)]
    [InlineData(230034, "receive_id invalid", SendResult.PermanentFailure)]
    [InlineData(230001, "Your request contains an invalid request parameter.", SendResult.PermanentFailure)]
    [InlineData(99991672, "Access denied. One of the following scopes is required: [im:message]", SendResult.PermanentFailure)]
    public async Task Message_errors(int code, string msg, SendResult expected)
    {
        _lark.TokenOk().MessageAnswers(400, new { code, msg, error = new { log_id = "202603010800abcdef" } });

        var outcome = await _lark.Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains($"Lark {code}: {msg}", outcome.Error);
        Assert.Contains("202603010800abcdef", outcome.Error);
        Assert.Single(_lark.Requests(TokenPath));
        Assert.Single(_lark.Requests(MessagesPath));
    }

    [Theory(DisplayName = "HTTP 5xx (Lark JSON or a gateway page) is retryable; a 4xx that is not Lark's (wrong URL) is permanent")]
    [InlineData(500, true, SendResult.RetryableFailure)]
    [InlineData(502, false, SendResult.RetryableFailure)]
    [InlineData(503, false, SendResult.RetryableFailure)]
    [InlineData(404, false, SendResult.PermanentFailure)]
    public async Task Http_status(int status, bool larkJson, SendResult expected)
    {
        _lark.TokenOk().MessageAnswers(status, larkJson ? new { code = 1500, msg = "internal error" } : "<html>error</html>");

        var outcome = await _lark.Provider().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains(larkJson ? "Lark 1500: internal error" : $"HTTP {status}", outcome.Error);
    }

    [Fact(DisplayName = "A message call over the timeout is retryable (\"timed out\"), not an exception")]
    public async Task Message_timeout()
    {
        _lark.TokenOk().MessageAnswers(200, new { code = 0, msg = "success", data = new { message_id = "om_late" } }, delay: TimeSpan.FromSeconds(10));

        var outcome = await _lark.Provider(timeout: TimeSpan.FromMilliseconds(300)).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("timed out", outcome.Error);
    }

    [Fact(DisplayName = "Nothing listening is retryable (request failed), not an exception")]
    public async Task Connection_refused()
    {
        var provider = new Actors.Channels.Lark.LarkProvider(App($"http://127.0.0.1:{TestSupport.ClosedPort()}"), new HttpClient(), new ManualClock());

        var outcome = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("token endpoint: request failed", outcome.Error);
    }

    [Fact(DisplayName = "The caller's cancellation is not a delivery outcome: it propagates")]
    public async Task Caller_cancellation_propagates()
    {
        _lark.TokenOk().MessageAnswers(200, new { code = 0, msg = "success", data = new { message_id = "om_late" } }, delay: TimeSpan.FromSeconds(10));
        var provider = _lark.Provider();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.SendAsync(Message(), cts.Token));
    }

    [Fact(DisplayName = "Errors name neither the recipient, the text, the token nor the secret (Lark's msg is scrubbed)")]
    public async Task No_personal_data_in_errors()
    {
        _lark.TokenOk("t-secret-token-value").MessageAnswers(400, new { code = 230013, msg = "Bot has NO availability to this user: zhang.san@example.com" });

        var outcome = await _lark.Provider().SendAsync(Message(to: "zhang.san@example.com", body: "confidential salary text", subject: "Payroll"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.DoesNotContain("zhang.san@", outcome.Error);
        Assert.Contains("z***@example.com", outcome.Error);
        Assert.DoesNotContain("salary", outcome.Error);
        Assert.DoesNotContain("Payroll", outcome.Error);
        Assert.DoesNotContain("t-secret-token-value", outcome.Error);
        Assert.DoesNotContain(AppSecret, outcome.Error);
    }

    [Fact(DisplayName = "The provider is channel Lark and named after its app")]
    public void Identity()
    {
        var provider = new Actors.Channels.Lark.LarkProvider(App(_lark.Url, name: "lark:backup"), new HttpClient(), new ManualClock());
        Assert.Equal("lark:backup", provider.Name);
        Assert.Equal(Channel.Lark, provider.Channel);
    }
}
