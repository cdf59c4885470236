using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace MsgMate.Actors.Queue.Sql;

/// <summary>
/// Who holds a SQL-queue lease. A claim token starts with its claimant: 8 hex digits naming the member's
/// <c>host:port</c>, 8 naming its incarnation (uid), then <c>/</c> — 17 characters, so that the token with its 16
/// random hex digits fits the column's 36 (a 32-bit hash: two live members colliding is a one-in-four-billion chance). So that leases of a dead claimant can be given back at once instead of running out:
/// by the node itself when it starts again on the same address (every earlier incarnation of <c>host:port</c>), and by
/// the survivors when the cluster removes a member (that incarnation only).
/// </summary>
public static class LeaseOwners
{
    /// <summary>The token prefix of one incarnation of a member.</summary>
    public static string Of(UniqueAddress member) => $"{Node(member.Address)}{Hash(member.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture))}/";

    /// <summary>The token prefix shared by every incarnation of a member's address.</summary>
    public static string Node(Address address) => Hash($"{address.Host}:{address.Port}");

    /// <summary>A claim token: the claimant, then 16 random hex digits.</summary>
    public static string NewToken(string claimant) => claimant + Guid.NewGuid().ToString("N")[..16];

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 4));

}

/// <summary>Which leases a release gives back: those whose claim token starts with <see cref="Prefix"/> and not with <see cref="Except"/>.</summary>
public sealed record LeaseRelease(string Prefix, string? Except)
{
    /// <summary>At a node's start: every earlier incarnation of its address, never its own.</summary>
    public static LeaseRelease EarlierIncarnationsOf(UniqueAddress self) => new(LeaseOwners.Node(self.Address), LeaseOwners.Of(self));

    /// <summary>A member the cluster removed: that incarnation's leases.</summary>
    public static LeaseRelease OfMember(UniqueAddress member) => new(LeaseOwners.Of(member), null);

    /// <summary>Whether the release covers this token (as <see cref="Delivery.RecordStore.ReleaseLeasesAsync"/> decides in SQL).</summary>
    public bool Covers(string claimToken) =>
        claimToken.StartsWith(Prefix, StringComparison.Ordinal) && (Except is null || !claimToken.StartsWith(Except, StringComparison.Ordinal));
}

/// <summary>
/// Gives back the SQL-queue leases of claimants known dead: at start those of this node's earlier incarnations, then those
/// of every member the cluster removes (downed or left). Their records are claimable at once, not after the lease.
/// </summary>
public sealed class LeaseReleaser : ReceiveActor
{
    private sealed record Released(string Whose, int Count);

    public LeaseReleaser(Delivery.RecordStore records)
    {
        var cluster = Cluster.Get(Context.System);
        var self = cluster.SelfUniqueAddress;
        var log = Context.GetLogger();

        void Release(LeaseRelease release, string whose) =>
            records.ReleaseLeasesAsync(release)
                .PipeTo(Self, success: count => new Released(whose, count), failure: ex => new Status.Failure(ex));

        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (!removed.Member.UniqueAddress.Equals(self))
            {
                Release(LeaseRelease.OfMember(removed.Member.UniqueAddress), $"removed member {removed.Member.Address}");
            }
        });
        Receive<Released>(r =>
        {
            if (r.Count > 0)
            {
                log.Info("Released {0} SQL-queue lease(s) of {1}: their records are claimable now", r.Count, r.Whose);
            }
        });
        Receive<Status.Failure>(f => log.Warning("Releasing SQL-queue leases failed ({0}); they run out on their own", f.Cause.GetType().Name));

        Release(LeaseRelease.EarlierIncarnationsOf(self), "this node's earlier incarnations");
        cluster.Subscribe(Self, ClusterEvent.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    public static Props PropsFor(Delivery.RecordStore records) => Props.Create(() => new LeaseReleaser(records));
}
