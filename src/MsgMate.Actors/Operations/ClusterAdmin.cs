using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Operations;

/// <summary>
/// One member as the operator sees it: where, in which state, with which roles, how old — <see cref="Age"/> 1 is the
/// oldest member (Akka's up-number order: the oldest hosts the singletons), 0 for one not yet Up.
/// </summary>
public sealed record MemberView(
    string Address, string Status, IReadOnlyList<string> Roles, int Age, bool IsLeader, bool IsOldest, bool IsUnreachable, bool IsSelf);

/// <summary>This node's view of the cluster (gossip converges: another node may briefly see it otherwise).</summary>
public sealed record ClusterView(string Self, string? Leader, IReadOnlyList<MemberView> Members, IReadOnlyList<string> Unreachable);

/// <summary>Shards and entities of one region type on one node.</summary>
public sealed record RegionStatsView(string Address, int Shards, int Entities, IReadOnlyDictionary<string, int> EntitiesPerShard, IReadOnlyList<string> FailedShards);

/// <summary>
/// The operator's way into the cluster for the admin API: the membership as this node sees it, leave and down by
/// address, and the shard regions' statistics. Asks only (never blocks an actor thread); an address or a type that
/// is not in the cluster is a <see cref="Rejection"/> with <see cref="ResultCode.MemberNotFound"/>, a malformed one
/// <see cref="ResultCode.InvalidArgument"/>.
/// </summary>
public sealed class ClusterAdmin(ActorSystem system)
{
    /// <summary>The longest accepted address text (akka.tcp://system@host:port).</summary>
    public const int MaxAddressLength = 300;

    private Cluster Cluster => Cluster.Get(system);

    public ClusterView View()
    {
        var cluster = Cluster;
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        // Age as Akka orders it (the up-number is internal): members that have been Up, oldest first.
        var byAge = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting)
            .Order(Comparer<Member>.Create((a, b) => a.IsOlderThan(b) ? -1 : b.IsOlderThan(a) ? 1 : 0))
            .Select((m, i) => (m.Address, Age: i + 1))
            .ToDictionary(m => m.Address, m => m.Age);
        var members = state.Members
            .Select(m => new MemberView(
                m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order(StringComparer.Ordinal)], byAge.GetValueOrDefault(m.Address),
                m.Address.Equals(state.Leader), byAge.GetValueOrDefault(m.Address) == 1, unreachable.Contains(m.Address), m.Address.Equals(cluster.SelfAddress)))
            .ToList();
        return new ClusterView(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, [.. unreachable.Select(a => a.ToString())]);
    }

    /// <summary>Asks the member to leave gracefully (it hands its shards and singletons over, then exits).</summary>
    public Rejection? Leave(string? address) => WithMember(address, Cluster.Leave);

    /// <summary>Marks the member down: the cluster stops waiting for it (for a node that is gone for good).</summary>
    public Rejection? Down(string? address) => WithMember(address, Cluster.Down);

    /// <summary>Downs every member this node sees as unreachable; answers their addresses (none: nothing to do).</summary>
    public IReadOnlyList<string> DownUnreachable()
    {
        var cluster = Cluster;
        var downed = cluster.State.Unreachable.Select(m => m.Address).ToList();
        foreach (var address in downed)
        {
            cluster.Down(address);
        }
        return [.. downed.Select(a => a.ToString())];
    }

    /// <summary>The entity types this node runs shard regions for.</summary>
    public IReadOnlyList<string> RegionTypes() => [.. ClusterSharding.Get(system).ShardTypeNames.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Shards and entities of <paramref name="typeName"/> per node, from every region of the cluster. Null stats and
    /// no rejection: not every region answered within <paramref name="timeout"/> (the reply is then empty; retry).
    /// </summary>
    public async Task<(IReadOnlyList<RegionStatsView>? Stats, Rejection? Problem)> ShardingStatsAsync(
        string? typeName, TimeSpan timeout, CancellationToken ct)
    {
        var sharding = ClusterSharding.Get(system);
        if (string.IsNullOrWhiteSpace(typeName))
        {
            return (null, Rejection.Invalid($"type is required: one of {string.Join(", ", RegionTypes())}"));
        }
        if (!sharding.ShardTypeNames.Contains(typeName))
        {
            return (null, new Rejection(ResultCode.MemberNotFound,
                $"no shard region of type '{InputText.Quote(typeName)}'; the types are {string.Join(", ", RegionTypes())}"));
        }
        // The region waits up to the timeout for every region's answer; the ask waits a little longer for that reply.
        var reply = await sharding.ShardRegion(typeName).Ask<ClusterShardingStats>(
            new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(2), ct);
        if (reply.Regions.Count == 0)
        {
            return (null, null);
        }
        return ([.. reply.Regions
            .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .Select(r => new RegionStatsView(
                r.Key.ToString(), r.Value.Stats.Count, r.Value.Stats.Values.Sum(),
                r.Value.Stats.ToDictionary(s => s.Key, s => s.Value),
                [.. r.Value.Failed.Order(StringComparer.Ordinal)]))], null);
    }

    private Rejection? WithMember(string? text, Action<Address> act)
    {
        var (address, problem) = Parse(text);
        if (address is null)
        {
            return problem;
        }
        if (!Cluster.State.Members.Any(m => m.Address.Equals(address)))
        {
            return new Rejection(ResultCode.MemberNotFound,
                $"{address} is not a member of this cluster; `cluster show` lists the members' addresses");
        }
        act(address);
        return null;
    }

    /// <summary>An address as <c>cluster show</c> prints it: <c>akka.tcp://system@host:port</c>.</summary>
    public static (Address? Address, Rejection? Problem) Parse(string? text)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return (null, Rejection.Invalid("address is required, e.g. akka.tcp://msgmate@10.0.0.5:4053"));
        }
        if (trimmed.Length > MaxAddressLength)
        {
            return (null, Rejection.Invalid($"address must be at most {MaxAddressLength} characters"));
        }
        if (!Address.TryParse(trimmed, out var address) || address.Host is null || address.Port is null)
        {
            return (null, Rejection.Invalid($"'{InputText.Quote(trimmed)}' is not a member address: akka.tcp://system@host:port"));
        }
        return (address, null);
    }
}
