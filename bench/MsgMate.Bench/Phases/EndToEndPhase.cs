using System.Globalization;
using System.Text.Json;
using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 3: delivered messages per second over N messages sent in requests of 1,000 webhook recipients, from the
/// first accepted request to the last final record (the node's own count of sent + failed records, polled through
/// GET /msg/list_msg_records), and how that compares with the raw Kafka rate of phase 1.
/// </summary>
public static class EndToEndPhase
{
    public static async Task RunAsync(
        BenchOptions options, KafkaMockCluster kafka, HttpSink sink, string workDir, Report report, RawKafkaPhase.Result? raw)
    {
        const string phase = "3 end-to-end";
        const string tag = "e2e";
        var n = options.Messages;
        var warm = Math.Min(2000, n);
        await using var node = await BenchNode.StartAsync("e2e", options, kafka, workDir, n + warm);
        BenchRun.Current = node;
        var api = node.Api;

        // Warm-up: JIT, connection pools, the consumer groups' first assignment. Not measured.
        var warmOutcome = await Bulk.SubmitAsync(api, sink, "e2ew", warm, options.Batch, options.E2ePriority, 1, "bench-e2e-warmup");
        var warmDeadline = BenchClock.Now + 90;
        while (await FinalAsync(api) < warmOutcome.Messages && BenchClock.Now < warmDeadline)
        {
            await Task.Delay(250);
        }
        var (baseSent, baseFailed) = (await api.CountRecordsAsync("status=2"), await api.CountRecordsAsync("status=3"));
        Console.WriteLine($"  warm-up: {baseSent + baseFailed:N0} of {warmOutcome.Messages:N0} final; now {n:N0} messages, " +
            $"{options.Batch} recipients per request, {options.Submitters} submitters, priority {options.E2ePriority}");

        var resources = new PhaseResources(node.Pid);
        await using var sampler = new Sampler(node.Pid, () => BenchClock.Now, node.Probe);
        var outcome = await Bulk.SubmitAsync(api, sink, tag, n, options.Batch, options.E2ePriority, options.Submitters, "bench-e2e");
        var accepted = outcome.Messages;
        if (accepted == 0)
        {
            report.Add(phase, "submit", $"nothing accepted: {outcome.FirstError}");
            return;
        }
        var firstAccept = outcome.FirstAccept;
        report.Add(phase, "submitted (accepted by send_msg)",
            FormattableString.Invariant($"{accepted:N0} msgs in {outcome.Accepted.Count} requests, {outcome.LastAccept - outcome.FirstSent:0.0} s = {accepted / (outcome.LastAccept - outcome.FirstSent):N0} msgs/s stored; {outcome.Failed} requests failed") +
            (outcome.FirstError is null ? "" : $" (first: {outcome.FirstError})"));

        // Until every accepted record is final (sent or failed), as the node itself counts them.
        long sent = 0, failed = 0;
        var doneAt = double.NaN;
        var lastProgress = (Final: -1L, Sink: -1, At: BenchClock.Now);
        var lastPrint = BenchClock.Now;
        var deadline = BenchClock.Now + options.Timeout.TotalSeconds;
        while (true)
        {
            sent = await api.CountRecordsAsync("status=2") - baseSent;
            failed = await api.CountRecordsAsync("status=3") - baseFailed;
            var now = BenchClock.Now;
            var final = sent + failed;
            var arrived = sink[tag].Count;
            if (final >= accepted)
            {
                doneAt = now;
                break;
            }
            if (final != lastProgress.Final || arrived != lastProgress.Sink)
            {
                lastProgress = (final, arrived, now);
            }
            else if (now - lastProgress.At > 30)
            {
                Console.WriteLine($"  STALLED: no progress for 30 s at {final:N0} of {accepted:N0} final ({arrived:N0} at the sink)");
                break;
            }
            if (now > deadline)
            {
                Console.WriteLine($"  TIMEOUT after {options.Timeout.TotalSeconds:0} s at {final:N0} of {accepted:N0} final");
                break;
            }
            if (now - lastPrint >= 10)
            {
                Console.WriteLine(FormattableString.Invariant(
                    $"    t+{now - firstAccept,5:0}s  final {final,8:N0} / {accepted:N0}   at the sink {arrived,8:N0}   node RSS {ProcStats.Memory(node.Pid).RssMiB:0} MiB"));
                lastPrint = now;
            }
            // Poll finely near the end: the end time is known to the poll interval.
            await Task.Delay(accepted - final < 2000 ? 100 : 1000);
        }

        var arrivals = sink[tag].ArrivalTimes();
        var lastArrival = arrivals.DefaultIfEmpty(double.NaN).Max();
        var finalCount = sent + failed;
        var end = double.IsNaN(doneAt) ? BenchClock.Now : doneAt;
        var rate = finalCount / (end - firstAccept);
        report.Add(phase, "delivered end-to-end (first accept → last final)",
            FormattableString.Invariant($"{rate:N0} msgs/s ({finalCount:N0} final in {end - firstAccept:0.0} s{(double.IsNaN(doneAt) ? ", INCOMPLETE" : "")})"));
        var lastAccept = outcome.LastAccept;
        var duringSubmit = arrivals.Count(a => a <= lastAccept);
        report.Add(phase, "delivered while submitting / after the last accept",
            FormattableString.Invariant($"{duringSubmit / Math.Max(1e-3, lastAccept - firstAccept):N0} msgs/s ({duringSubmit:N0} in {lastAccept - firstAccept:0.0} s) / ") +
            FormattableString.Invariant($"{(arrivals.Length - duringSubmit) / Math.Max(1e-3, lastArrival - lastAccept):N0} msgs/s ({arrivals.Length - duringSubmit:N0} in {lastArrival - lastAccept:0.0} s)"));
        var whileRate = duringSubmit / Math.Max(1e-3, lastAccept - firstAccept);
        report.Add(phase, "rate while submitting / overall (target ≥ 50 %)", FormattableString.Invariant($"{whileRate / rate:P0}"));
        var store = options.StoreLabel;
        var goal = options.SqlQueue ? 3_000 : 5_000;
        report.AtLeast(FormattableString.Invariant($"end to end ≥ {goal:N0} msgs/s ({store})"), rate, goal, FormattableString.Invariant($"{rate:N0} msgs/s"));
        report.AtLeast("rate while submitting ≥ 50 % of overall", whileRate / rate, 0.5, FormattableString.Invariant($"{whileRate / rate:P0}"));
        if (Ceilings.FsyncsPerSecond is { } fsyncs)
        {
            report.Add(phase, "final records per fsync of the disk", FormattableString.Invariant($"{rate / fsyncs:0.0} (fsync {fsyncs:N0}/s)"));
        }
        report.Add(phase, "sink arrival rate (first accept → last arrival)",
            FormattableString.Invariant($"{arrivals.Length / (lastArrival - firstAccept):N0} msgs/s"));
        report.Add(phase, "sent / failed / missing at sink / duplicates",
            $"{sent:N0} / {failed:N0} / {accepted - arrivals.Length:N0} / {sink[tag].Duplicates:N0}");
        if (raw is not null)
        {
            report.Add(phase, "ratio to raw Kafka (produce/consume, slower side)",
                FormattableString.Invariant($"{rate / raw.PipeRate:P1} of {raw.PipeRate:N0} msgs/s"));
        }

        var acceptedAt = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var a in outcome.Accepted)
        {
            foreach (var id in a.MsgIds)
            {
                acceptedAt[id] = a.AnsweredAt;
            }
        }
        var tagStats = sink[tag];
        report.Add(phase, "accept → sink latency per message",
            Percentile.Summary(acceptedAt.Select(kv => tagStats.ArrivalOf(kv.Key) - kv.Value).OfType<double>()));
        await AttemptDurationsAsync(api, outcome, report, phase);

