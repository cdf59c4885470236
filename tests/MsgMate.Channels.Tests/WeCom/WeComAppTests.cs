using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.WeCom;
using MsgMate.Actors.Common;
using MsgMate.Channels.Tests.DingTalk;

namespace MsgMate.Channels.Tests.WeCom;

public sealed class WeComAppTests : IDisposable
{
    private const string TokenPath = "/cgi-bin/gettoken";
    private const string SendPath = "/cgi-bin/message/send";
    private const string CorpId = "ww1234567890abcdef";
    private const string CorpSecret = "Xy9-corp+secret/Value=Q";
    private const int AgentId = 1000002;
    private const string User = "ZhangSan";
    private const string MsgId = "K9qQj8hVx1Yw-ZsW2c0b8KkR3Mf";

    private readonly ChatFake _fake = new();
    private readonly StepClock _clock = StepClock.At(1_767_225_600_000);

    public void Dispose() => _fake.Dispose();

    private WeComAppProvider App(TimeSpan? timeout = null, string? baseUrl = null, TimeSpan? duplicateCheck = null) =>
        (WeComAppProvider)WeComProviders.Create(new WeComOptions
        {
            BaseUrl = baseUrl ?? _fake.Url,
            Timeout = timeout ?? TestSupport.Patience,
            App = new WeComAppOptions { CorpId = CorpId, CorpSecret = CorpSecret, AgentId = AgentId, DuplicateCheckInterval = duplicateCheck ?? TimeSpan.Zero },
        }, _ => ChatFake.Client(), _clock, NullLoggerFactory.Instance).Provider("wecom-app");

    private static OutboundMessage Message(string to = User, string subject = "Leave approved", string body = "3 days from Monday", string type = "") =>
        new("m-1", Channel.WeCom, to, subject, body, false, ProviderTemplateId: type);

    private ChatFake Token(string token = "tok-1", int expiresIn = 7200) =>
        _fake.Answer(TokenPath, new { errcode = 0, errmsg = "ok", access_token = token, expires_in = expiresIn }, method: "GET");

    private ChatFake Sent(string? token = null, string msgId = MsgId) =>
        _fake.Answer(SendPath, new { errcode = 0, errmsg = "ok", invaliduser = "", invalidparty = "", invalidtag = "", unlicenseduser = "", msgid = msgId },
            param: token is null ? null : ("access_token", token));

