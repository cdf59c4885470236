using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.WeCom;
using MsgMate.Actors.Common;
using MsgMate.Channels.Tests.DingTalk;

namespace MsgMate.Channels.Tests.WeCom;

public sealed class WeComProvidersTests
{
    private const string Base = "https://qyapi.weixin.qq.com";

    private static WeComOptions Options(bool allowUrls = false) => new()
    {
        AllowRobotUrls = allowUrls,
        Robots = { ["ops"] = new WeComRobotOptions { Key = "ops-robot-key-0123456789" } },
        App = new WeComAppOptions { CorpId = "ww0123456789", CorpSecret = "corp-secret-0123456789", AgentId = 1000002 },
        Apps = { ["hr"] = new WeComAppOptions { CorpId = "ww0123456789", CorpSecret = "corp-secret-hr-0123456789", AgentId = 1000003 } },
    };

    private static IReadOnlyList<ProviderRegistration> Create(WeComOptions options, ILoggerFactory? logs = null) =>
        WeComProviders.Create(options, _ => new HttpClient(), TimeProvider.System, logs ?? NullLoggerFactory.Instance);

    private static OutboundMessage To(string to) => new("m", Channel.WeCom, to, "s", "b", false);

    [Fact(DisplayName = "Binds MsgMate:WeCom: robots by name, the app (AgentId as a number), more apps, base URL, switches and times")]
    public void Binds()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MsgMate:WeCom:Robots:ops:Key"] = "k1",
            ["MsgMate:WeCom:Robots:ops:RatePerMinute"] = "12",
            ["MsgMate:WeCom:App:CorpId"] = "ww1",
            ["MsgMate:WeCom:App:CorpSecret"] = "s1",
            ["MsgMate:WeCom:App:AgentId"] = "1000002",
            ["MsgMate:WeCom:App:DuplicateCheckInterval"] = "00:30:00",
            ["MsgMate:WeCom:Apps:hr:AgentId"] = "1000003",
            ["MsgMate:WeCom:BaseUrl"] = "http://127.0.0.1:9002",
            ["MsgMate:WeCom:AllowRobotUrls"] = "true",
            ["MsgMate:WeCom:Timeout"] = "00:00:04",
        }).Build();

        var options = WeComOptions.Bind(configuration);

        Assert.Equal(("k1", 12.0), (options.Robots["ops"].Key, options.Robots["ops"].RatePerMinute));
        Assert.Equal(("ww1", "s1", 1000002, TimeSpan.FromMinutes(30)),
            (options.App.CorpId, options.App.CorpSecret, options.App.AgentId, options.App.DuplicateCheckInterval));
        Assert.Equal(1000003, options.Apps["hr"].AgentId);
        Assert.Equal("http://127.0.0.1:9002", options.BaseUrl);
        Assert.True(options.AllowRobotUrls);
        Assert.Equal(TimeSpan.FromSeconds(4), options.Timeout);
    }

    [Fact(DisplayName = "Defaults: the official base URL, robot URLs refused, no duplicate check, nothing configured → no providers")]
    public void Defaults()
    {
        var options = WeComOptions.Bind(new ConfigurationBuilder().Build());

        Assert.Equal(Base, options.BaseUrl);
        Assert.False(options.AllowRobotUrls);
        Assert.Equal(TimeSpan.Zero, options.App.DuplicateCheckInterval);
        Assert.Empty(Create(options));
    }

    [Fact(DisplayName = "One provider per robot (20/min), the robot-URL provider when allowed, one per app (no rate of ours)")]
    public void Registrations()
    {
        var registrations = Create(Options(allowUrls: true));

        Assert.Equal(["wecom-robot:ops", "wecom-robot-url", "wecom-app", "wecom-app:hr"], registrations.Select(r => r.Provider.Name));
        Assert.All(registrations, r => Assert.Equal(Channel.WeCom, r.Provider.Channel));
        Assert.Equal(20.0 / 60, registrations.Single(r => r.Provider.Name == "wecom-robot:ops").Policy.RatePerSecond, 9);
        Assert.Equal(0, registrations.Single(r => r.Provider.Name == "wecom-app").Policy.RatePerSecond);
    }

    [Theory(DisplayName = "Address rule: a robot name → that robot; a user id → the apps; robot URL → the URL provider when allowed")]
    [InlineData("ops", true, "wecom-robot:ops")]
    [InlineData("Ops", false, "wecom-robot:ops")]
    [InlineData("zhangsan", true, "wecom-app,wecom-app:hr")]
    [InlineData(Base + "/cgi-bin/webhook/send?key=abc", true, "wecom-robot-url")]
    [InlineData(Base + "/cgi-bin/webhook/send?key=abc", false, "")]
    [InlineData("https://evil.example.com/cgi-bin/webhook/send?key=abc", true, "")]
    [InlineData(Base + "/cgi-bin/message/send?key=abc", true, "")]
    [InlineData(Base + "/cgi-bin/webhook/send?access_token=abc", true, "")]
    public void Address_rule(string to, bool allowUrls, string takers) =>
        Assert.Equal(takers, string.Join(",", Create(Options(allowUrls)).Takers(To(to))));

    [Fact(DisplayName = "Invalid settings throw one error listing every problem, without any secret")]
    public void Validation()
    {
        var options = new WeComOptions
        {
            BaseUrl = "ftp://qyapi.weixin.qq.com",
            Robots = { ["ops"] = new WeComRobotOptions() },
            App = new WeComAppOptions { CorpSecret = "corp-secret-xyz", DuplicateCheckInterval = TimeSpan.FromSeconds(-1) },
        };

        var error = Assert.Throws<InvalidOperationException>(() => Create(options)).Message;

        Assert.Contains("MsgMate:WeCom:BaseUrl", error);
        Assert.Contains("MsgMate:WeCom:Robots:ops:Key is required", error);
        Assert.Contains("MsgMate:WeCom:App:CorpId is required", error);
        Assert.Contains("MsgMate:WeCom:App:AgentId", error);
        Assert.Contains("MsgMate:WeCom:App:DuplicateCheckInterval", error);
        Assert.DoesNotContain("corp-secret-xyz", error);
    }

    [Fact(DisplayName = "The factory logs once which providers exist, by name, never a key or secret")]
    public void Logs_names_only()
    {
        var logs = new CapturingLoggerFactory();

        Create(Options(allowUrls: true), logs);

        var entry = Assert.Single(logs.Entries);
        Assert.Contains("wecom-robot:ops", entry.Message);
        Assert.Contains("wecom-app:hr", entry.Message);
        Assert.DoesNotContain("ops-robot-key", entry.Message);
        Assert.DoesNotContain("corp-secret", entry.Message);
    }
}
