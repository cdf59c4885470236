using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.WeCom;
using MsgMate.Actors.Common;
using MsgMate.Channels.Tests.DingTalk;

namespace MsgMate.Channels.Tests.WeCom;

public sealed class WeComRobotTests : IDisposable
{
    private const string Path = "/cgi-bin/webhook/send";
    private const string OpsKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

    private readonly ChatFake _fake = new();

    public void Dispose() => _fake.Dispose();

    private IReadOnlyList<ProviderRegistration> Providers(bool allowUrls = false, TimeSpan? timeout = null, string? baseUrl = null) =>
        WeComProviders.Create(new WeComOptions
        {
            BaseUrl = baseUrl ?? _fake.Url,
            AllowRobotUrls = allowUrls,
            Timeout = timeout ?? TestSupport.Patience,
            Robots = { ["ops"] = new WeComRobotOptions { Key = OpsKey } },
        }, _ => ChatFake.Client(), TimeProvider.System, NullLoggerFactory.Instance);

    private static OutboundMessage Message(string to = "ops", string subject = "Disk alert", string body = "disk /var is 91% full", string type = "") =>
        new("m-1", Channel.WeCom, to, subject, body, false, ProviderTemplateId: type);

    private ChatFake Ok() => _fake.Answer(Path, new { errcode = 0, errmsg = "ok" });

    [Fact(DisplayName = "Robot text: POST /cgi-bin/webhook/send?key=KEY with {msgtype text, text {content: subject + body}}")]
    public async Task Text()
    {
        Ok();
        var outcome = await Providers().Provider("wecom-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("wecom-robot:ops"), outcome);
        var request = Assert.Single(_fake.Requests(Path));
        Assert.Equal("POST", request.Method);
        Assert.Equal($"key={OpsKey}", ChatFake.Query(request));
        ChatFake.AssertJsonContentType(request);
        ChatFake.AssertJson("""{"msgtype":"text","text":{"content":"Disk alert\ndisk /var is 91% full"}}""", request);
    }

    [Fact(DisplayName = "relTemplateID markdown: {msgtype markdown, markdown {content: the body}}")]
    public async Task Markdown()
    {
        Ok();
        await Providers().Provider("wecom-robot:ops").SendAsync(
            Message(body: "实时新增用户反馈<font color=\"warning\">132例</font>", type: "markdown"), CancellationToken.None);

        ChatFake.AssertJson("""{"msgtype":"markdown","markdown":{"content":"实时新增用户反馈<font color=\"warning\">132例</font>"}}""",
            Assert.Single(_fake.Requests(Path)));
    }

    [Fact(DisplayName = "A relTemplateID WeCom has no type for (actionCard, unknown) fails permanently and sends nothing")]
    public async Task Unsupported_type()
    {
        Ok();
        var outcome = await Providers().Provider("wecom-robot:ops").SendAsync(Message(type: "actionCard"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Empty(_fake.Requests(Path));
    }

    [Fact(DisplayName = "45009 (over 20 a minute): retryable after a minute, with code and message")]
    public async Task Frequency()
    {
        _fake.Answer(Path, new { errcode = 45009, errmsg = "api freq out of limit" });
        var outcome = await Providers().Provider("wecom-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("wecom-robot:ops", "WeCom errcode 45009: api freq out of limit", TimeSpan.FromMinutes(1)), outcome);
    }

    [Fact(DisplayName = "93000 invalid webhook url: permanent; the key is not in the error")]
    public async Task Invalid_key()
    {
        _fake.Answer(Path, new { errcode = 93000, errmsg = $"invalid webhook url, key {OpsKey}" });
        var outcome = await Providers().Provider("wecom-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("93000", outcome.Error);
        Assert.DoesNotContain(OpsKey, outcome.Error);
    }

    [Theory(DisplayName = "Robot HTTP 5xx and a 200 that is not JSON are retryable")]
    [InlineData(502)]
    [InlineData(200)]
    public async Task Http_status(int status)
    {
        _fake.Answer(Path, "<html>bad gateway</html>", status);
        var outcome = await Providers().Provider("wecom-robot:ops").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
    }

    [Fact(DisplayName = "A robot that does not answer within Timeout: retryable 'timed out'")]
    public async Task Timeout()
    {
        using var silent = new BlackHole();
        var outcome = await Providers(timeout: TimeSpan.FromMilliseconds(200), baseUrl: silent.Url).Provider("wecom-robot:ops")
            .SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendOutcome.Retry("wecom-robot:ops", "timed out"), outcome);
    }

    [Fact(DisplayName = "Robot URL as recipient (allowed): posted to the base URL with that URL's key only")]
    public async Task Robot_url()
    {
        Ok();
        var providers = Providers(allowUrls: true);
        var message = Message($"{_fake.Url}/cgi-bin/webhook/send?key=url-key-42&debug=1");

        Assert.Equal(["wecom-robot-url"], providers.Takers(message));
        var outcome = await providers.Provider("wecom-robot-url").SendAsync(message, CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("wecom-robot-url"), outcome);
        Assert.Equal("key=url-key-42", ChatFake.Query(Assert.Single(_fake.Requests(Path))));
    }
}
