using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Lark;
using MsgMate.Actors.Common;
using static MsgMate.Channels.Tests.Lark.LarkFake;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>Settings, validation and the factory.</summary>
public sealed class LarkOptionsTests
{
    private static LarkOptions Bind(Dictionary<string, string?> values) =>
        LarkOptions.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact(DisplayName = "Defaults: no app, Feishu base URL, 10 s, 30 min margin; the factory returns no provider")]
    public void Defaults()
    {
        var options = LarkOptions.Bind(new ConfigurationBuilder().Build());

        Assert.False(options.HasDefaultApp);
        Assert.Equal("https://open.feishu.cn", options.BaseUrl);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(30), options.TokenRefreshMargin);
        Assert.Empty(options.Validate());
        var logs = new CapturingLoggerFactory();
        Assert.Empty(LarkProviders.Create(options, _ => new HttpClient(), TimeProvider.System, logs));
        Assert.Contains(logs.Entries, e => e.Message.Contains("no app configured"));
    }

    [Fact(DisplayName = "Binds MsgMate:Lark (the Go keys lark_app_id/lark_app_secret land on AppId/AppSecret) and Apps:<name> inheriting unset values")]
    public void Binds_default_and_named_apps()
    {
        var options = Bind(new()
        {
            ["MsgMate:Lark:AppId"] = "cli_default",
            ["MsgMate:Lark:AppSecret"] = "secret-default",
            ["MsgMate:Lark:BaseUrl"] = "https://open.larksuite.com/",
            ["MsgMate:Lark:Timeout"] = "00:00:05",
            ["MsgMate:Lark:TokenRefreshMargin"] = "00:20:00",
            ["MsgMate:Lark:Burst"] = "5",
            ["MsgMate:Lark:Apps:backup:AppId"] = "cli_backup",
            ["MsgMate:Lark:Apps:backup:AppSecret"] = "secret-backup",
            ["MsgMate:Lark:Apps:backup:Priority"] = "1",
            ["MsgMate:Lark:Apps:backup:RatePerMinute"] = "600",
            ["MsgMate:Lark:Apps:cn:AppId"] = "cli_cn",
            ["MsgMate:Lark:Apps:cn:AppSecret"] = "secret-cn",
            ["MsgMate:Lark:Apps:cn:BaseUrl"] = "https://open.feishu.cn",
            ["MsgMate:Lark:Apps:cn:Timeout"] = "00:00:03",
        });

        Assert.Empty(options.Validate());
        var apps = options.ResolveApps();
        Assert.Equal(["lark", "lark:backup", "lark:cn"], apps.Select(a => a.Name));
        var (main, backup, cn) = (apps[0], apps[1], apps[2]);
        Assert.Equal(("cli_default", "secret-default"), (main.AppId, main.AppSecret));
        Assert.Equal("https://open.larksuite.com/", main.BaseUrl.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), main.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(20), main.TokenRefreshMargin);
        Assert.Equal(1000.0 / 60, main.Policy.RatePerSecond, 6);
        Assert.Equal(5, main.Policy.Burst);
        Assert.Equal("https://open.larksuite.com/", backup.BaseUrl.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), backup.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(20), backup.TokenRefreshMargin);
        Assert.Equal(1, backup.Policy.Priority);
        Assert.Equal(10, backup.Policy.RatePerSecond, 6);
        Assert.Equal("https://open.feishu.cn/", cn.BaseUrl.ToString());
        Assert.Equal(TimeSpan.FromSeconds(3), cn.Timeout);
        Assert.DoesNotContain("secret", options.ToString());
        Assert.DoesNotContain("cli_", options.ToString());
    }

    [Fact(DisplayName = "Validation lists every error (missing secret or id, bad URL, timeout, margin, app name) without secrets")]
    public void Validation()
    {
        var options = Bind(new()
        {
            ["MsgMate:Lark:AppId"] = "cli_default",
            ["MsgMate:Lark:BaseUrl"] = "open.feishu.cn",
            ["MsgMate:Lark:Timeout"] = "00:00:00",
            ["MsgMate:Lark:TokenRefreshMargin"] = "03:00:00",
            ["MsgMate:Lark:Apps:bad name:AppId"] = "cli_x",
            ["MsgMate:Lark:Apps:nosecret:AppId"] = "cli_y",
            ["MsgMate:Lark:Apps:noid:AppSecret"] = "very-secret-value",
        });

        var errors = options.Validate();

        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:AppSecret (lark_app_secret) is required"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:BaseUrl"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:Timeout"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:TokenRefreshMargin"));
        Assert.Contains(errors, e => e.Contains("'bad name'"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:Apps:nosecret:AppSecret is required"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Lark:Apps:noid:AppId is required"));
        Assert.All(errors, e => Assert.DoesNotContain("very-secret-value", e));
        var thrown = Assert.Throws<InvalidOperationException>(() => LarkProviders.Create(options, _ => new HttpClient(), TimeProvider.System, new CapturingLoggerFactory()));
        Assert.Contains("lark_app_secret", thrown.Message);
    }

    [Fact(DisplayName = "A secret alone (no app id) is an error, not silently ignored")]
    public void Secret_without_id()
    {
        var options = Bind(new() { ["MsgMate:Lark:AppSecret"] = "s" });
        Assert.Contains(options.Validate(), e => e.Contains("MsgMate:Lark:AppId (lark_app_id) is required"));
    }

    [Fact(DisplayName = "Factory: one registration per app with its policy and named client; logs names and hosts once, never ids or secrets")]
    public async Task Factory()
    {
        using var lark = new LarkFake();
        lark.TokenOk().MessageOk("om_via_factory");
        var options = new LarkOptions
        {
            AppId = "cli_default",
            AppSecret = "secret-default",
            BaseUrl = lark.Url,
            Timeout = TestTimeout,
            Apps = { ["backup"] = new LarkAppOptions { AppId = "cli_backup", AppSecret = "secret-backup", Priority = 1, Concurrency = 2 } },
        };
        var clients = new List<string>();
        var logs = new CapturingLoggerFactory();

        var registrations = LarkProviders.Create(options, name => { clients.Add(name); return new HttpClient(); }, new ManualClock(), logs);

        Assert.Equal(["lark", "lark:backup"], registrations.Select(r => r.Provider.Name));
        Assert.Equal(["lark", "lark:backup"], clients);
        Assert.All(registrations, r => Assert.Equal(Channel.Lark, r.Provider.Channel));
        Assert.Equal(0, registrations[0].Policy.Priority);
        Assert.Equal(1, registrations[1].Policy.Priority);
        Assert.Equal(2, registrations[1].Policy.Concurrency);
        Assert.All(registrations, r => Assert.Equal(LarkOptions.DefaultRatePerSecond, r.Policy.RatePerSecond, 6));
        var info = Assert.Single(logs.Entries, e => e.Message.StartsWith("Lark channel"));
        Assert.Contains("lark:backup", info.Message);
        Assert.All(logs.Entries, e =>
        {
            Assert.DoesNotContain("secret-", e.Message);
            Assert.DoesNotContain("cli_", e.Message);
        });

        var outcome = await registrations[0].Provider.SendAsync(Message(), CancellationToken.None);
        Assert.Equal((SendResult.Sent, null), (outcome.Result, outcome.Error));
        Assert.Equal("om_via_factory", outcome.ProviderMessageId);
        Assert.Equal("cli_default", BodyJson(Assert.Single(lark.Requests(TokenPath))).GetProperty("app_id").GetString());
    }

    [Fact(DisplayName = "A base URL with a path prefix (a proxy) keeps the prefix")]
    public async Task Base_url_with_prefix()
    {
        using var lark = new LarkFake();
        lark.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/proxy" + TokenPath).UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithBody("""{"code":0,"tenant_access_token":"t-p","expire":7200}"""));
        lark.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/proxy" + MessagesPath).UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithBody("""{"code":0,"data":{"message_id":"om_p"}}"""));
        var provider = new LarkProvider(App(lark.Url + "/proxy/"), new HttpClient(), new ManualClock());

        var outcome = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal("om_p", outcome.ProviderMessageId);
    }
}
