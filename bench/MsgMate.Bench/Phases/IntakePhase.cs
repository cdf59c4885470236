using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 2: send_msg requests per second and their latency with N concurrent clients, each request one webhook
/// recipient with inline content, over a fixed window after a warm-up. The node delivers meanwhile, as it would in
/// production; what it delivered during the window is printed too.
/// </summary>
public static class IntakePhase
{
    public static async Task RunAsync(BenchOptions options, KafkaMockCluster kafka, HttpSink sink, string workDir, Report report)
    {
        const string phase = "2 intake";
        const string tag = "in";
        // Sized for up to 5,000 accepted requests a second (the lane topic must hold them; see PartitionsFor).
        var expected = (int)(5000 * (options.IntakeWarmup + options.IntakeDuration).TotalSeconds);
        await using var node = await BenchNode.StartAsync("intake", options, kafka, workDir, expected);
        BenchRun.Current = node;
        var resources = new PhaseResources(node.Pid);
        await using var sampler = new Sampler(node.Pid, () => BenchClock.Now, node.Probe);

        var sinkAtStart = 0;
        var load = await IntakeLoad.RunAsync(options, node.Api, (c, seq) =>
            $"{{\"to\":\"{sink.UrlFor(tag, $"{c}-{seq}")}\",\"channels\":[6],\"content\":\"x\",\"priority\":{options.IntakePriority}}}",
            onWindowStart: () => sinkAtStart = sink[tag].Count);
        var sinkAtEnd = sink[tag].Count;
        var (windowStart, windowEnd, all, errors, warmupRequests, firstError) = load;

        var seconds = options.IntakeDuration.TotalSeconds;
        Console.WriteLine($"  {options.Clients} clients, {options.IntakeWarmup.TotalSeconds:0} s warm-up ({warmupRequests:N0} requests), " +
            $"{seconds:0} s measured, priority {options.IntakePriority}, 1 webhook recipient per request");
        report.Add(phase, $"send_msg requests/s ({options.Clients} clients)", all.Count / seconds, "req/s");
        if (Ceilings.BareRequestsPerSecond is { } bare)
        {
            report.Add(phase, "ratio to the bare Kestrel ceiling (same request, same clients)", $"{all.Count / seconds / bare:P1}");
        }
        if (Ceilings.FsyncsPerSecond is { } fsyncs)
        {
            report.Add(phase, "accepted requests per fsync of the disk (group commit: > 1 means shared commits)", $"{all.Count / seconds / fsyncs:0.00}");
        }
        report.Add(phase, "send_msg latency", Percentile.Summary(all));
        var store = options.StoreLabel;
        if (Ceilings.BareRequestsPerSecond is { } ceiling)
        {
            var share = options.Db == "postgresql" && !options.SqlQueue ? 0.5 : 0.4;
            var ratio = all.Count / seconds / ceiling;
            report.AtLeast($"intake ≥ {share:P0} of bare Kestrel ({store})", ratio, share, FormattableString.Invariant($"{ratio:P1}"));
        }
        var p99 = Percentile.P99Ms(all);
        report.AtMost($"intake p99 ≤ 50 ms, {options.Clients} clients ({store})", p99, 50, FormattableString.Invariant($"{p99:0} ms"));
        Console.WriteLine($"  latency histogram (ms: requests): {Percentile.Histogram(all)}");
        report.Add(phase, "errors in the window", errors + (firstError is null ? "" : $" (first: {firstError})"));
        report.Add(phase, "delivered meanwhile (sink, same window)", (sinkAtEnd - sinkAtStart) / seconds, "msgs/s");
        Timeline(sampler, sink[tag], windowStart - options.IntakeWarmup.TotalSeconds, windowEnd);
        resources.Report(report, phase, sampler);
        foreach (var (line, count) in node.LoggedProblems())
        {
            Console.WriteLine($"  node log x{count}: {line}");
        }
        BenchRun.Current = null;
    }

    private static void Timeline(Sampler sampler, HttpSink.Tag tag, double from, double to)
    {
        var arrivals = tag.ArrivalTimes();
        var rows = new List<string[]>();
        for (var t = from; t < to; t += 3)
        {
            var samples = sampler.Samples.Where(s => s.At > t && s.At <= t + 3).ToList();
            rows.Add([
                $"{t - from:0}-{t - from + 3:0}",
                $"{arrivals.Count(a => a >= t && a < t + 3) / 3.0:N0}",
                samples.Count == 0 ? "" : $"{samples.Average(s => s.NodeCpuPct):0}%",
                samples.Count == 0 ? "" : $"{samples.Average(s => s.HarnessCpuPct):0}%",
                samples.Count == 0 ? "" : $"{samples.Average(s => s.OtherCpuPct):0}%",
                samples.Count == 0 || samples[^1].Unqueued < 0 ? "" : $"{samples[^1].Unqueued:N0}",
                samples.Count == 0 || samples[^1].Open < 0 ? "" : $"{samples[^1].Open:N0}",
            ]);
        }
        Report.Timeline("timeline (s since start: delivered/s; CPU of node, harness, other processes in % of one core; " +
            "at the bucket's end: stored but not yet published to Kafka (outbox), not final (open)):",
            rows, "s", "delivered/s", "node", "harness", "other", "outbox", "open");
    }
}
