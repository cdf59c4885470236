using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace MsgMate.Actors.Channels.Sms;

/// <summary>
/// SMS channel settings (Aliyun dysmsapi), bound from <c>MsgMate:Sms</c>. The keys at the top describe the default
/// account, named <c>aliyun</c>, which exists when <see cref="AccessKeyId"/> is set; <see cref="Accounts"/> adds more
/// (named <c>aliyun:&lt;name&gt;</c>) for failover or sharing. An account's empty vendor setting falls back to the one
/// at the top (endpoint, region, sign name, template codes, timeout), never its credentials or its provider settings
/// (priority, weight, concurrency, rate). The Go project's TOML keys map here: <c>ali_app_id</c> →
/// <see cref="AccessKeyId"/>, <c>ali_app_secret</c> → <see cref="AccessKeySecret"/>.
/// </summary>
public sealed class SmsOptions : ProviderSettings
{
    public const string Section = "MsgMate:Sms";

    public const string DefaultEndpoint = "https://dysmsapi.aliyuncs.com";

    public const string DefaultRegionId = "cn-hangzhou";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The default account's AccessKey id (the Go key <c>ali_app_id</c>). Empty: no default account.</summary>
    public string AccessKeyId { get; set; } = "";

    /// <summary>The default account's AccessKey secret (the Go key <c>ali_app_secret</c>). Never logged.</summary>
    public string AccessKeySecret { get; set; } = "";

    /// <summary>Base URL of the API; requests are POSTed to it (path <c>/</c>).</summary>
    public string Endpoint { get; set; } = DefaultEndpoint;

    public string RegionId { get; set; } = DefaultRegionId;

    /// <summary>Sign name used when the message's template has no <c>signName</c>.</summary>
    public string SignName { get; set; } = "";

    /// <summary>Aliyun TemplateCode used (with the template data as its parameters) when the message has no <c>relTemplateID</c>.</summary>
    public string DefaultTemplateCode { get; set; } = "";

    /// <summary>
    /// Aliyun TemplateCode of a template whose whole text is the parameter <c>${content}</c>: messages without a
    /// TemplateCode (inline content) are sent through it with <c>{"content": body}</c>.
    /// </summary>
    public string ContentTemplateCode { get; set; } = "";

    /// <summary>Per request (Aliyun recommends at least 1 s).</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>More accounts by name (<c>MsgMate:Sms:Accounts:&lt;name&gt;:AccessKeyId</c>, …).</summary>
    public Dictionary<string, AliyunSmsAccountOptions> Accounts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads <c>MsgMate:Sms</c>; absent keys keep their defaults.</summary>
    public static SmsOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<SmsOptions>() ?? new SmsOptions();

    /// <summary>Whether any account is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccessKeyId) || Accounts.Count > 0;

    /// <summary>
    /// Whether some account can send a message without a TemplateCode of its own: it has a ContentTemplateCode or a
    /// DefaultTemplateCode (its own or the one at the top). See <see cref="SmsProviders.AcceptsInline"/>.
    /// </summary>
    public bool AcceptsInline =>
        (!string.IsNullOrWhiteSpace(AccessKeyId) && HasInlineTemplate(DefaultTemplateCode, ContentTemplateCode))
        || Accounts.Values.Any(a => a is not null
            && HasInlineTemplate(Or(a.DefaultTemplateCode, DefaultTemplateCode), Or(a.ContentTemplateCode, ContentTemplateCode)));

    private static bool HasInlineTemplate(string defaultTemplateCode, string contentTemplateCode) =>
        !string.IsNullOrWhiteSpace(defaultTemplateCode) || !string.IsNullOrWhiteSpace(contentTemplateCode);

