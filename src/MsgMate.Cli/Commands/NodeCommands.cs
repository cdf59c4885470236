using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MsgMate.Cli.Commands;

/// <summary><c>node health</c>: the node's probes, <c>/healthz</c> (alive) and <c>/readyz</c> (should get traffic).</summary>
public static class NodeCommands
{
    public static Command Build(MsgMateCli cli)
    {
        var node = new Command("node", "The node itself");
        var health = new Command("health", "Alive (/healthz) and ready (/readyz: member Up, stores and queue reachable, not leaving), with each check; exit 1 when not ready");
        cli.Action(health, async (_, s, ct) =>
        {
            var (aliveStatus, aliveBody) = await s.Client.ProbeAsync("/healthz", ct);
            var (readyStatus, readyBody) = await s.Client.ProbeAsync("/readyz", ct);
            JsonNode? ready;
            try
            {
                ready = JsonNode.Parse(readyBody);
            }
            catch (JsonException)
            {
                throw new CliFailure(ExitCodes.Refused, $"/readyz answered HTTP {readyStatus} without its JSON report");
            }
            var isReady = readyStatus == 200;
            var report = new JsonObject
            {
                ["alive"] = aliveStatus == 200,
                ["ready"] = isReady,
                ["readyz"] = ready,
            };
            var answer = JsonSerializer.SerializeToElement(report);
            s.Print(answer, () =>
            {
                s.Line($"alive: {(aliveStatus == 200 ? "yes" : $"no (HTTP {aliveStatus}: {aliveBody.Trim()})")}");
                s.Line($"ready: {(isReady ? "yes" : $"no (HTTP {readyStatus})")} — {ready?["status"]}");
                var checks = ready?["checks"] as JsonObject ?? new JsonObject();
                s.Table(["CHECK", "STATUS", "DETAIL"], checks.Select(c => Wire.Row(c.Key, c.Value?["status"]?.ToString() ?? "", c.Value?["detail"]?.ToString() ?? "")));
            });
            if (!isReady)
            {
                await s.Out.FlushAsync(ct);
                throw new CliFailure(ExitCodes.Refused, $"not ready: /readyz answered HTTP {readyStatus} ({ready?["status"]})");
            }
            return ExitCodes.Ok;
        });
        node.Subcommands.Add(health);
        return node;
    }
}
