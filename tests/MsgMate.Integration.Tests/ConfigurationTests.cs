using Microsoft.Extensions.Configuration;
using MsgMate.Node;

namespace MsgMate.Integration.Tests;

/// <summary>Environment variables are process-wide: this collection runs alone.</summary>
[CollectionDefinition(nameof(ConfigurationTests), DisableParallelization = true)]
public sealed class ConfigurationCollection;

[Collection(nameof(ConfigurationTests))]
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _toml = Path.Combine(Path.GetTempPath(), $"msgmate-{Guid.NewGuid():N}.toml");

    public void Dispose()
    {
        File.Delete(_toml);
        Environment.SetEnvironmentVariable("MsgMate__Cluster__SystemName", null);
    }

    [Fact(DisplayName = "Without configuration a node uses the documented defaults (port 8109, SQLite under ./data, Asia/Shanghai)")]
    public void Defaults()
    {
        var options = MsgMateNode.ReadOptions(new ConfigurationBuilder().Build());
        Assert.Equal(8109, options.Port);
        Assert.Equal("sqlite", options.Storage.Provider);
        Assert.Equal("Data Source=data/msgmate.db", options.Storage.ConnectionString);
        Assert.Equal("Asia/Shanghai", options.TimeZone);
        Assert.Empty(options.Cluster.SeedNodes);
    }

    [Fact(DisplayName = "The Go project's TOML keys are read, and an environment variable wins over them")]
    public void Toml_then_environment()
    {
        File.WriteAllText(_toml, """
            port = 9001
            max_retry_count = 6

            [MsgMate.Cluster]
            SystemName = "from-toml"
            Port = 4100
            """);
        Environment.SetEnvironmentVariable("MsgMate__Cluster__SystemName", "from-env");

        var configuration = new ConfigurationBuilder()
            .Add(new GoTomlConfigurationSource(_toml))
            .AddEnvironmentVariables()
            .Build();
        var options = MsgMateNode.ReadOptions(configuration);

        Assert.Equal(9001, options.Port);
        Assert.Equal(6, options.Delivery.Retry.MaxRetryCount);
        Assert.Equal(4100, options.Cluster.Port);
        Assert.Equal("from-env", options.Cluster.SystemName);
    }

    [Fact(DisplayName = "MsgMate:Limits: the documented defaults, and environment variables (MsgMate__Limits__…) override them")]
    public void Limits_defaults_and_environment()
    {
        var defaults = MsgMateNode.ReadOptions(new ConfigurationBuilder().Build()).Limits;
        Assert.Equal((1000, 10_000, 20, 1_000_000), (defaults.MaxDirectRecipients, defaults.MaxUserIds, defaults.MaxTags, defaults.MaxRecordsPerSend));
        Assert.Equal((100, 64, 16_384, 65_536), (defaults.MaxTemplateDataEntries, defaults.MaxTemplateDataKeyLength,
            defaults.MaxTemplateDataValueLength, defaults.MaxTemplateDataBytes));
        var r = defaults.Rendered;
        Assert.Equal((524_288, 500, 150_000, 30_000, 2048, 4096, 18_000, 262_144),
            (r.Email, r.Sms, r.Lark, r.LarkCard, r.WeCom, r.WeComMarkdown, r.DingTalk, r.Webhook));
        Assert.Equal(1000, defaults.MaxTagStatistics);

        Environment.SetEnvironmentVariable("MsgMate__Limits__MaxUserIds", "500");
        Environment.SetEnvironmentVariable("MsgMate__Limits__Rendered__Sms", "70");
        try
        {
            var limits = MsgMateNode.ReadOptions(new ConfigurationBuilder().AddEnvironmentVariables().Build()).Limits;
            Assert.Equal(500, limits.MaxUserIds);
            Assert.Equal(70, limits.Rendered.Sms);
            Assert.Equal(20, limits.MaxTags);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MsgMate__Limits__MaxUserIds", null);
            Environment.SetEnvironmentVariable("MsgMate__Limits__Rendered__Sms", null);
        }
    }

    [Fact(DisplayName = "A missing TOML file is no error: the node runs on its other sources")]
    public void Missing_toml()
    {
        var configuration = new ConfigurationBuilder().Add(new GoTomlConfigurationSource(_toml + ".absent")).Build();
        Assert.Equal(8109, MsgMateNode.ReadOptions(configuration).Port);
    }

    /// <summary>Go key, its TOML value, and where the node reads it: the typed setting the value must arrive at.</summary>
    public static readonly TheoryData<string, string, string> ReadKeys = new()
    {
        { "port", "9001", "Port=9001" },
        { "timezone", "\"UTC\"", "TimeZone=UTC" },
        { "max_retry_count", "6", "MaxRetryCount=6" },
        { "mysql_as_mq", "false", "SqlQueue=False" },
        { "email_account", "\"robot@example.com\"", "Account=robot@example.com" },
        { "email_auth_code", "\"s3cret\"", "Password=s3cret" },
        { "email_host", "\"127.0.0.1\"", "Host=127.0.0.1" },
        { "email_port", "2525", "EmailPort=2525" },
        { "ali_app_id", "\"LTAI-test\"", "AccessKeyId=LTAI-test" },
        { "ali_app_secret", "\"ali-secret\"", "AccessKeySecret=ali-secret" },
        { "lark_app_id", "\"cli_test\"", "AppId=cli_test" },
        { "lark_app_secret", "\"lark-secret\"", "AppSecret=lark-secret" },
        { "kafka.brokers", "[\"127.0.0.1:9092\", \"127.0.0.2:9092\"]", "BootstrapServers=127.0.0.1:9092,127.0.0.2:9092" },
    };

    /// <summary>Mapped Go keys that no options class reads yet: each is reported at start instead of vanishing.</summary>
    private static readonly string[] NotReadYet = ["open_cache"];

    [Theory(DisplayName = "Each mapped Go TOML key, written as in the Go project's [common] table, arrives at the typed setting that reads it")]
    [MemberData(nameof(ReadKeys))]
    public void Mapped_key_arrives(string goKey, string tomlValue, string expected)
    {
        File.WriteAllText(_toml, TomlFor(goKey, tomlValue));
        var source = new GoTomlConfigurationSource(_toml);
        var options = MsgMateNode.ReadOptions(new ConfigurationBuilder().Add(source).Build());

        var setting = expected[..expected.IndexOf('=')];
        var actual = setting switch
        {
            "Port" => options.Port.ToString(),
            "TimeZone" => options.TimeZone,
            "MaxRetryCount" => options.Delivery.Retry.MaxRetryCount.ToString(),
            "SqlQueue" => options.Queue.SqlQueue.ToString(),
            "Account" => options.Email.Account,
            "Password" => options.Email.Password,
            "Host" => options.Email.Host,
            "EmailPort" => options.Email.Port.ToString(),
            "BootstrapServers" => options.Kafka.BootstrapServers,
            "AccessKeyId" => options.Sms.AccessKeyId,
            "AccessKeySecret" => options.Sms.AccessKeySecret,
            "AppId" => options.Lark.AppId,
            "AppSecret" => options.Lark.AppSecret,
            _ => throw new ArgumentException(setting),
        };
        Assert.Equal(expected, $"{setting}={actual}");
        Assert.Empty(source.UnusedKeys(typeof(MsgMate.Actors.Common.MsgMateOptions), "MsgMate"));
    }

    [Fact(DisplayName = "A mapped Go key that nothing reads yet, and a Go key MsgMate.NET does not know, are each named once as ignored, without their values")]
    public void Unused_keys_are_reported()
    {
        File.WriteAllText(_toml, string.Join("\n", NotReadYet.Select(k => $"{k} = \"value-{k}\"")) + """

            port = 9001

            [mysql]
            pwd = "hunter2"
            """);
        var source = new GoTomlConfigurationSource(_toml);
        _ = new ConfigurationBuilder().Add(source).Build();

        var unused = source.UnusedKeys(typeof(MsgMate.Actors.Common.MsgMateOptions), "MsgMate");
        Assert.Equal(NotReadYet.Length + 1, unused.Count);
        foreach (var key in NotReadYet)
        {
            Assert.Single(unused, u => u.StartsWith(key + " ", StringComparison.Ordinal));
        }
        Assert.Single(unused, u => u.StartsWith("mysql.pwd ", StringComparison.Ordinal));
        Assert.DoesNotContain(unused, u => u.Contains("value-", StringComparison.Ordinal) || u.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact(DisplayName = "Every Go key of the map is covered: either a test shows where it is read, or it is reported as not read yet")]
    public void Every_mapped_key_is_covered()
    {
        var covered = ReadKeys.Select(row => (string)row[0]).Concat(NotReadYet).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(GoTomlConfigurationSource.KeyMap.Keys, k => !covered.Contains(k));
    }

    [Fact(DisplayName = "Options paths: a key binds only when every segment is a property (the old Delivery:MaxRetryCount did not)")]
    public void Options_paths()
    {
        var root = typeof(MsgMate.Actors.Common.MsgMateOptions);
        Assert.True(OptionsPaths.Binds(root, "MsgMate", "MsgMate:Delivery:Retry:MaxRetryCount"));
        Assert.True(OptionsPaths.Binds(root, "MsgMate", "msgmate:email:host"));
        Assert.False(OptionsPaths.Binds(root, "MsgMate", "MsgMate:Delivery:MaxRetryCount"));
        Assert.False(OptionsPaths.Binds(root, "MsgMate", "Other:Port"));
    }

    /// <summary>A Go-style file: dotted keys become their tables, leaf keys go under [common] as the Go project writes them.</summary>
    private static string TomlFor(string goKey, string value)
    {
        var dot = goKey.LastIndexOf('.');
        return dot < 0 ? $"[common]\n{goKey} = {value}\n" : $"[{goKey[..dot]}]\n{goKey[(dot + 1)..]} = {value}\n";
    }
}
