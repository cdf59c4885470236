using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>One custom group robot (自定义机器人), e.g. <c>MsgMate:DingTalk:Robots:ops</c>.</summary>
public sealed class DingTalkRobotOptions : ProviderSettings
{
    /// <summary>The <c>access_token</c> of the robot's webhook URL. Never logged.</summary>
    public string AccessToken { get; set; } = "";

    /// <summary>The signing secret (<c>SEC…</c>) when the robot uses 加签; empty otherwise. Never logged.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>One corp internal app sending work notifications (工作通知), e.g. <c>MsgMate:DingTalk:App</c>.</summary>
public sealed class DingTalkAppOptions : ProviderSettings
{
    public string AppKey { get; set; } = "";

    /// <summary>Never logged.</summary>
    public string AppSecret { get; set; } = "";

    public long AgentId { get; set; }

    /// <summary>Any of the app's keys is set (then all are required).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(AppKey) || !string.IsNullOrEmpty(AppSecret) || AgentId != 0;
}

/// <summary>
/// DingTalk channel (5) settings, bound from <c>MsgMate:DingTalk</c>: any number of group robots (addressed by
/// name), a corp app (<see cref="App"/>) and further apps (<see cref="Apps"/>, failover for the same corp) that
/// reach users by their <c>dingtalk_id</c>.
/// </summary>
public sealed class DingTalkOptions
{
    public const string Section = "MsgMate:DingTalk";

    /// <summary>The robot's documented limit: 20 messages a minute (over it the robot is blocked for 10 minutes).</summary>
    public const double RobotRatePerMinute = 20;

    /// <summary>Documented per appkey and API: 40 calls a second (error 90018 over it).</summary>
    public const double AppRatePerSecond = 40;

    /// <summary>Robots by name; a message whose recipient is the name goes to that robot.</summary>
    public Dictionary<string, DingTalkRobotOptions> Robots { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The corp app (provider "dingtalk-app"); not configured when its keys are empty.</summary>
    public DingTalkAppOptions App { get; set; } = new();

    /// <summary>More corp apps by name (providers "dingtalk-app:&lt;name&gt;").</summary>
    public Dictionary<string, DingTalkAppOptions> Apps { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public string RobotBaseUrl { get; set; } = "https://oapi.dingtalk.com";

    public string ApiBaseUrl { get; set; } = "https://oapi.dingtalk.com";

    /// <summary>
    /// Accept a robot webhook URL (<c>{RobotBaseUrl}/robot/send?access_token=…</c>) as the recipient. Off by default:
    /// whoever may send messages could otherwise post to any robot. Such robots cannot sign (no secret).
    /// </summary>
    public bool AllowRobotUrls { get; set; }

    /// <summary>Router settings of the robot-URL provider ("dingtalk-robot-url"); its default rate is one robot's.</summary>
    public ProviderSettings RobotUrl { get; set; } = new();

    /// <summary>Limit of each HTTP request (token and send).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An app token is replaced this long before it expires.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads <c>MsgMate:DingTalk</c>; absent keys keep their defaults.</summary>
    public static DingTalkOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<DingTalkOptions>() ?? new DingTalkOptions();

    /// <summary>The configured apps with their provider names: "dingtalk-app" for <see cref="App"/>, "dingtalk-app:&lt;name&gt;" for the others.</summary>
    public IEnumerable<(string Name, DingTalkAppOptions App)> ConfiguredApps()
    {
        if (App.IsConfigured)
        {
            yield return ("dingtalk-app", App);
        }
        foreach (var (name, app) in Apps.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase))
        {
            yield return ($"dingtalk-app:{name}", app);
        }
    }

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains a secret.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingsChecks.Url(errors, $"{Section}:RobotBaseUrl", RobotBaseUrl);
        SettingsChecks.Url(errors, $"{Section}:ApiBaseUrl", ApiBaseUrl);
        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:Timeout must be positive (was {Timeout}).");
        }
        if (TokenRefreshMargin < TimeSpan.Zero)
        {
            errors.Add($"{Section}:TokenRefreshMargin must not be negative (was {TokenRefreshMargin}).");
        }
        foreach (var (name, robot) in Robots)
        {
            var key = $"{Section}:Robots:{name}";
            if (robot is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }
            SettingsChecks.RobotName(errors, key, name);
            if (string.IsNullOrWhiteSpace(robot.AccessToken))
            {
                errors.Add($"{key}:AccessToken is required.");
            }
            SettingsChecks.Provider(errors, key, robot);
        }
        if (App.IsConfigured)
        {
            CheckApp(errors, $"{Section}:App", App);
        }
        foreach (var (name, app) in Apps)
        {
            if (app is null)
            {
                errors.Add($"{Section}:Apps:{name} is empty.");
                continue;
            }
            CheckApp(errors, $"{Section}:Apps:{name}", app);
        }
        SettingsChecks.Provider(errors, $"{Section}:RobotUrl", RobotUrl);
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every configuration error.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid DingTalk settings: " + string.Join(" ", errors));
        }
    }

    private static void CheckApp(List<string> errors, string key, DingTalkAppOptions app)
    {
        if (string.IsNullOrWhiteSpace(app.AppKey))
        {
            errors.Add($"{key}:AppKey is required.");
        }
        if (string.IsNullOrEmpty(app.AppSecret))
        {
            errors.Add($"{key}:AppSecret is required.");
        }
        if (app.AgentId <= 0)
        {
            errors.Add($"{key}:AgentId must be the app's positive agent id (was {app.AgentId}).");
        }
        SettingsChecks.Provider(errors, key, app);
    }
}
