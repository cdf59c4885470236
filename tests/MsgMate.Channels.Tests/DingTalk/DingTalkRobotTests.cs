using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.DingTalk;
using MsgMate.Actors.Common;

namespace MsgMate.Channels.Tests.DingTalk;

public sealed class DingTalkRobotTests : IDisposable
{
    private const string Path = "/robot/send";
    private const string OpsToken = "b7e7e8c1f0a94d6c8c1c2f55a7e0d3aa41b5c9e2d8f7a6b5c4d3e2f1a0b9c8d7";
    private const string OpsSecret = "this is secret";
    private const string DevToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private const long Now = 1577262236757L;

    private readonly ChatFake _fake = new();
    private readonly StepClock _clock = StepClock.At(Now);

    public void Dispose() => _fake.Dispose();

    private IReadOnlyList<ProviderRegistration> Providers(bool allowUrls = false, TimeSpan? timeout = null, string? baseUrl = null) =>
        DingTalkProviders.Create(new DingTalkOptions
        {
            RobotBaseUrl = baseUrl ?? _fake.Url,
            ApiBaseUrl = _fake.Url,
            AllowRobotUrls = allowUrls,
            Timeout = timeout ?? TestSupport.Patience,
            Robots =
            {
                ["ops"] = new DingTalkRobotOptions { AccessToken = OpsToken, Secret = OpsSecret },
                ["dev"] = new DingTalkRobotOptions { AccessToken = DevToken },
            },
        }, _ => ChatFake.Client(), _clock, NullLoggerFactory.Instance);

    private static OutboundMessage Message(string to = "ops", string subject = "Disk alert", string body = "disk /var is 91% full",
        string type = "", IReadOnlyDictionary<string, string>? data = null) =>
        new("m-1", Channel.DingTalk, to, subject, body, false, ProviderTemplateId: type, TemplateData: data);

    private ChatFake Ok() => _fake.Answer(Path, new { errcode = 0, errmsg = "ok" });

    [Fact(DisplayName = "Robot with a secret: POST /robot/send?access_token&timestamp&sign (sign recomputed from the fixed secret and clock), JSON text body")]
    public async Task Signed_text()
    {
        Ok();
        var outcome = await Providers().Provider("dingtalk-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("dingtalk-robot:ops"), outcome);
        var request = Assert.Single(_fake.Requests(Path));
        Assert.Equal("POST", request.Method);
        // Value computed independently for secret "this is secret" at 1577262236757.
        Assert.Equal($"access_token={OpsToken}&timestamp={Now}&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D", ChatFake.Query(request));
        ChatFake.AssertJsonContentType(request);
        ChatFake.AssertJson("""{"msgtype":"text","text":{"content":"Disk alert\ndisk /var is 91% full"}}""", request);
    }

    [Fact(DisplayName = "Robot sign uses the clock at send time: a later send carries the later timestamp and its own sign")]
    public async Task Sign_follows_clock()
    {
        Ok();
        var robot = Providers().Provider("dingtalk-robot:ops");
        _clock.Advance(TimeSpan.FromMinutes(3));
        await robot.SendAsync(Message(), CancellationToken.None);

        var ts = Now + 180_000;
        var expected = Uri.EscapeDataString(Convert.ToBase64String(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(OpsSecret), Encoding.UTF8.GetBytes($"{ts}\n{OpsSecret}"))));
        Assert.Equal($"access_token={OpsToken}&timestamp={ts}&sign={expected}", ChatFake.Query(Assert.Single(_fake.Requests(Path))));
    }

    [Fact(DisplayName = "Robot without a secret: only access_token in the query, no timestamp or sign")]
    public async Task Unsigned()
    {
        Ok();
        var outcome = await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", subject: "", body: "build 42 green"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var request = Assert.Single(_fake.Requests(Path));
        Assert.Equal($"access_token={DevToken}", ChatFake.Query(request));
        ChatFake.AssertJson("""{"msgtype":"text","text":{"content":"build 42 green"}}""", request);
    }

    [Fact(DisplayName = "relTemplateID markdown: msgtype markdown with the subject as title and the body as text")]
    public async Task Markdown()
    {
        Ok();
        await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", "发布通知", "### v1.2\n- 修复", "markdown"), CancellationToken.None);

        ChatFake.AssertJson("""{"msgtype":"markdown","markdown":{"title":"发布通知","text":"### v1.2\n- 修复"}}""", Assert.Single(_fake.Requests(Path)));
    }

    [Fact(DisplayName = "Markdown without a subject: the title is the body's first line without heading marks")]
    public async Task Markdown_default_title()
    {
        Ok();
        await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", "", "## Deploy done\nall green", "markdown"), CancellationToken.None);

        ChatFake.AssertJson("""{"msgtype":"markdown","markdown":{"title":"Deploy done","text":"## Deploy done\nall green"}}""", Assert.Single(_fake.Requests(Path)));
    }

    [Fact(DisplayName = "relTemplateID actionCard: title, markdown text and the button from the template values singleTitle / singleURL")]
    public async Task Action_card()
    {
        Ok();
        var data = new Dictionary<string, string> { ["singleTitle"] = "Open ticket", ["singleURL"] = "https://tickets.example.com/T-1" };
        await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", "Ticket T-1", "**assigned** to you", "actionCard", data), CancellationToken.None);

        ChatFake.AssertJson(
            """{"msgtype":"actionCard","actionCard":{"title":"Ticket T-1","text":"**assigned** to you","singleTitle":"Open ticket","singleURL":"https://tickets.example.com/T-1"}}""",
            Assert.Single(_fake.Requests(Path)));
    }

