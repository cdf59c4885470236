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
        Assert.Equal("6", configuration["MsgMate:Delivery:MaxRetryCount"]);
        Assert.Equal(4100, options.Cluster.Port);
        Assert.Equal("from-env", options.Cluster.SystemName);
    }

    [Fact(DisplayName = "A missing TOML file is no error: the node runs on its other sources")]
    public void Missing_toml()
    {
        var configuration = new ConfigurationBuilder().Add(new GoTomlConfigurationSource(_toml + ".absent")).Build();
        Assert.Equal(8109, MsgMateNode.ReadOptions(configuration).Port);
    }
}
