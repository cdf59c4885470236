using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.DingTalk;
using MsgMate.Actors.Common;

namespace MsgMate.Channels.Tests.DingTalk;

public sealed class DingTalkProvidersTests
{
    private const string RobotBase = "https://oapi.dingtalk.com";

    private static DingTalkOptions Options(bool allowUrls = false) => new()
    {
        AllowRobotUrls = allowUrls,
        Robots =
        {
            ["ops"] = new DingTalkRobotOptions { AccessToken = "ops-token-0123456789", Secret = "SECops-secret-0123456789" },
            ["dev"] = new DingTalkRobotOptions { AccessToken = "dev-token-0123456789", RatePerMinute = 10, Priority = 2 },
        },
        App = new DingTalkAppOptions { AppKey = "dingappkey01", AppSecret = "app-secret-0123456789", AgentId = 1001 },
        Apps = { ["backup"] = new DingTalkAppOptions { AppKey = "dingappkey02", AppSecret = "app-secret-9876543210", AgentId = 1002, Priority = 1 } },
    };

    private static IReadOnlyList<ProviderRegistration> Create(DingTalkOptions options, CapturingLoggerFactory? logs = null) =>
        DingTalkProviders.Create(options, _ => new HttpClient(), TimeProvider.System, (Microsoft.Extensions.Logging.ILoggerFactory?)logs ?? NullLoggerFactory.Instance);

    private static OutboundMessage To(string to) => new("m", Channel.DingTalk, to, "s", "b", false);