    /// <summary>
    /// The accounts with their effective settings: the default one first (when <see cref="AccessKeyId"/> is set), then
    /// <see cref="Accounts"/> by name. Throws <see cref="InvalidOperationException"/> when the settings are not valid.
    /// </summary>
    public IReadOnlyList<AliyunSmsAccount> ResolveAccounts()
    {
        ThrowIfInvalid();
        var accounts = new List<AliyunSmsAccount>();
        if (!string.IsNullOrWhiteSpace(AccessKeyId))
        {
            accounts.Add(new AliyunSmsAccount
            {
                Name = AliyunSmsAccount.DefaultName,
                AccessKeyId = AccessKeyId.Trim(),
                AccessKeySecret = AccessKeySecret,
                Endpoint = ParseEndpoint(Endpoint)!,
                RegionId = RegionId.Trim(),
                SignName = SignName.Trim(),
                DefaultTemplateCode = DefaultTemplateCode.Trim(),
                ContentTemplateCode = ContentTemplateCode.Trim(),
                Timeout = Timeout,
                Policy = Policy(),
            });
        }
        foreach (var (name, a) in Accounts.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase))
        {
            accounts.Add(new AliyunSmsAccount
            {
                Name = $"{AliyunSmsAccount.DefaultName}:{name}",
                AccessKeyId = a.AccessKeyId.Trim(),
                AccessKeySecret = a.AccessKeySecret,
                Endpoint = ParseEndpoint(Or(a.Endpoint, Endpoint))!,
                RegionId = Or(a.RegionId, RegionId),
                SignName = Or(a.SignName, SignName),
                DefaultTemplateCode = Or(a.DefaultTemplateCode, DefaultTemplateCode),
                ContentTemplateCode = Or(a.ContentTemplateCode, ContentTemplateCode),
                Timeout = a.Timeout ?? Timeout,
                Policy = a.Policy(),
            });
        }
        return accounts;
    }

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains a secret.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(AccessKeyId) && !string.IsNullOrEmpty(AccessKeySecret))
        {
            errors.Add($"{Section}:AccessKeySecret (ali_app_secret) is set but {Section}:AccessKeyId (ali_app_id) is empty.");
        }
        if (!string.IsNullOrWhiteSpace(AccessKeyId) && string.IsNullOrEmpty(AccessKeySecret))
        {
            errors.Add($"{Section}:AccessKeySecret (ali_app_secret) is required when {Section}:AccessKeyId (ali_app_id) is set.");
        }
        CheckVendorSettings(errors, Section, Endpoint, RegionId, Timeout, required: true);
        CheckProviderSettings(errors, Section, this);
        foreach (var (name, a) in Accounts)
        {
            var key = $"{Section}:Accounts:{name}";
            if (!AccountName.IsMatch(name))
            {
                errors.Add($"{Section}:Accounts: the account name '{name}' may only hold letters, digits, '-', '_' and '.'.");
            }
            if (a is null)
            {
                errors.Add($"{key} has no settings.");
                continue;
            }
            if (string.IsNullOrWhiteSpace(a.AccessKeyId))
            {
                errors.Add($"{key}:AccessKeyId is required.");
            }
            if (string.IsNullOrEmpty(a.AccessKeySecret))
            {
                errors.Add($"{key}:AccessKeySecret is required.");
            }
            CheckVendorSettings(errors, key, a.Endpoint, a.RegionId, a.Timeout, required: false);
            CheckProviderSettings(errors, key, a);
        }
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every configuration error.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid SMS settings: " + string.Join(" ", errors));
        }
    }

    /// <summary>For logs: account names only, no keys.</summary>
    public override string ToString() => IsConfigured
        ? $"aliyun accounts: {string.Join(", ", ResolveAccountNames())}"
        : "no aliyun account";

    private IEnumerable<string> ResolveAccountNames() =>
        (string.IsNullOrWhiteSpace(AccessKeyId) ? [] : new[] { AliyunSmsAccount.DefaultName })
        .Concat(Accounts.Keys.Order(StringComparer.OrdinalIgnoreCase).Select(n => $"{AliyunSmsAccount.DefaultName}:{n}"));

    private static readonly Regex AccountName = new("^[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant);

    private static string Or(string value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback.Trim() : value.Trim();

    internal static Uri? ParseEndpoint(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0
            ? uri
            : null;

    private static void CheckVendorSettings(List<string> errors, string key, string endpoint, string regionId, TimeSpan? timeout, bool required)
    {
        if ((required || !string.IsNullOrWhiteSpace(endpoint)) && ParseEndpoint(endpoint) is null)
        {
            errors.Add($"{key}:Endpoint must be an absolute http(s) URL without a query (was '{endpoint}').");
        }
        if (required && string.IsNullOrWhiteSpace(regionId))
        {
            errors.Add($"{key}:RegionId must not be empty (default {DefaultRegionId}).");
        }
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            errors.Add($"{key}:Timeout must be positive (was {t}).");
        }
    }

    private static void CheckProviderSettings(List<string> errors, string key, ProviderSettings s)
    {
        if (s.Weight < 1 || s.Concurrency < 1 || s.Burst < 1)
        {
            errors.Add($"{key}: Weight, Concurrency and Burst must be at least 1.");
        }
        if (s.RatePerSecond < 0 || s.RatePerMinute < 0)
        {
            errors.Add($"{key}: RatePerSecond and RatePerMinute must not be negative.");
        }
    }
}

/// <summary>
/// One more Aliyun account (<c>MsgMate:Sms:Accounts:&lt;name&gt;</c>). Empty vendor settings fall back to the ones of
/// <c>MsgMate:Sms</c>; the provider settings (priority, weight, …) are the account's own.
/// </summary>
public sealed class AliyunSmsAccountOptions : ProviderSettings
{
    public string AccessKeyId { get; set; } = "";

    public string AccessKeySecret { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public string RegionId { get; set; } = "";

    public string SignName { get; set; } = "";

    public string DefaultTemplateCode { get; set; } = "";

    public string ContentTemplateCode { get; set; } = "";

    public TimeSpan? Timeout { get; set; }
}

/// <summary>One Aliyun account with its effective settings, as a provider uses it.</summary>
public sealed class AliyunSmsAccount
{
    public const string DefaultName = "aliyun";

    /// <summary>The provider's name: <c>aliyun</c> or <c>aliyun:&lt;name&gt;</c>.</summary>
    public required string Name { get; init; }

    public required string AccessKeyId { get; init; }

    public required string AccessKeySecret { get; init; }

    public Uri Endpoint { get; init; } = new(SmsOptions.DefaultEndpoint);

    public string RegionId { get; init; } = SmsOptions.DefaultRegionId;

    public string SignName { get; init; } = "";

    public string DefaultTemplateCode { get; init; } = "";

    public string ContentTemplateCode { get; init; } = "";

    public TimeSpan Timeout { get; init; } = SmsOptions.DefaultTimeout;

    public ProviderPolicy Policy { get; init; } = new();

    /// <summary>Whether a message without a TemplateCode of its own can be sent with this account.</summary>
    public bool AcceptsInline => DefaultTemplateCode.Length > 0 || ContentTemplateCode.Length > 0;

    /// <summary>For logs: no keys.</summary>
    public override string ToString() =>
        $"{Name} ({Endpoint.GetLeftPart(UriPartial.Authority)}, region {RegionId}, priority {Policy.Priority}, weight {Policy.Weight})";
}
