using System.Globalization;
using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 7: scale-out and failover. The same end-to-end load (N messages in requests of 1,000 webhook recipients)
/// first against one node, then against three nodes of one cluster (one PostgreSQL database, one consumer group on
/// the same Kafka mock, the submitters spread over the nodes); the ratio of the two rates is the scale-out factor
/// on this machine. Then, on the three nodes, N/2 more messages with one node killed (kill -9) a third of the way
/// through: how long until every accepted message is final, and how many reached the sink twice.
/// </summary>
public static class ClusterPhase
{
    private const string Phase = "7 cluster";

    public static async Task RunAsync(BenchOptions options, KafkaMockCluster kafka, HttpSink sink, string workDir, Report report)
    {
        if (options.Db != "postgresql")
        {
            report.Add(Phase, "skipped", "the nodes of a cluster share a server database: run with --db postgresql");
            Console.WriteLine("  skipped: the cluster phase needs --db postgresql");
            return;
        }
        var n = options.Messages;

        double single;
        await using (var one = await BenchNode.StartAsync("c1", options, kafka, workDir, n))
        {
            BenchRun.Current = one;
            single = await DeliverAsync([one], sink, "c1", n, options, report, "one node");
            BenchRun.Current = null;
        }

        var nodes = await BenchNode.StartClusterAsync("c3", 3, options, kafka, workDir, n + n / 2);
        try
        {
            await WaitReadyAsync(nodes);
            var three = await DeliverAsync(nodes, sink, "c3", n, options, report, "three nodes");
            report.Add(Phase, "scale-out factor (three nodes / one node, end-to-end)",
                FormattableString.Invariant($"{three / single:0.00} ({three:N0} / {single:N0} msgs/s) on {Environment.ProcessorCount} cores shared by all nodes"));
            await FailoverAsync(nodes, sink, n / 2, options, report);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Submits <paramref name="n"/> messages over the nodes and waits until the cluster counts them all final.</summary>
    private static async Task<double> DeliverAsync(
        IReadOnlyList<BenchNode> nodes, HttpSink sink, string tag, int n, BenchOptions options, Report report, string what)
    {
        var apis = nodes.Select(x => x.Api).ToList();
        var outcome = await Bulk.SubmitAsync(apis, sink, tag, n, options.Batch, options.E2ePriority, options.Submitters * nodes.Count, $"bench-{tag}");
        if (outcome.Messages == 0)
        {
            report.Add(Phase, $"{what}: submit", $"nothing accepted: {outcome.FirstError}");
            return double.NaN;
        }
        var done = await WaitFinalAsync(apis, outcome.Messages, options.Timeout.TotalSeconds);
        var rate = done.Final / (done.At - outcome.FirstAccept);
        report.Add(Phase, $"{what}: delivered end-to-end (first accept → last final)",
            FormattableString.Invariant($"{rate:N0} msgs/s ({done.Final:N0} of {outcome.Messages:N0} final in {done.At - outcome.FirstAccept:0.0} s; {sink[tag].Duplicates} duplicates at the sink)"));
        return rate;
    }

    private static async Task FailoverAsync(IReadOnlyList<BenchNode> nodes, HttpSink sink, int m, BenchOptions options, Report report)
    {
        const string tag = "cf";
        var victim = nodes[^1];
        var killAt = double.NaN;
        var killedAfter = 0;
        // The cluster's record store already holds the scale-out run's messages: count this run's from what is final now.
        var before = (await WaitFinalAsync(nodes.Select(x => x.Api).ToList(), 0, options.Timeout.TotalSeconds)).Final;
        var outcome = await Bulk.SubmitAsync(nodes.Select(x => x.Api).ToList(), sink, tag, m, options.Batch, options.E2ePriority,
            options.Submitters * nodes.Count, "bench-failover", onAccepted: accepted =>
            {
                if (accepted >= m / 3 && Interlocked.CompareExchange(ref killedAfter, accepted, 0) == 0)
                {
                    victim.Kill();
                    killAt = BenchClock.Now;
                }
            });
        if (double.IsNaN(killAt))
        {
            report.Add(Phase, "failover", $"no node was killed ({outcome.Messages:N0} accepted; first error {outcome.FirstError})");
            return;
        }
        var survivors = nodes.Take(nodes.Count - 1).Select(x => x.Api).ToList();
        var all = await WaitFinalAsync(survivors, before + outcome.Messages, options.Timeout.TotalSeconds);
        var done = (Final: all.Final - before, all.At);
        var arrivals = sink[tag].ArrivalTimes();
        var resumed = arrivals.Where(a => a > killAt + 1).DefaultIfEmpty(double.NaN).Min();
        report.Add(Phase, "failover: kill -9 of one of three nodes during a bulk send",
            FormattableString.Invariant($"killed after {killedAfter:N0} of {m:N0} accepted; {outcome.Messages:N0} accepted in all, {outcome.Failed} requests refused"));
        report.Add(Phase, "failover: kill → every accepted message final",
            FormattableString.Invariant($"{done.At - killAt:0.0} s ({done.Final:N0} of {outcome.Messages:N0} final{(done.Final < outcome.Messages ? ", INCOMPLETE" : "")}; the last submit answered {outcome.LastAccept - killAt:0.0} s after the kill)"));
        report.Add(Phase, "failover: duplicates at the sink / never arrived",
            $"{sink[tag].Duplicates:N0} / {outcome.Messages - arrivals.Length:N0}");
        Console.WriteLine(FormattableString.Invariant(
            $"  failover: deliveries after the kill seen from +{resumed - killAt:0.0} s; all final +{done.At - killAt:0.0} s"));
    }

    private static async Task WaitReadyAsync(IReadOnlyList<BenchNode> nodes)
    {
        var deadline = BenchClock.Now + 120;
        foreach (var node in nodes)
        {
            while (!await node.Api.IsReadyAsync())
            {
                if (BenchClock.Now > deadline)
                {
                    throw new TimeoutException($"node {node.Name} did not become ready (/readyz) within 120 s:\n{node.LogTail(20)}");
                }
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Polls the shared record store through the first node that answers until <paramref name="accepted"/> are final.</summary>
    private static async Task<(long Final, double At)> WaitFinalAsync(IReadOnlyList<NodeApi> apis, long accepted, double timeoutSeconds)
    {
        var deadline = BenchClock.Now + timeoutSeconds;
        long final = 0;
        while (BenchClock.Now < deadline)
        {
            foreach (var api in apis)
            {
                try
                {
                    final = await api.CountRecordsAsync("status=2") + await api.CountRecordsAsync("status=3");
                    break;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
            }
            if (final >= accepted)
            {
                return (final, BenchClock.Now);
            }
            await Task.Delay(accepted - final < 2000 ? 100 : 500);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  TIMEOUT at {final:N0} of {accepted:N0} final"));
        return (final, BenchClock.Now);
    }
}
