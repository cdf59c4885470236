using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Sms;
using MsgMate.Actors.Common;
using static MsgMate.Channels.Tests.Sms.AliyunSmsTestSupport;

namespace MsgMate.Channels.Tests.Sms;

public sealed class AliyunSmsOptionsTests
{
    private static SmsOptions Bind(Dictionary<string, string?> values) =>
        SmsOptions.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    private static IReadOnlyList<ProviderRegistration> Create(SmsOptions options, CapturingLoggerFactory? logs = null, List<string>? clientNames = null) =>
        SmsProviders.Create(options, name =>
        {
            clientNames?.Add(name);
            return new HttpClient();
        }, new FixedClock(Now), logs ?? new CapturingLoggerFactory());

    [Fact(DisplayName = "Defaults: nothing configured, endpoint https://dysmsapi.aliyuncs.com, region cn-hangzhou, 10 s, no rate of ours; valid")]
    public void Defaults()
    {
        var options = Bind([]);

        Assert.False(options.IsConfigured);
        Assert.Equal("https://dysmsapi.aliyuncs.com", options.Endpoint);
        Assert.Equal("cn-hangzhou", options.RegionId);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(0, options.Policy().RatePerSecond);
        Assert.Empty(options.Accounts);
        Assert.Empty(options.Validate());
        Assert.False(SmsProviders.AcceptsInline(options));
    }

    [Fact(DisplayName = "No account configured: the factory returns no registration and says so once")]
    public void Nothing_configured()
    {
        var logs = new CapturingLoggerFactory();

        Assert.Empty(Create(new SmsOptions(), logs));
        Assert.Contains(logs.Entries, e => e.Message.Contains("no Aliyun account configured"));
    }

