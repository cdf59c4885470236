using System.Diagnostics;
using System.Text.RegularExpressions;
using MsgMate.Deployment.Tests.Infrastructure;

namespace MsgMate.Deployment.Tests;

/// <summary>
/// scripts/cluster.sh without starting a cluster (that is a build and N node processes; docs/operations.md shows a
/// run): it parses, documents itself, names settings the node binds, and refuses several nodes on SQLite.
/// </summary>
public sealed partial class ClusterScriptTests : IDisposable
{
    private const string Script = "scripts/cluster.sh";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"msgmate-cluster-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private (int ExitCode, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Repo.PathOf(Script), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MSGMATE_CLUSTER_DIR"] = _dir;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), $"{Script} {string.Join(' ', args)} did not finish");
        return (process.ExitCode, stdout + stderr.Result);
    }

    [Fact(DisplayName = "cluster.sh parses (bash -n) and --help lists up, status and down")]
    public void Parses_and_documents_itself()
    {
        using (var check = Process.Start(new ProcessStartInfo("bash", ["-n", Repo.PathOf(Script)]) { RedirectStandardError = true })!)
        {
            var errors = check.StandardError.ReadToEnd();
            check.WaitForExit();
            Assert.True(check.ExitCode == 0, errors);
        }
        var (code, output) = Run("--help");
        Assert.Equal(0, code);
        foreach (var verb in new[] { "up [N] [--postgres]", "status", "down" })
        {
            Assert.Contains($"scripts/cluster.sh {verb}", output, StringComparison.Ordinal);
        }
        Assert.Equal(2, Run("no-such-verb").ExitCode);
    }

    [Fact(DisplayName = "cluster.sh up N>1 without --postgres refuses before building anything: nodes on SQLite would not share a database")]
    public void Several_nodes_need_postgres()
    {
        var (code, output) = Run("up", "3");
        Assert.Equal(1, code);
        Assert.Contains("need one shared database: add --postgres", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir), "nothing was to be created");
        Assert.Contains($"no cluster in {_dir}", Run("status").Output, StringComparison.Ordinal);
    }

    [Fact(DisplayName = "Every MsgMate__ variable cluster.sh gives a node is a setting the node binds")]
    public void Script_variables_bind()
    {
        var script = Repo.Read(Script);
        // "MsgMate__Name=value" in the node's settings; $s is the seed's index.
        var variables = Setting().Matches(script).Select(m => m.Groups[1].Value.Replace("$s", "0", StringComparison.Ordinal)).Distinct().ToList();
        Assert.Contains("MsgMate__Cluster__SeedNodes__0", variables);
        Assert.Contains("MsgMate__Cluster__Port", variables);
        Assert.Contains("MsgMate__Storage__ConnectionString", variables);
        foreach (var variable in variables)
        {
            OptionKeys.TargetType(variable, Script);
        }
        OptionKeys.BindAll(variables.ToDictionary(v => v, _ => (string?)null), Script);
    }

    [GeneratedRegex(@"""(MsgMate__[A-Za-z0-9_$]+)=")]
    private static partial Regex Setting();
}