    [Fact(DisplayName = "actionCard with only a url value: the button gets the default title")]
    public async Task Action_card_default_button()
    {
        Ok();
        var data = new Dictionary<string, string> { ["url"] = "https://example.com/x" };
        await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", "T", "b", "actioncard", data), CancellationToken.None);

        ChatFake.AssertJson(
            """{"msgtype":"actionCard","actionCard":{"title":"T","text":"b","singleTitle":"查看详情","singleURL":"https://example.com/x"}}""",
            Assert.Single(_fake.Requests(Path)));
    }

    [Fact(DisplayName = "actionCard without a link value fails permanently and sends nothing")]
    public async Task Action_card_without_link()
    {
        Ok();
        var outcome = await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", type: "actionCard"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("singleURL", outcome.Error);
        Assert.Empty(_fake.Requests(Path));
    }

    [Fact(DisplayName = "An unknown relTemplateID fails permanently and sends nothing")]
    public async Task Unknown_type()
    {
        Ok();
        var outcome = await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev", type: "SMS_123"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("SMS_123", outcome.Error);
        Assert.Empty(_fake.Requests(Path));
    }

    [Fact(DisplayName = "130101 send too fast: retryable after the robot's 10-minute block, reason with code and message")]
    public async Task Too_fast()
    {
        _fake.Answer(Path, new { errcode = 130101, errmsg = "send too fast, exceed 20 times per minute", status = 1111, wait = 5, punish = "deny" });
        var outcome = await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev"), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("dingtalk-robot:dev", "DingTalk errcode 130101: send too fast, exceed 20 times per minute", TimeSpan.FromMinutes(10)), outcome);
    }

    [Theory(DisplayName = "310000 (keywords, sign, timestamp, ip) and other robot refusals fail permanently with code and message")]
    [InlineData(310000, "keywords not in content")]
    [InlineData(310000, "sign not match")]
    [InlineData(310000, "ip 10.1.2.3 not in whitelist")]
    [InlineData(400102, "robot disabled")]
    [InlineData(430101, "unsafe link")]
    public async Task Permanent(int code, string message)
    {
        _fake.Answer(Path, new { errcode = code, errmsg = message });
        var outcome = await Providers().Provider("dingtalk-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Permanent("dingtalk-robot:ops", $"DingTalk errcode {code}: {message}"), outcome);
    }

    [Fact(DisplayName = "A vendor message that echoes the robot's token or secret is scrubbed from the error")]
    public async Task Error_has_no_secrets()
    {
        _fake.Answer(Path, new { errcode = 400101, errmsg = $"access_token {OpsToken} does not exist (secret {OpsSecret})" });
        var outcome = await Providers().Provider("dingtalk-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.DoesNotContain(OpsToken, outcome.Error);
        Assert.DoesNotContain(OpsSecret, outcome.Error);
        Assert.Contains("400101", outcome.Error);
    }

    [Theory(DisplayName = "HTTP 5xx, 429 and a 200 that is not JSON are retryable; HTTP 4xx is permanent")]
    [InlineData(500, SendResult.RetryableFailure)]
    [InlineData(502, SendResult.RetryableFailure)]
    [InlineData(429, SendResult.RetryableFailure)]
    [InlineData(200, SendResult.RetryableFailure)]
    [InlineData(404, SendResult.PermanentFailure)]
    public async Task Http_status(int status, SendResult expected)
    {
        _fake.Answer(Path, "<html>gateway</html>", status);
        var outcome = await Providers().Provider("dingtalk-robot:dev").SendAsync(Message("dev"), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains($"HTTP {status}", outcome.Error);
    }

    [Fact(DisplayName = "A robot that does not answer within Timeout: retryable 'timed out'")]
    public async Task Timeout()
    {
        using var silent = new BlackHole();
        var outcome = await Providers(timeout: TimeSpan.FromMilliseconds(200), baseUrl: silent.Url).Provider("dingtalk-robot:dev")
            .SendAsync(Message("dev"), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("dingtalk-robot:dev", "timed out"), outcome);
    }

    [Fact(DisplayName = "Nothing listening at the robot base URL: retryable, no exception")]
    public async Task Connection_refused()
    {
        var outcome = await Providers(baseUrl: $"http://127.0.0.1:{TestSupport.ClosedPort()}").Provider("dingtalk-robot:dev")
            .SendAsync(Message("dev"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.StartsWith("request failed", outcome.Error);
    }

    [Fact(DisplayName = "Robot URL as recipient (allowed): posted to the robot base with that URL's access_token only")]
    public async Task Robot_url()
    {
        Ok();
        var to = $"{_fake.Url}/robot/send?access_token=url-robot-token-1&timestamp=1&sign=stale";
        var providers = Providers(allowUrls: true);
        var message = Message(to);

        Assert.Equal(["dingtalk-robot-url"], providers.Takers(message));
        var outcome = await providers.Provider("dingtalk-robot-url").SendAsync(message, CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("dingtalk-robot-url"), outcome);
        var request = Assert.Single(_fake.Requests(Path));
        Assert.Equal("access_token=url-robot-token-1", ChatFake.Query(request));
        ChatFake.AssertJson("""{"msgtype":"text","text":{"content":"Disk alert\ndisk /var is 91% full"}}""", request);
    }

    [Fact(DisplayName = "A robot-URL error never shows the URL's access_token")]
    public async Task Robot_url_error_has_no_token()
    {
        _fake.Answer(Path, new { errcode = 400101, errmsg = "access_token url-robot-token-1 does not exist" });
        var outcome = await Providers(allowUrls: true).Provider("dingtalk-robot-url")
            .SendAsync(Message($"{_fake.Url}/robot/send?access_token=url-robot-token-1"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.DoesNotContain("url-robot-token-1", outcome.Error);
    }
}