    [Fact(DisplayName = "App: GET /cgi-bin/gettoken?corpid&corpsecret, then POST /cgi-bin/message/send?access_token with touser, msgtype, agentid (int), text; msgid is the message id")]
    public async Task Sends_text()
    {
        Token();
        Sent();
        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("wecom-app", MsgId), outcome);
        var token = Assert.Single(_fake.Requests(TokenPath));
        Assert.Equal("GET", token.Method);
        Assert.Equal($"corpid={CorpId}&corpsecret={Uri.EscapeDataString(CorpSecret)}", ChatFake.Query(token));
        var send = Assert.Single(_fake.Requests(SendPath));
        Assert.Equal("POST", send.Method);
        Assert.Equal("access_token=tok-1", ChatFake.Query(send));
        ChatFake.AssertJsonContentType(send);
        ChatFake.AssertJson(
            $$$$"""{"touser":"{{{{User}}}}","msgtype":"text","agentid":{{{{AgentId}}}},"text":{"content":"Leave approved\n3 days from Monday"}}""", send);
    }

    [Fact(DisplayName = "App markdown: msgtype markdown with markdown.content the body")]
    public async Task Sends_markdown()
    {
        Token();
        Sent();
        await App().SendAsync(Message(type: "markdown", body: "**请假** 已批准"), CancellationToken.None);

        ChatFake.AssertJson(
            $$$$"""{"touser":"{{{{User}}}}","msgtype":"markdown","agentid":{{{{AgentId}}}},"markdown":{"content":"**请假** 已批准"}}""",
            Assert.Single(_fake.Requests(SendPath)));
    }

    [Fact(DisplayName = "DuplicateCheckInterval set: enable_duplicate_check 1 and duplicate_check_interval in seconds are sent")]
    public async Task Duplicate_check()
    {
        Token();
        Sent();
        await App(duplicateCheck: TimeSpan.FromMinutes(30)).SendAsync(Message(), CancellationToken.None);

        ChatFake.AssertJson(
            $$$$"""{"touser":"{{{{User}}}}","msgtype":"text","agentid":{{{{AgentId}}}},"text":{"content":"Leave approved\n3 days from Monday"},"enable_duplicate_check":1,"duplicate_check_interval":1800}""",
            Assert.Single(_fake.Requests(SendPath)));
    }

    [Fact(DisplayName = "100 sends (50 at once, then 50 one by one) make one token request")]
    public async Task Token_is_cached()
    {
        Token();
        Sent();
        var app = App();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => app.SendAsync(Message(), CancellationToken.None)));
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(SendResult.Sent, (await app.SendAsync(Message(), CancellationToken.None)).Result);
        }

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        Assert.Single(_fake.Requests(TokenPath));
        Assert.Equal(100, _fake.Requests(SendPath).Count);
    }

    [Fact(DisplayName = "The token (expires_in 7200) is replaced 5 minutes before it expires")]
    public async Task Token_expiry()
    {
        _fake.Sequence(TokenPath, "GET",
            new { errcode = 0, errmsg = "ok", access_token = "tok-1", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-2", expires_in = 7200 });
        Sent();
        var app = App();

        await app.SendAsync(Message(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(6899));
        await app.SendAsync(Message(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(["access_token=tok-1", "access_token=tok-1", "access_token=tok-2"], _fake.Requests(SendPath).Select(ChatFake.Query));
    }

    [Theory(DisplayName = "A rejected token (40014, 42001, 41001) → one refresh and one resend, which succeeds")]
    [InlineData(40014)]
    [InlineData(42001)]
    [InlineData(41001)]
    public async Task Token_refresh(int code)
    {
        _fake.Sequence(TokenPath, "GET",
            new { errcode = 0, errmsg = "ok", access_token = "tok-old", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-new", expires_in = 7200 });
        _fake.Answer(SendPath, new { errcode = code, errmsg = "invalid access_token" }, param: ("access_token", "tok-old"));
        Sent("tok-new", "msg-2");

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("wecom-app", "msg-2"), outcome);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
        Assert.Equal(["access_token=tok-old", "access_token=tok-new"], _fake.Requests(SendPath).Select(ChatFake.Query));
    }

    [Fact(DisplayName = "A token refused again after the refresh: retryable, exactly one refresh and one resend")]
    public async Task Token_refused_twice()
    {
        Token();
        _fake.Answer(SendPath, new { errcode = 40014, errmsg = "invalid access_token" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
        Assert.Equal(2, _fake.Requests(SendPath).Count);
    }

    [Fact(DisplayName = "Token endpoint down (HTTP 503) → retryable, nothing sent")]
    public async Task Token_endpoint_down()
    {
        _fake.Answer(TokenPath, "<html>busy</html>", 503, method: "GET");
        Sent();

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Empty(_fake.Requests(SendPath));
    }

    [Fact(DisplayName = "Token endpoint unreachable or slow → retryable, no exception")]
    public async Task Token_endpoint_unreachable()
    {
        var outcome = await App(baseUrl: $"http://127.0.0.1:{TestSupport.ClosedPort()}").SendAsync(Message(), CancellationToken.None);
        using var silent = new BlackHole();
        var slow = await App(timeout: TimeSpan.FromMilliseconds(200), baseUrl: silent.Url).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.StartsWith("token request failed", outcome.Error);
        Assert.Equal(SendOutcome.Retry("wecom-app", "token request timed out"), slow);
    }

    [Theory(DisplayName = "Token refused: invalid secret (40001), CorpID (40013), ip not allowed (60020) → permanent, no secret in the error")]
    [InlineData(40001)]
    [InlineData(40013)]
    [InlineData(60020)]
    public async Task Token_refused(int code)
    {
        _fake.Answer(TokenPath, new { errcode = code, errmsg = $"invalid credential {CorpSecret}, from ip: 1.2.3.4" }, method: "GET");

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains(code.ToString(), outcome.Error);
        Assert.DoesNotContain(CorpSecret, outcome.Error);
        Assert.Empty(_fake.Requests(SendPath));
    }

    [Theory(DisplayName = "App send errors: 45009 / -1 retryable; 81013, 60020, 40001, 40003 permanent")]
    [InlineData(45009, SendResult.RetryableFailure)]
    [InlineData(-1, SendResult.RetryableFailure)]
    [InlineData(81013, SendResult.PermanentFailure)]
    [InlineData(60020, SendResult.PermanentFailure)]
    [InlineData(40001, SendResult.PermanentFailure)]
    [InlineData(40003, SendResult.PermanentFailure)]
    public async Task Send_errors(int code, SendResult expected)
    {
        Token();
        _fake.Answer(SendPath, new { errcode = code, errmsg = "error text" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Equal($"WeCom errcode {code}: error text", outcome.Error);
        Assert.Single(_fake.Requests(SendPath));
    }

    [Fact(DisplayName = "errcode 0 with our recipient in invaliduser → permanent 'not a member / invalid', the UserID not shown")]
    public async Task Invalid_user()
    {
        Token();
        _fake.Answer(SendPath, new { errcode = 0, errmsg = "ok", invaliduser = User.ToLowerInvariant(), msgid = MsgId });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("not a member", outcome.Error);
        Assert.DoesNotContain(User, outcome.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact(DisplayName = "A vendor message naming the recipient or the token shows neither")]
    public async Task Error_has_no_personal_data()
    {
        Token("tok-secret-1");
        _fake.Answer(SendPath, new { errcode = 81013, errmsg = $"user {User.ToLowerInvariant()} invalid, token tok-secret-1" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.DoesNotContain(User, outcome.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tok-secret-1", outcome.Error);
    }

    [Theory(DisplayName = "A recipient that is not one UserID (a | list, @all, spaces) fails permanently and sends nothing")]
    [InlineData("a|b")]
    [InlineData("@all")]
    [InlineData("a b")]
    public async Task One_recipient(string to)
    {
        Token();
        Sent();

        var outcome = await App().SendAsync(Message(to), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Empty(_fake.Requests(SendPath));
    }

    [Fact(DisplayName = "A send that does not answer within Timeout: retryable 'timed out'")]
    public async Task Send_timeout()
    {
        Token();
        _fake.Answer(SendPath, new { errcode = 0, msgid = "x" }, delay: TimeSpan.FromSeconds(1.5));
        var app = App(timeout: TimeSpan.FromMilliseconds(300));
        await ChatFake.WarmToken(app.Token);

        var outcome = await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("wecom-app", "timed out"), outcome);
    }
}
