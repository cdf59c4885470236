using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>
/// Lark / Feishu channel settings, bound from <c>MsgMate:Lark</c>. The keys directly under the section are the
/// default app (provider <c>lark</c>); the Go project's TOML keys map here: <c>lark_app_id</c> →
/// <see cref="AppId"/>, <c>lark_app_secret</c> → <see cref="AppSecret"/>. More apps (another tenant, a backup
/// app for failover) go under <see cref="Apps"/> (provider <c>lark:&lt;name&gt;</c>); an app there that leaves
/// <c>BaseUrl</c>, <c>Timeout</c> or <c>TokenRefreshMargin</c> unset takes the section's. The common provider
/// settings (<c>Priority</c>, <c>Weight</c>, <c>Concurrency</c>, <c>RatePerSecond</c>, <c>RatePerMinute</c>,
/// <c>Burst</c>) are the default app's here and each app's beside its own keys.
/// </summary>
public sealed partial class LarkOptions : ProviderSettings
{
    public const string Section = "MsgMate:Lark";

    /// <summary>Feishu (China).</summary>
    public const string FeishuBaseUrl = "https://open.feishu.cn";

    /// <summary>Lark Suite (international): the same API under another host.</summary>
    public const string LarkSuiteBaseUrl = "https://open.larksuite.com";

    /// <summary>Name of the default app's provider; the others are <c>lark:&lt;name&gt;</c>.</summary>
    public const string DefaultProviderName = "lark";

    /// <summary>
    /// The rate used when an app sets none: Lark allows an app 1000 messages a minute and 50 a second on
    /// im/v1/messages, and throttles when either is hit. 50/s sustained breaks the minute limit within 20 s, so the
    /// default is the minute limit (one send every 60 ms); set <c>RatePerSecond</c> (with a <c>Burst</c>) to change it.
    /// </summary>
    public const double DefaultRatePerSecond = 1000.0 / 60;

    /// <summary>Custom-app id <c>cli_…</c> of the default app (the Go key <c>lark_app_id</c>). Empty: no default app.</summary>
    public string AppId { get; set; } = "";

    /// <summary>The default app's secret (the Go key <c>lark_app_secret</c>). Never logged.</summary>
    public string AppSecret { get; set; } = "";

    /// <summary>Open platform host: <see cref="FeishuBaseUrl"/> or <see cref="LarkSuiteBaseUrl"/> (or a proxy/fake).</summary>
    public string BaseUrl { get; set; } = FeishuBaseUrl;

