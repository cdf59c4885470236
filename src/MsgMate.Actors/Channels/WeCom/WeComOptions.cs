using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>One group robot (群机器人), e.g. <c>MsgMate:WeCom:Robots:ops</c>.</summary>
public sealed class WeComRobotOptions : ProviderSettings
{
    /// <summary>The <c>key</c> of the robot's webhook URL. Never logged.</summary>
    public string Key { get; set; } = "";
}

/// <summary>One self-built app sending app messages (应用消息), e.g. <c>MsgMate:WeCom:App</c>.</summary>
public sealed class WeComAppOptions : ProviderSettings
{
    public string CorpId { get; set; } = "";

    /// <summary>The app's secret. Never logged.</summary>
    public string CorpSecret { get; set; } = "";

    public int AgentId { get; set; }

    /// <summary>
    /// When positive, messages are sent with <c>enable_duplicate_check: 1</c> and this interval (whole seconds):
    /// WeCom then drops a request identical to one sent within the interval, so that a resend after a lost answer
    /// does not reach the user twice; but so is a second, separate message of the same text to the same user. Off
    /// (zero) by default.
    /// </summary>
    public TimeSpan DuplicateCheckInterval { get; set; }

    /// <summary>Any of the app's keys is set (then all are required).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(CorpId) || !string.IsNullOrEmpty(CorpSecret) || AgentId != 0;
}

/// <summary>
/// WeCom (WeChat Work) channel (4) settings, bound from <c>MsgMate:WeCom</c>: any number of group robots (addressed
/// by name), an app (<see cref="App"/>) and further apps (<see cref="Apps"/>, failover within the same corp) that
/// reach members by their <c>wechat_id</c> (WeCom UserID).
/// </summary>
public sealed class WeComOptions
{
    public const string Section = "MsgMate:WeCom";

    /// <summary>The robot's documented limit: 20 messages a minute (errcode 45009 over it).</summary>
    public const double RobotRatePerMinute = 20;

    /// <summary>Robots by name; a message whose recipient is the name goes to that robot.</summary>
    public Dictionary<string, WeComRobotOptions> Robots { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The app (provider "wecom-app"); not configured when its keys are empty.</summary>
    public WeComAppOptions App { get; set; } = new();

    /// <summary>More apps by name (providers "wecom-app:&lt;name&gt;").</summary>
    public Dictionary<string, WeComAppOptions> Apps { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Base of both the robot and the app API.</summary>
    public string BaseUrl { get; set; } = "https://qyapi.weixin.qq.com";

    /// <summary>
    /// Accept a robot webhook URL (<c>{BaseUrl}/cgi-bin/webhook/send?key=…</c>) as the recipient. Off by default:
    /// whoever may send messages could otherwise post to any robot.
    /// </summary>
    public bool AllowRobotUrls { get; set; }

    /// <summary>Router settings of the robot-URL provider ("wecom-robot-url"); its default rate is one robot's.</summary>
    public ProviderSettings RobotUrl { get; set; } = new();

    /// <summary>Limit of each HTTP request (token and send).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An app token (valid 7200 s) is replaced this long before it expires.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads <c>MsgMate:WeCom</c>; absent keys keep their defaults.</summary>
    public static WeComOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<WeComOptions>() ?? new WeComOptions();

    /// <summary>The configured apps with their provider names: "wecom-app" for <see cref="App"/>, "wecom-app:&lt;name&gt;" for the others.</summary>
    public IEnumerable<(string Name, WeComAppOptions App)> ConfiguredApps()
    {
        if (App.IsConfigured)
        {
            yield return ("wecom-app", App);
        }
        foreach (var (name, app) in Apps.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase))
        {
            yield return ($"wecom-app:{name}", app);
        }
    }

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains a secret.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SettingsChecks.Url(errors, $"{Section}:BaseUrl", BaseUrl);
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
            if (string.IsNullOrWhiteSpace(robot.Key))
            {
                errors.Add($"{key}:Key is required.");
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
            throw new InvalidOperationException("Invalid WeCom settings: " + string.Join(" ", errors));
        }
    }

    private static void CheckApp(List<string> errors, string key, WeComAppOptions app)
    {
        if (string.IsNullOrWhiteSpace(app.CorpId))
        {
            errors.Add($"{key}:CorpId is required.");
        }
        if (string.IsNullOrEmpty(app.CorpSecret))
        {
            errors.Add($"{key}:CorpSecret is required.");
        }
        if (app.AgentId <= 0)
        {
            errors.Add($"{key}:AgentId must be the app's positive AgentId (was {app.AgentId}).");
        }
        if (app.DuplicateCheckInterval < TimeSpan.Zero)
        {
            errors.Add($"{key}:DuplicateCheckInterval must not be negative (was {app.DuplicateCheckInterval}).");
        }
        SettingsChecks.Provider(errors, key, app);
    }
}
