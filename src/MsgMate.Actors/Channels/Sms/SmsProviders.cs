using Microsoft.Extensions.Logging;

namespace MsgMate.Actors.Channels.Sms;

/// <summary>Creates the SMS channel's providers (one per Aliyun account) from <c>MsgMate:Sms</c>.</summary>
public static class SmsProviders
{
    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and returns one
    /// registration per configured account — empty when none is — logging once which, by name, without keys.
    /// No rate of ours by default (Aliyun answers isv.BUSINESS_LIMIT_CONTROL per number); the accounts'
    /// RatePerSecond / RatePerMinute / Burst set one.
    /// </summary>
    /// <param name="httpClient">The HttpClient of a provider, by the provider's name (<c>aliyun</c>, <c>aliyun:&lt;name&gt;</c>).</param>
    public static IReadOnlyList<ProviderRegistration> Create(
        SmsOptions options, Func<string, HttpClient> httpClient, TimeProvider clock, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logs);
        options.ThrowIfInvalid();
        var log = logs.CreateLogger(typeof(SmsProviders));

        var accounts = options.ResolveAccounts();
        if (accounts.Count == 0)
        {
            log.LogInformation("SMS channel: no Aliyun account configured ({Key} and {Accounts} are empty)",
                $"{SmsOptions.Section}:AccessKeyId", $"{SmsOptions.Section}:Accounts");
            return [];
        }
        var inlineSomewhere = accounts.Any(a => a.AcceptsInline);
        var registrations = accounts
            .Select(a => new ProviderRegistration(
                new AliyunSmsProvider(a, httpClient(a.Name), clock) { OtherAccountsTakeInline = inlineSomewhere },
                a.Policy))
            .ToList();
        log.LogInformation(
            "SMS channel: Aliyun SendSms through {Accounts}; messages without relTemplateID: {Inline}",
            string.Join(", ", accounts.Select(a => a.ToString())),
            inlineSomewhere
                ? string.Join(", ", accounts.Where(a => a.AcceptsInline).Select(a => a.Name))
                : $"refused (set {SmsOptions.Section}:ContentTemplateCode)");
        foreach (var a in accounts.Where(a => a.SignName.Length == 0))
        {
            log.LogWarning("SMS channel: {Account} has no SignName; only templates with a signName can be sent through it", a.Name);
        }
        return registrations;
    }

    /// <summary>
    /// Whether a message without an Aliyun TemplateCode of its own (inline content, or a template without
    /// relTemplateID) can be sent: some account has a ContentTemplateCode (or a DefaultTemplateCode). Intake refuses
    /// such SMS otherwise; the provider would fail them with <see cref="AliyunSmsProvider.InlineRefusal"/>.
    /// </summary>
    public static bool AcceptsInline(SmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AcceptsInline;
    }
}
