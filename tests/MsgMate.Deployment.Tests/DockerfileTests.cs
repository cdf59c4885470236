using MsgMate.Actors.Common;
using MsgMate.Deployment.Tests.Infrastructure;

namespace MsgMate.Deployment.Tests;

/// <summary>The Dockerfile, read instruction by instruction (no Docker engine here to build it).</summary>
public sealed class DockerfileTests
{
    /// <summary>Instructions with their arguments; continuation lines joined, comments dropped.</summary>
    private static List<(string Instruction, string Arguments)> Instructions()
    {
        var result = new List<(string, string)>();
        var pending = "";
        foreach (var raw in Repo.Read("Dockerfile").Split('\n'))
        {
            var line = raw.TrimEnd();
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var full = (pending + line).Trim();
            pending = "";
            var space = full.IndexOf(' ');
            result.Add((full[..space].ToUpperInvariant(), full[(space + 1)..].Trim()));
        }
        return result;
    }

    /// <summary>The instructions of the last stage (from its FROM on).</summary>
    private static List<(string Instruction, string Arguments)> FinalStage()
    {
        var all = Instructions();
        return all[all.FindLastIndex(i => i.Instruction == "FROM")..];
    }

    [Fact(DisplayName = "Dockerfile: multi-stage, the SDK builds and the ASP.NET runtime image runs")]
    public void Multi_stage_build()
    {
        var froms = Instructions().Where(i => i.Instruction == "FROM").Select(i => i.Arguments).ToList();
        Assert.True(froms.Count >= 2, "one stage only");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", froms[^1], StringComparison.Ordinal);
        var final = FinalStage();
        Assert.Contains(final, i => i.Instruction == "COPY" && i.Arguments.StartsWith("--from=build ", StringComparison.Ordinal));
        Assert.Contains(final, i => i.Instruction == "ENTRYPOINT" && i.Arguments.Contains("MsgMate.Node.dll", StringComparison.Ordinal));
    }

    [Fact(DisplayName = "Dockerfile: the node runs as a non-root USER and has a HEALTHCHECK on /healthz")]
    public void Non_root_with_health_check()
    {
        var final = FinalStage();
        var users = final.Where(i => i.Instruction == "USER").Select(i => i.Arguments).ToList();
        Assert.NotEmpty(users);
        Assert.DoesNotContain(users[^1], new[] { "root", "0", "0:0", "root:root" });
        // USER comes before the ENTRYPOINT it applies to.
        Assert.True(final.FindLastIndex(i => i.Instruction == "USER") < final.FindIndex(i => i.Instruction == "ENTRYPOINT"));
        var check = final.Single(i => i.Instruction == "HEALTHCHECK").Arguments;
        Assert.Contains("/healthz", check, StringComparison.Ordinal);
        Assert.Contains("CMD", check, StringComparison.Ordinal);
        // The check reaches the port the node listens on.
        Assert.Contains("${MsgMate__Port:-8109}", check, StringComparison.Ordinal);
    }

    [Fact(DisplayName = "Dockerfile: exposes the node's HTTP and remoting ports, and its ENV names are settings the node binds")]
    public void Exposes_the_node_ports()
    {
        var final = FinalStage();
        var env = final.Where(i => i.Instruction == "ENV").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => (string?)a[1]);
        var options = OptionKeys.BindAll(env, "Dockerfile");
        var exposed = final.Where(i => i.Instruction == "EXPOSE").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains(options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), exposed);
        Assert.Contains(options.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), exposed);
        Assert.Equal(new MsgMateOptions().Port, options.Port);
        Assert.Equal("0.0.0.0", options.Cluster.Hostname);
    }
}
