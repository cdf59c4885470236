using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.DingTalk;
using MsgMate.Actors.Common;

namespace MsgMate.Channels.Tests.DingTalk;

public sealed class DingTalkAppTests : IDisposable
{
    private const string TokenPath = "/gettoken";
    private const string SendPath = "/topapi/message/corpconversation/asyncsend_v2";
    private const string AppKey = "dingxyz0appkey1234";
    private const string AppSecret = "Zq3-app+secret/Value=9";
    private const long AgentId = 2871239017;
    private const string User = "manager4220";

    private readonly ChatFake _fake = new();
    private readonly StepClock _clock = StepClock.At(1_767_225_600_000);

    public void Dispose() => _fake.Dispose();

    private DingTalkAppProvider App(TimeSpan? timeout = null, string? apiBase = null) =>
        (DingTalkAppProvider)DingTalkProviders.Create(new DingTalkOptions
        {
            ApiBaseUrl = apiBase ?? _fake.Url,
            RobotBaseUrl = _fake.Url,
            Timeout = timeout ?? TestSupport.Patience,
            App = new DingTalkAppOptions { AppKey = AppKey, AppSecret = AppSecret, AgentId = AgentId },
        }, _ => ChatFake.Client(), _clock, NullLoggerFactory.Instance).Provider("dingtalk-app");

    private static OutboundMessage Message(string to = User, string subject = "Leave approved", string body = "3 days from Monday", string type = "",
        IReadOnlyDictionary<string, string>? data = null) =>
        new("m-1", Channel.DingTalk, to, subject, body, false, ProviderTemplateId: type, TemplateData: data);

    private ChatFake Token(string token = "tok-1", int expiresIn = 7200) =>
        _fake.Answer(TokenPath, new { errcode = 0, errmsg = "ok", access_token = token, expires_in = expiresIn }, method: "GET");

    private ChatFake Sent(string? token = null, long taskId = 256271667526) =>
        _fake.Answer(SendPath, new { errcode = 0, task_id = taskId, request_id = "4jzllmte0wau" }, param: token is null ? null : ("access_token", token));