    [Fact(DisplayName = "Binds MsgMate:DingTalk: robots by name with their router settings, the app, more apps, base URLs, switches and times")]
    public void Binds()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MsgMate:DingTalk:Robots:ops:AccessToken"] = "tok",
            ["MsgMate:DingTalk:Robots:ops:Secret"] = "SECx",
            ["MsgMate:DingTalk:Robots:ops:RatePerMinute"] = "15",
            ["MsgMate:DingTalk:App:AppKey"] = "key",
            ["MsgMate:DingTalk:App:AppSecret"] = "secret",
            ["MsgMate:DingTalk:App:AgentId"] = "2871239017",
            ["MsgMate:DingTalk:Apps:backup:AppKey"] = "key2",
            ["MsgMate:DingTalk:Apps:backup:Priority"] = "1",
            ["MsgMate:DingTalk:RobotBaseUrl"] = "http://127.0.0.1:9000",
            ["MsgMate:DingTalk:ApiBaseUrl"] = "http://127.0.0.1:9001",
            ["MsgMate:DingTalk:AllowRobotUrls"] = "true",
            ["MsgMate:DingTalk:Timeout"] = "00:00:03",
            ["MsgMate:DingTalk:TokenRefreshMargin"] = "00:10:00",
        }).Build();

        var options = DingTalkOptions.Bind(configuration);

        var ops = options.Robots["OPS"];
        Assert.Equal(("tok", "SECx", 15.0), (ops.AccessToken, ops.Secret, ops.RatePerMinute));
        Assert.Equal(("key", "secret", 2871239017L), (options.App.AppKey, options.App.AppSecret, options.App.AgentId));
        Assert.Equal(("key2", 1), (options.Apps["backup"].AppKey, options.Apps["backup"].Priority));
        Assert.Equal(("http://127.0.0.1:9000", "http://127.0.0.1:9001"), (options.RobotBaseUrl, options.ApiBaseUrl));
        Assert.True(options.AllowRobotUrls);
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(10)), (options.Timeout, options.TokenRefreshMargin));
    }

    [Fact(DisplayName = "Defaults: the official base URLs, robot URLs refused, nothing configured → no providers")]
    public void Defaults()
    {
        var options = DingTalkOptions.Bind(new ConfigurationBuilder().Build());

        Assert.Equal((RobotBase, RobotBase), (options.RobotBaseUrl, options.ApiBaseUrl));
        Assert.False(options.AllowRobotUrls);
        Assert.Empty(Create(options));
    }

    [Fact(DisplayName = "One provider per robot, the robot-URL provider when allowed, one per app; robots 20/min unless configured, apps 40/s")]
    public void Registrations()
    {
        var registrations = Create(Options(allowUrls: true));

        Assert.Equal(["dingtalk-robot:dev", "dingtalk-robot:ops", "dingtalk-robot-url", "dingtalk-app", "dingtalk-app:backup"],
            registrations.Select(r => r.Provider.Name));
        Assert.All(registrations, r => Assert.Equal(Channel.DingTalk, r.Provider.Channel));
        Assert.Equal(20.0 / 60, registrations.Single(r => r.Provider.Name == "dingtalk-robot:ops").Policy.RatePerSecond, 9);
        Assert.Equal(20.0 / 60, registrations.Single(r => r.Provider.Name == "dingtalk-robot-url").Policy.RatePerSecond, 9);
        var dev = registrations.Single(r => r.Provider.Name == "dingtalk-robot:dev").Policy;
        Assert.Equal((10.0 / 60, 2), (dev.RatePerSecond, dev.Priority));
        Assert.Equal(40, registrations.Single(r => r.Provider.Name == "dingtalk-app").Policy.RatePerSecond);
        Assert.Equal(1, registrations.Single(r => r.Provider.Name == "dingtalk-app:backup").Policy.Priority);
    }

    [Theory(DisplayName = "A robot's name (any case, spaces around) goes to that robot only")]
    [InlineData("ops", "dingtalk-robot:ops")]
    [InlineData(" OPS ", "dingtalk-robot:ops")]
    [InlineData("dev", "dingtalk-robot:dev")]
    public void Robot_name(string to, string provider) => Assert.Equal([provider], Create(Options(allowUrls: true)).Takers(To(to)));

    [Theory(DisplayName = "Any other recipient is a user id: every app can take it, no robot")]
    [InlineData("manager4220")]
    [InlineData("0123456789")]
    [InlineData("opsx")]
    public void User_id(string to) => Assert.Equal(["dingtalk-app", "dingtalk-app:backup"], Create(Options(allowUrls: true)).Takers(To(to)));

    [Fact(DisplayName = "A robot URL of the robot host is taken by the robot-URL provider when AllowRobotUrls is on")]
    public void Robot_url_allowed() =>
        Assert.Equal(["dingtalk-robot-url"], Create(Options(allowUrls: true)).Takers(To($"{RobotBase}/robot/send?access_token=abc123")));

    [Fact(DisplayName = "A robot URL is refused when AllowRobotUrls is off: no provider takes it (not even the app)")]
    public void Robot_url_refused()
    {
        var registrations = Create(Options(allowUrls: false));

        Assert.DoesNotContain(registrations, r => r.Provider.Name == "dingtalk-robot-url");
        Assert.Empty(registrations.Takers(To($"{RobotBase}/robot/send?access_token=abc123")));
    }

    [Theory(DisplayName = "URLs not of the robot endpoint (other host, scheme, port, path, no token) are taken by no provider")]
    [InlineData("https://evil.example.com/robot/send?access_token=abc")]
    [InlineData("https://oapi.dingtalk.com.evil.example.com/robot/send?access_token=abc")]
    [InlineData("http://oapi.dingtalk.com/robot/send?access_token=abc")]
    [InlineData("https://oapi.dingtalk.com:8443/robot/send?access_token=abc")]
    [InlineData("https://oapi.dingtalk.com/topapi/robot/send?access_token=abc")]
    [InlineData("https://oapi.dingtalk.com/robot/send")]
    [InlineData("https://oapi.dingtalk.com/robot/send?access_token=")]
    [InlineData("https://user:pw@oapi.dingtalk.com/robot/send?access_token=abc")]
    public void Other_urls(string to) => Assert.Empty(Create(Options(allowUrls: true)).Takers(To(to)));

    [Fact(DisplayName = "The robot-URL provider follows a configured RobotBaseUrl host")]
    public void Robot_url_follows_base()
    {
        var options = Options(allowUrls: true);
        options.RobotBaseUrl = "https://robots.internal.example:8443/";

        var registrations = Create(options);

        Assert.Equal(["dingtalk-robot-url"], registrations.Takers(To("https://robots.internal.example:8443/robot/send?access_token=x1")));
        Assert.Empty(registrations.Takers(To($"{RobotBase}/robot/send?access_token=x1")));
    }

    [Fact(DisplayName = "Invalid settings throw one error listing every problem, without any secret")]
    public void Validation()
    {
        var options = new DingTalkOptions
        {
            RobotBaseUrl = "not a url",
            Timeout = TimeSpan.Zero,
            Robots = { ["ops"] = new DingTalkRobotOptions { Secret = "SECtopsecret123" } },
            App = new DingTalkAppOptions { AppSecret = "app-secret-xyz" },
        };

        var error = Assert.Throws<InvalidOperationException>(() => Create(options)).Message;

        Assert.Contains("MsgMate:DingTalk:RobotBaseUrl", error);
        Assert.Contains("MsgMate:DingTalk:Timeout", error);
        Assert.Contains("MsgMate:DingTalk:Robots:ops:AccessToken is required", error);
        Assert.Contains("MsgMate:DingTalk:App:AppKey is required", error);
        Assert.Contains("MsgMate:DingTalk:App:AgentId", error);
        Assert.DoesNotContain("SECtopsecret123", error);
        Assert.DoesNotContain("app-secret-xyz", error);
    }

    [Fact(DisplayName = "The factory logs once which providers exist, by name, never a token or secret")]
    public void Logs_names_only()
    {
        var logs = new CapturingLoggerFactory();

        Create(Options(allowUrls: true), logs);

        var entry = Assert.Single(logs.Entries);
        Assert.Contains("dingtalk-robot:ops", entry.Message);
        Assert.Contains("dingtalk-app:backup", entry.Message);
        foreach (var secret in new[] { "ops-token", "SECops", "dev-token", "app-secret", "dingappkey" })
        {
            Assert.DoesNotContain(secret, entry.Message);
        }
    }
}