    [Fact(DisplayName = "Binds MsgMate:Sms with its accounts; a later source (as environment variables are) wins")]
    public void Binds_with_accounts()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MsgMate:Sms:AccessKeyId"] = "LTAI-main",
                ["MsgMate:Sms:AccessKeySecret"] = "main-secret",
                ["MsgMate:Sms:SignName"] = "MsgMate",
                ["MsgMate:Sms:ContentTemplateCode"] = "SMS_CONTENT",
                ["MsgMate:Sms:RegionId"] = "cn-hangzhou",
                ["MsgMate:Sms:Timeout"] = "00:00:05",
                ["MsgMate:Sms:Priority"] = "0",
                ["MsgMate:Sms:Concurrency"] = "8",
                ["MsgMate:Sms:Accounts:backup:AccessKeyId"] = "LTAI-backup",
                ["MsgMate:Sms:Accounts:backup:AccessKeySecret"] = "backup-secret",
                ["MsgMate:Sms:Accounts:backup:Priority"] = "1",
                ["MsgMate:Sms:Accounts:backup:SignName"] = "Backup Sign",
                ["MsgMate:Sms:Accounts:backup:RatePerMinute"] = "600",
            })
            .AddInMemoryCollection(new Dictionary<string, string?> { ["MsgMate:Sms:RegionId"] = "cn-shanghai", ["MsgMate:Sms:Accounts:backup:Timeout"] = "00:00:03" })
            .Build();

        var options = SmsOptions.Bind(configuration);
        var accounts = options.ResolveAccounts();

        Assert.Empty(options.Validate());
        Assert.Equal(["aliyun", "aliyun:backup"], accounts.Select(a => a.Name));
        var main = accounts[0];
        Assert.Equal("LTAI-main", main.AccessKeyId);
        Assert.Equal("main-secret", main.AccessKeySecret);
        Assert.Equal("cn-shanghai", main.RegionId);
        Assert.Equal(TimeSpan.FromSeconds(5), main.Timeout);
        Assert.Equal(new Uri("https://dysmsapi.aliyuncs.com"), main.Endpoint);
        Assert.Equal(new ProviderPolicy(Priority: 0, Weight: 1, Concurrency: 8, RatePerSecond: 0, Burst: 1), main.Policy);
        var backup = accounts[1];
        Assert.Equal("LTAI-backup", backup.AccessKeyId);
        Assert.Equal("Backup Sign", backup.SignName);
        // Vendor settings it does not set come from the top; provider settings are its own.
        Assert.Equal("SMS_CONTENT", backup.ContentTemplateCode);
        Assert.Equal("cn-shanghai", backup.RegionId);
        Assert.Equal(TimeSpan.FromSeconds(3), backup.Timeout);
        Assert.Equal(new ProviderPolicy(Priority: 1, Weight: 1, Concurrency: 4, RatePerSecond: 10, Burst: 1), backup.Policy);
    }

    [Fact(DisplayName = "Only Accounts configured: no default 'aliyun' provider, each account 'aliyun:<name>'")]
    public void Accounts_only()
    {
        var options = Bind(new()
        {
            ["MsgMate:Sms:SignName"] = "MsgMate",
            ["MsgMate:Sms:Accounts:b:AccessKeyId"] = "id-b",
            ["MsgMate:Sms:Accounts:b:AccessKeySecret"] = "secret-b",
            ["MsgMate:Sms:Accounts:a:AccessKeyId"] = "id-a",
            ["MsgMate:Sms:Accounts:a:AccessKeySecret"] = "secret-a",
        });
        var clientNames = new List<string>();

        var registrations = Create(options, clientNames: clientNames);

        Assert.Equal(["aliyun:a", "aliyun:b"], registrations.Select(r => r.Provider.Name));
        Assert.Equal(["aliyun:a", "aliyun:b"], clientNames);
        Assert.All(registrations, r => Assert.Equal(Channel.Sms, r.Provider.Channel));
        Assert.All(registrations, r => Assert.IsType<AliyunSmsProvider>(r.Provider));
    }

    [Fact(DisplayName = "The factory registers one provider per account with its policy and logs names only — no keys, no secrets")]
    public void Factory_logs_names_only()
    {
        var options = new SmsOptions
        {
            AccessKeyId = "LTAI-visible-id",
            AccessKeySecret = "very-secret-value",
            SignName = "MsgMate",
            Priority = 2,
            Weight = 3,
            Accounts = { ["backup"] = new AliyunSmsAccountOptions { AccessKeyId = "LTAI-other-id", AccessKeySecret = "other-secret", Priority = 5 } },
        };
        var logs = new CapturingLoggerFactory();

        var registrations = Create(options, logs);

        Assert.Equal(["aliyun", "aliyun:backup"], registrations.Select(r => r.Provider.Name));
        Assert.Equal(2, registrations[0].Policy.Priority);
        Assert.Equal(3, registrations[0].Policy.Weight);
        Assert.Equal(5, registrations[1].Policy.Priority);
        var logged = string.Join("\n", logs.Entries.Select(e => e.Message));
        Assert.Contains("aliyun", logged);
        Assert.Contains("aliyun:backup", logged);
        Assert.Contains("refused", logged);
        foreach (var secret in new[] { "very-secret-value", "other-secret", "LTAI-visible-id", "LTAI-other-id" })
        {
            Assert.DoesNotContain(secret, logged);
            Assert.DoesNotContain(secret, options.ToString());
            Assert.All(options.ResolveAccounts(), a => Assert.DoesNotContain(secret, a.ToString()));
        }
    }

    [Fact(DisplayName = "Validation names every problem (secret without id, missing account keys, bad endpoint/timeout/name) and never a secret")]
    public void Validation()
    {
        var options = new SmsOptions
        {
            AccessKeySecret = "orphan-secret",
            Endpoint = "ftp://example.com",
            RegionId = " ",
            Timeout = TimeSpan.Zero,
            Concurrency = 0,
            Accounts =
            {
                ["no-keys"] = new AliyunSmsAccountOptions(),
                ["bad name!"] = new AliyunSmsAccountOptions { AccessKeyId = "id", AccessKeySecret = "secret-x", Endpoint = "not a url", Timeout = TimeSpan.FromSeconds(-1) },
            },
        };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:AccessKeySecret (ali_app_secret) is set but MsgMate:Sms:AccessKeyId (ali_app_id) is empty"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Endpoint"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:RegionId"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Timeout"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms: Weight, Concurrency"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Accounts:no-keys:AccessKeyId is required"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Accounts:no-keys:AccessKeySecret is required"));
        Assert.Contains(errors, e => e.Contains("'bad name!'"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Accounts:bad name!:Endpoint"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Sms:Accounts:bad name!:Timeout"));
        Assert.All(errors, e => Assert.DoesNotContain("secret-x", e));
        Assert.All(errors, e => Assert.DoesNotContain("orphan-secret", e));

        var thrown = Assert.Throws<InvalidOperationException>(() => Create(options));
        Assert.Contains("MsgMate:Sms:Accounts:no-keys:AccessKeyId is required", thrown.Message);
        Assert.DoesNotContain("orphan-secret", thrown.Message);
    }

    [Fact(DisplayName = "An AccessKeyId without its secret is an error")]
    public void Id_without_secret() =>
        Assert.Contains(new SmsOptions { AccessKeyId = "LTAI" }.Validate(), e => e.Contains("AccessKeySecret (ali_app_secret) is required"));

    [Fact(DisplayName = "AcceptsInline: only when some account has a ContentTemplateCode or DefaultTemplateCode (its own or inherited)")]
    public void Accepts_inline()
    {
        Assert.False(SmsProviders.AcceptsInline(new SmsOptions { AccessKeyId = "id", AccessKeySecret = "s" }));
        Assert.True(SmsProviders.AcceptsInline(new SmsOptions { AccessKeyId = "id", AccessKeySecret = "s", ContentTemplateCode = "SMS_C" }));
        Assert.True(SmsProviders.AcceptsInline(new SmsOptions { AccessKeyId = "id", AccessKeySecret = "s", DefaultTemplateCode = "SMS_D" }));
        // A template code without any account sends nothing.
        Assert.False(SmsProviders.AcceptsInline(new SmsOptions { ContentTemplateCode = "SMS_C" }));
        Assert.True(SmsProviders.AcceptsInline(new SmsOptions
        {
            ContentTemplateCode = "SMS_C",
            Accounts = { ["a"] = new AliyunSmsAccountOptions { AccessKeyId = "id", AccessKeySecret = "s" } },
        }));
        Assert.True(SmsProviders.AcceptsInline(new SmsOptions
        {
            AccessKeyId = "id",
            AccessKeySecret = "s",
            Accounts = { ["a"] = new AliyunSmsAccountOptions { AccessKeyId = "id2", AccessKeySecret = "s2", ContentTemplateCode = "SMS_C" } },
        }));
    }

    [Fact(DisplayName = "With mixed accounts, one that cannot send inline content leaves it to one that can; template messages go to both")]
    public void Can_send_routes_inline()
    {
        var options = new SmsOptions
        {
            AccessKeyId = "id",
            AccessKeySecret = "s",
            SignName = "MsgMate",
            Accounts = { ["content"] = new AliyunSmsAccountOptions { AccessKeyId = "id2", AccessKeySecret = "s2", ContentTemplateCode = "SMS_C" } },
        };
        var providers = Create(options).Select(r => r.Provider).ToList();
        var inline = SmsMessage(templateCode: "");
        var templated = SmsMessage(templateCode: "SMS_1");

        Assert.Equal(["aliyun:content"], providers.Where(p => p.CanSend(inline)).Select(p => p.Name));
        Assert.Equal(["aliyun", "aliyun:content"], providers.Where(p => p.CanSend(templated)).Select(p => p.Name));
    }

    [Fact(DisplayName = "When no account can send inline content, each still takes it (and refuses it with the documented reason)")]
    public async Task No_account_takes_inline()
    {
        var providers = Create(new SmsOptions { AccessKeyId = "id", AccessKeySecret = "s", SignName = "MsgMate" }).Select(r => r.Provider).ToList();
        var inline = SmsMessage(templateCode: "");

        Assert.All(providers, p => Assert.True(p.CanSend(inline)));
        var outcome = await providers[0].SendAsync(inline, CancellationToken.None);
        Assert.Equal(SendOutcome.Permanent("aliyun", AliyunSmsProvider.InlineRefusal), outcome);
    }
}
