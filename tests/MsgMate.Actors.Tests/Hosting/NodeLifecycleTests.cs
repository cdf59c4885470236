using MsgMate.Actors.Hosting;
using MsgMate.Actors.Tests.Schedules;

namespace MsgMate.Actors.Tests.Hosting;

public sealed class NodeLifecycleTests
{
    [Fact(DisplayName = "A node serves until marked leaving; the first mark keeps its time and reason")]
    public void First_mark_wins()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));
        var node = new NodeLifecycle(clock);
        Assert.False(node.IsLeaving);
        Assert.Null(node.LeavingSince);

        node.MarkLeaving("ClrExitReason");
        clock.Advance(TimeSpan.FromSeconds(3));
        node.MarkLeaving("ClusterLeavingReason");

        Assert.True(node.IsLeaving);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero), node.LeavingSince);
        Assert.Equal("ClrExitReason", node.Reason);
    }

    [Theory(DisplayName = "While leaving, probes, metrics, the admin cluster view and the queue's lanes answer; intake and everything else is refused")]
    [InlineData("/healthz", true)]
    [InlineData("/readyz", true)]
    [InlineData("/metrics", true)]
    [InlineData("/admin/cluster", true)]
    [InlineData("/admin/cluster/leave", true)]
    [InlineData("/ADMIN/Sharding/stats", true)]
    [InlineData("/admin/queue", true)]
    [InlineData("/admin/dead-letters", false)]
    [InlineData("/admin/dead-letters/redrive", false)]
    [InlineData("/msg/send_msg", false)]
    [InlineData("/scheduled/create", false)]
    [InlineData("/admin/keys", false)]
    [InlineData("/admin/clusterx", false)]
    [InlineData("/healthz/x", false)]
    [InlineData("/", false)]
    public void Served_while_leaving(string path, bool served) => Assert.Equal(served, NodeLifecycle.ServesWhileLeaving(path));
}