    /// <summary>Each HTTP call (token or message) may take this long; then it is a retryable failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A cached tenant_access_token is renewed once less than this remains of its life (Lark issues a new one only
    /// when less than 30 minutes remain, and the old one stays valid until its own expiry). At most half of a
    /// token's life is given up, whatever the margin.
    /// </summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>More apps by name (letters, digits, '-', '_', '.'): providers <c>lark:&lt;name&gt;</c>.</summary>
    public Dictionary<string, LarkAppOptions> Apps { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads <c>MsgMate:Lark</c>; absent keys keep their defaults.</summary>
    public static LarkOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<LarkOptions>() ?? new LarkOptions();

    /// <summary>Whether the default app is configured (an app id or a secret is set).</summary>
    public bool HasDefaultApp => !string.IsNullOrWhiteSpace(AppId) || !string.IsNullOrWhiteSpace(AppSecret);

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains a secret.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        CheckCommon(Section, BaseUrl, Timeout, TokenRefreshMargin, errors);
        if (HasDefaultApp)
        {
            CheckCredentials(Section, AppId, AppSecret, " (lark_app_id)", " (lark_app_secret)", errors);
        }
        foreach (var (name, app) in Apps)
        {
            var key = $"{Section}:Apps:{name}";
            if (!ValidName().IsMatch(name))
            {
                errors.Add($"{Section}:Apps: the app name '{Shorten(name)}' may only hold letters, digits, '-', '_' and '.'.");
                continue;
            }
            if (app is null)
            {
                errors.Add($"{key} is empty.");
                continue;
            }
            CheckCommon(key, app.BaseUrl ?? BaseUrl, app.Timeout ?? Timeout, app.TokenRefreshMargin ?? TokenRefreshMargin, errors);
            CheckCredentials(key, app.AppId, app.AppSecret, "", "", errors);
        }
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every configuration error.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid Lark settings: " + string.Join(" ", errors));
        }
    }

    /// <summary>The configured apps, the default one first, with inherited settings filled in (validate first).</summary>
    public IReadOnlyList<LarkAppSettings> ResolveApps()
    {
        var apps = new List<LarkAppSettings>();
        if (HasDefaultApp)
        {
            apps.Add(new LarkAppSettings(DefaultProviderName, AppId.Trim(), AppSecret.Trim(), BaseUri(BaseUrl), Timeout, TokenRefreshMargin,
                Policy(DefaultRatePerSecond)));
        }
        foreach (var (name, app) in Apps.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase))
        {
            apps.Add(new LarkAppSettings($"{DefaultProviderName}:{name}", app.AppId.Trim(), app.AppSecret.Trim(), BaseUri(app.BaseUrl ?? BaseUrl),
                app.Timeout ?? Timeout, app.TokenRefreshMargin ?? TokenRefreshMargin, app.Policy(DefaultRatePerSecond)));
        }
        return apps;
    }

    /// <summary>For logs: app names and hosts, no ids, no secrets.</summary>
    public override string ToString()
    {
        try
        {
            var apps = ResolveApps();
            return apps.Count == 0 ? "no Lark app" : string.Join(", ", apps.Select(a => a.ToString()));
        }
        catch (UriFormatException)
        {
            return "Lark apps with an invalid BaseUrl";
        }
    }

    /// <summary>The base URL with a trailing slash, so that relative paths keep a proxy's path prefix.</summary>
    internal static Uri BaseUri(string baseUrl) => new(baseUrl.Trim().TrimEnd('/') + "/", UriKind.Absolute);

    private static void CheckCommon(string key, string baseUrl, TimeSpan timeout, TimeSpan margin, List<string> errors)
    {
        if (!Uri.TryCreate(baseUrl?.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query))
        {
            errors.Add($"{key}:BaseUrl must be an absolute http(s) URL without a query, e.g. {FeishuBaseUrl} or {LarkSuiteBaseUrl}.");
        }
        if (timeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}:Timeout must be positive (was {timeout}).");
        }
        if (margin < TimeSpan.Zero || margin >= TimeSpan.FromHours(2))
        {
            errors.Add($"{key}:TokenRefreshMargin must be between 0 and 2 hours (was {margin}).");
        }
    }

    private static void CheckCredentials(string key, string appId, string appSecret, string idHint, string secretHint, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(appId))
        {
            errors.Add($"{key}:AppId{idHint} is required (the custom app's cli_… id).");
        }
        if (string.IsNullOrWhiteSpace(appSecret))
        {
            errors.Add($"{key}:AppSecret{secretHint} is required.");
        }
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ValidName();
}

/// <summary>One more Lark app under <c>MsgMate:Lark:Apps:&lt;name&gt;</c>; unset values come from the section.</summary>
public sealed class LarkAppOptions : ProviderSettings
{
    public string AppId { get; set; } = "";

    /// <summary>Never logged.</summary>
    public string AppSecret { get; set; } = "";

    public string? BaseUrl { get; set; }

    public TimeSpan? Timeout { get; set; }

    public TimeSpan? TokenRefreshMargin { get; set; }
}

/// <summary>The effective settings of one Lark app (one provider).</summary>
public sealed class LarkAppSettings(string name, string appId, string appSecret, Uri baseUrl, TimeSpan timeout, TimeSpan tokenRefreshMargin, ProviderPolicy policy)
{
    /// <summary>The provider name: <c>lark</c> or <c>lark:&lt;name&gt;</c>.</summary>
    public string Name { get; } = name;

    public string AppId { get; } = appId;

    public string AppSecret { get; } = appSecret;

    /// <summary>Ends with '/'.</summary>
    public Uri BaseUrl { get; } = baseUrl;

    public TimeSpan Timeout { get; } = timeout;

    public TimeSpan TokenRefreshMargin { get; } = tokenRefreshMargin;

    public ProviderPolicy Policy { get; } = policy;

    /// <summary>No app id, no secret.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} ({BaseUrl.GetLeftPart(UriPartial.Authority)}, {Policy.RatePerSecond:0.##}/s, priority {Policy.Priority})");
}