        Timeline(sampler, arrivals, outcome.FirstSent, end);
        resources.Report(report, phase, sampler);
        foreach (var (line, count) in node.LoggedProblems())
        {
            Console.WriteLine($"  node log x{count}: {line}");
        }
        BenchRun.Current = null;
    }

    private static async Task<long> FinalAsync(NodeApi api) =>
        await api.CountRecordsAsync("status=2") + await api.CountRecordsAsync("status=3");

    /// <summary>The channel call as the node timed it (attempt duration_ms), for a sample of messages.</summary>
    private static async Task AttemptDurationsAsync(NodeApi api, Bulk.Outcome outcome, Report report, string phase)
    {
        var ids = outcome.Accepted.SelectMany(a => a.MsgIds).ToList();
        var sample = Enumerable.Range(0, 50).Select(_ => ids[Random.Shared.Next(ids.Count)]).Distinct().ToList();
        var durations = new List<double>();
        foreach (var id in sample)
        {
            var record = await api.GetRecordAsync(id);
            if (record.TryGetProperty("attempts", out var attempts) && attempts.ValueKind == JsonValueKind.Array && attempts.GetArrayLength() > 0
                && attempts[0].TryGetProperty("duration_ms", out var d) && d.TryGetDouble(out var ms))
            {
                durations.Add(ms / 1000.0);
            }
        }
        report.Add(phase, "channel call (attempt duration_ms, sample)", Percentile.Summary(durations));
    }

    private static void Timeline(Sampler sampler, double[] arrivals, double from, double to)
    {
        var step = Math.Max(5, Math.Ceiling((to - from) / 24 / 5) * 5);
        var rows = new List<string[]>();
        for (var t = from; t < to; t += step)
        {
            var samples = sampler.Samples.Where(s => s.At > t && s.At <= t + step).ToList();
            rows.Add([
                string.Create(CultureInfo.InvariantCulture, $"{t - from:0}-{t - from + step:0}"),
                (arrivals.Count(a => a >= t && a < t + step) / step).ToString("N0", CultureInfo.InvariantCulture),
                samples.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{samples.Average(s => s.NodeCpuPct):0}%"),
                samples.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{samples.Average(s => s.HarnessCpuPct):0}%"),
                samples.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{samples.Average(s => s.OtherCpuPct):0}%"),
                samples.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{samples.Max(s => s.NodeRssMiB):0}"),
                samples.Count == 0 || samples[^1].Unqueued < 0 ? "" : samples[^1].Unqueued.ToString("N0", CultureInfo.InvariantCulture),
                samples.Count == 0 || samples[^1].Open < 0 ? "" : samples[^1].Open.ToString("N0", CultureInfo.InvariantCulture),
            ]);
        }
        Report.Timeline("timeline (s since the first request: delivered/s at the sink; CPU of node, harness, other processes in % of one core; " +
            "node RSS MiB; at the bucket's end: records stored but not yet published to Kafka (outbox), records not final (open)):",
            rows, "s", "delivered/s", "node", "harness", "other", "RSS", "outbox", "open");
    }
}