    [Fact(DisplayName = "App: GET /gettoken?appkey&appsecret, then POST asyncsend_v2?access_token with agent_id, userid_list, msg; task_id is the message id")]
    public async Task Sends_text()
    {
        Token();
        Sent();
        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("dingtalk-app", "256271667526"), outcome);
        var token = Assert.Single(_fake.Requests(TokenPath));
        Assert.Equal("GET", token.Method);
        Assert.Equal($"appkey={AppKey}&appsecret={Uri.EscapeDataString(AppSecret)}", ChatFake.Query(token));
        var send = Assert.Single(_fake.Requests(SendPath));
        Assert.Equal("POST", send.Method);
        Assert.Equal("access_token=tok-1", ChatFake.Query(send));
        ChatFake.AssertJsonContentType(send);
        ChatFake.AssertJson(
            $$$$"""{"agent_id":{{{{AgentId}}}},"userid_list":"{{{{User}}}}","msg":{"msgtype":"text","text":{"content":"Leave approved\n3 days from Monday"}}}""", send);
    }

    [Fact(DisplayName = "App markdown: msg {msgtype markdown, markdown {title, text}}")]
    public async Task Sends_markdown()
    {
        Token();
        Sent();
        await App().SendAsync(Message(type: "markdown", body: "## 请假\n已批准"), CancellationToken.None);

        ChatFake.AssertJson(
            $$$$"""{"agent_id":{{{{AgentId}}}},"userid_list":"{{{{User}}}}","msg":{"msgtype":"markdown","markdown":{"title":"Leave approved","text":"## 请假\n已批准"}}}""",
            Assert.Single(_fake.Requests(SendPath)));
    }

    [Fact(DisplayName = "App actionCard: msg {msgtype action_card, action_card {title, markdown, single_title, single_url}}")]
    public async Task Sends_action_card()
    {
        Token();
        Sent();
        var data = new Dictionary<string, string> { ["singleURL"] = "https://hr.example.com/leave/7", ["singleTitle"] = "Details" };
        await App().SendAsync(Message(type: "actionCard", data: data), CancellationToken.None);

        ChatFake.AssertJson(
            $$$$"""{"agent_id":{{{{AgentId}}}},"userid_list":"{{{{User}}}}","msg":{"msgtype":"action_card","action_card":{"title":"Leave approved","markdown":"3 days from Monday","single_title":"Details","single_url":"https://hr.example.com/leave/7"}}}""",
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

    [Fact(DisplayName = "The token is replaced TokenRefreshMargin (5 min) before expires_in runs out, not earlier")]
    public async Task Token_expiry()
    {
        _fake.Sequence(TokenPath, "GET",
            new { errcode = 0, errmsg = "ok", access_token = "tok-1", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-2", expires_in = 7200 });
        Sent();
        var app = App();

        await app.SendAsync(Message(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(7200 - 301));
        await app.SendAsync(Message(), CancellationToken.None);
        Assert.Single(_fake.Requests(TokenPath));

        _clock.Advance(TimeSpan.FromSeconds(2));
        await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(2, _fake.Requests(TokenPath).Count);
        Assert.Equal(["access_token=tok-1", "access_token=tok-1", "access_token=tok-2"], _fake.Requests(SendPath).Select(ChatFake.Query));
    }

    [Theory(DisplayName = "A rejected token (40014, 42001, 88/40014) → one refresh and one resend, which succeeds")]
    [InlineData(40014, null)]
    [InlineData(42001, null)]
    [InlineData(88, "40014")]
    public async Task Token_refresh(int code, string? subCode)
    {
        _fake.Sequence(TokenPath, "GET",
            new { errcode = 0, errmsg = "ok", access_token = "tok-old", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-new", expires_in = 7200 });
        _fake.Answer(SendPath, new { errcode = code, sub_code = subCode, errmsg = "不合法的access_token" }, param: ("access_token", "tok-old"));
        Sent("tok-new", 77);
        var app = App();

        var outcome = await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("dingtalk-app", "77"), outcome);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
        Assert.Equal(["access_token=tok-old", "access_token=tok-new"], _fake.Requests(SendPath).Select(ChatFake.Query));
        // The new token is kept.
        await app.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
    }

    [Fact(DisplayName = "A token refused again after the refresh: retryable, exactly one refresh and one resend")]
    public async Task Token_refused_twice()
    {
        Token();
        _fake.Answer(SendPath, new { errcode = 42001, errmsg = "access_token expired" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("refused again after a refresh", outcome.Error);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
        Assert.Equal(2, _fake.Requests(SendPath).Count);
    }

    [Fact(DisplayName = "Many concurrent sends that see the same rejected token share one refresh")]
    public async Task Concurrent_refresh()
    {
        _fake.Sequence(TokenPath, "GET",
            new { errcode = 0, errmsg = "ok", access_token = "tok-old", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-new", expires_in = 7200 },
            new { errcode = 0, errmsg = "ok", access_token = "tok-third", expires_in = 7200 });
        _fake.Answer(SendPath, new { errcode = 40014, errmsg = "invalid" }, param: ("access_token", "tok-old"));
        Sent("tok-new");
        var app = App();
        await app.Token.GetAsync(CancellationToken.None);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.SendAsync(Message(), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
    }

    [Theory(DisplayName = "Token endpoint down (HTTP 5xx, not JSON) → retryable, nothing sent, no exception")]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Token_endpoint_down(int status)
    {
        _fake.Answer(TokenPath, "<html>busy</html>", status, method: "GET");
        Sent();

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains($"HTTP {status}", outcome.Error);
        Assert.Empty(_fake.Requests(SendPath));
    }

    [Fact(DisplayName = "Token endpoint unreachable → retryable; the next send asks again")]
    public async Task Token_endpoint_unreachable()
    {
        var app = App(apiBase: $"http://127.0.0.1:{TestSupport.ClosedPort()}");

        var first = await app.SendAsync(Message(), CancellationToken.None);
        var second = await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, first.Result);
        Assert.StartsWith("token request failed", first.Error);
        Assert.Equal(SendResult.RetryableFailure, second.Result);
        Assert.Equal(2, app.Token.Fetches);
    }

    [Fact(DisplayName = "Token request throttled (88 / 90002) → retryable")]
    public async Task Token_throttled()
    {
        _fake.Answer(TokenPath, new { errcode = 88, sub_code = "90002", sub_msg = "调用太频繁", errmsg = "ding talk error" }, method: "GET");

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("90002", outcome.Error);
    }

    [Fact(DisplayName = "Wrong appkey/appsecret (40089) → permanent, the secret is not in the error; asked again only after a minute")]
    public async Task Bad_secret()
    {
        _fake.Answer(TokenPath, new { errcode = 40089, errmsg = $"不合法的corpid或corpsecret {AppSecret}" }, method: "GET");
        var app = App();

        var first = await app.SendAsync(Message(), CancellationToken.None);
        var second = await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, first.Result);
        Assert.Contains("40089", first.Error);
        Assert.DoesNotContain(AppSecret, first.Error);
        Assert.Equal(first, second);
        Assert.Single(_fake.Requests(TokenPath));
        _clock.Advance(TimeSpan.FromSeconds(61));
        await app.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(2, _fake.Requests(TokenPath).Count);
    }

    [Theory(DisplayName = "App send errors: throttling and busy are retryable; agent id, ip, permission errors are permanent")]
    [InlineData(88, "90002", SendResult.RetryableFailure)]
    [InlineData(90018, null, SendResult.RetryableFailure)]
    [InlineData(-1, null, SendResult.RetryableFailure)]
    [InlineData(40056, null, SendResult.PermanentFailure)]
    [InlineData(60020, null, SendResult.PermanentFailure)]
    [InlineData(88, "60011", SendResult.PermanentFailure)]
    public async Task Send_errors(int code, string? subCode, SendResult expected)
    {
        Token();
        _fake.Answer(SendPath, new { errcode = code, sub_code = subCode, errmsg = "error text" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains(code.ToString(), outcome.Error);
        Assert.Single(_fake.Requests(SendPath));
    }

    [Fact(DisplayName = "A vendor message naming the recipient or the token shows neither")]
    public async Task Error_has_no_personal_data()
    {
        Token("tok-secret-1");
        _fake.Answer(SendPath, new { errcode = 40056, errmsg = $"agent invalid for {User} with tok-secret-1" });

        var outcome = await App().SendAsync(Message(), CancellationToken.None);

        Assert.DoesNotContain(User, outcome.Error);
        Assert.DoesNotContain("tok-secret-1", outcome.Error);
        Assert.Contains("mana***", outcome.Error);
    }

    [Theory(DisplayName = "A recipient that is not one user id (a list, blank) fails permanently and sends nothing")]
    [InlineData("user1,user2")]
    [InlineData("user1 user2")]
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
        _fake.Answer(SendPath, new { errcode = 0, task_id = 1 }, delay: TimeSpan.FromSeconds(1.5));

        var app = App(timeout: TimeSpan.FromMilliseconds(300));
        await ChatFake.WarmToken(app.Token);

        var outcome = await app.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("dingtalk-app", "timed out"), outcome);
    }
}
