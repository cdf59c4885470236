using System.CommandLine;

namespace MsgMate.Cli.Commands;

/// <summary><c>cluster …</c>: Petabridge.Cmd's cluster and sharding verbs, over <c>/admin/cluster</c> and <c>/admin/sharding</c>.</summary>
public static class ClusterCommands
{
    public static Command Build(MsgMateCli cli)
    {
        var cluster = new Command("cluster", "The cluster's members, leader, leave and down, and its shard regions");

        var show = new Command("show", "Every member as the node sees it: address, status, roles, age (1: the oldest), leader, oldest, reachability");
        cli.Action(show, async (_, s, ct) =>
        {
            var answer = await s.Client.GetAsync("/admin/cluster", ct);
            s.Print(answer, () => s.Table(
                ["ADDRESS", "STATUS", "ROLES", "AGE", "LEADER", "OLDEST", "UNREACHABLE", "SELF"],
                answer.Items("members").Select(m => Wire.Row(
                    m.Str("address"), m.Str("status"), m.List("roles"), m.Int("age").ToString(),
                    Wire.YesNo(m.Flag("leader")), Wire.YesNo(m.Flag("oldest")), Wire.YesNo(m.Flag("unreachable")), Wire.YesNo(m.Flag("self"))))));
            return ExitCodes.Ok;
        });

        var leader = new Command("leader", "The leader's address");
        cli.Action(leader, async (_, s, ct) =>
        {
            var answer = await s.Client.GetAsync("/admin/cluster", ct);
            var address = answer.Str("leader");
            s.Print(answer, () => s.Line(address.Length > 0 ? address : "(no leader: the cluster has not converged)"));
            return ExitCodes.Ok;
        });

        var leave = AddressVerb(cli, "leave", "/admin/cluster/leave",
            "Ask a member to leave gracefully (it stops intake, drains, hands its shards over and exits)",
            a => $"{a} is leaving: it hands its shards and singletons over, then exits (watch with `cluster show`)");
        var down = AddressVerb(cli, "down", "/admin/cluster/down",
            "Mark a member down: for a node that is gone for good (its shards move to the others)",
            a => $"{a} is marked down");

        var downUnreachable = new Command("down-unreachable", "Mark every unreachable member down");
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list the members that would be downed" };
        downUnreachable.Options.Add(dryRun);
        cli.Action(downUnreachable, async (parsed, s, ct) =>
        {
            var dry = parsed.GetValue(dryRun);
            var answer = await s.Client.PostAsync("/admin/cluster/down-unreachable", new { dry_run = dry }, ct);
            var downed = answer.Items("addresses").Select(a => a.ToString()).ToList();
            s.Print(answer, () =>
            {
                if (downed.Count == 0)
                {
                    s.Line("no member is unreachable: nothing to down");
                }
                foreach (var address in downed)
                {
                    s.Line(dry ? $"{address} is unreachable (would be marked down)" : $"{address} is marked down");
                }
            });
            return ExitCodes.Ok;
        });

        cluster.Subcommands.Add(show);
        cluster.Subcommands.Add(leader);
        cluster.Subcommands.Add(leave);
        cluster.Subcommands.Add(down);
        cluster.Subcommands.Add(downUnreachable);
        cluster.Subcommands.Add(Sharding(cli));
        return cluster;
    }

    private static Command AddressVerb(MsgMateCli cli, string name, string route, string description, Func<string, string> done)
    {
        var verb = new Command(name, description);
        var address = new Argument<string>("ADDR") { Description = "The member's address as `cluster show` lists it: akka.tcp://msgmate@host:port" };
        verb.Arguments.Add(address);
        cli.Action(verb, async (parsed, s, ct) =>
        {
            var addr = parsed.GetValue(address)!;
            var answer = await s.Client.PostAsync(route, new { address = addr }, ct);
            s.Print(answer, () => s.Line(done(addr)));
            return ExitCodes.Ok;
        });
        return verb;
    }

    private static Command Sharding(MsgMateCli cli)
    {
        var sharding = new Command("sharding", "Shard regions and their shards and entities per node");

        var regions = new Command("regions", "The entity types with shard regions");
        cli.Action(regions, async (_, s, ct) =>
        {
            var answer = await s.Client.GetAsync("/admin/sharding/regions", ct);
            s.Print(answer, () => s.Table(["TYPE"], answer.Items("regions").Select(r => Wire.Row(r.ToString()))));
            return ExitCodes.Ok;
        });

        var stats = new Command("stats", "Shards and entities of one entity type on each node");
        var type = new Argument<string>("TYPE") { Description = "The entity type, as `cluster sharding regions` lists it (user, template, schedule)" };
        stats.Arguments.Add(type);
        cli.Action(stats, async (parsed, s, ct) =>
        {
            var answer = await s.Client.GetAsync($"/admin/sharding/stats?type={Uri.EscapeDataString(parsed.GetValue(type)!)}", ct);
            s.Print(answer, () => s.Table(
                ["NODE", "SHARDS", "ENTITIES", "FAILED SHARDS"],
                answer.Items("nodes")
                    .Select(n => Wire.Row(n.Str("address"), n.Int("shards").ToString(), n.Int("entities").ToString(), n.List("failed_shards")))
                    .Append(Wire.Row("total", answer.Int("shards").ToString(), answer.Int("entities").ToString(), ""))));
            return ExitCodes.Ok;
        });

        sharding.Subcommands.Add(regions);
        sharding.Subcommands.Add(stats);
        return sharding;
    }
}
