using System.Collections.Concurrent;
using System.Globalization;
using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 4: priorities under a backlog. N low messages are queued (requests of 1,000), then high messages (one
/// recipient each) go out at a steady pace; each one's latency runs from the start of its send_msg call to the
/// moment the sink received it (matched by msgID).
/// </summary>
public static class PriorityPhase
{
    public static async Task RunAsync(BenchOptions options, KafkaMockCluster kafka, HttpSink sink, string workDir, Report report)
    {
        const string phase = "4 priority";
        const string lowTag = "plow";
        const string highTag = "phigh";
        var n = options.Messages;
        await using var node = await BenchNode.StartAsync("priority", options, kafka, workDir, n);
        BenchRun.Current = node;
        var api = node.Api;
        var resources = new PhaseResources(node.Pid);
        await using var sampler = new Sampler(node.Pid, () => BenchClock.Now, node.Probe);

        var low = await Bulk.SubmitAsync(api, sink, lowTag, n, options.Batch, priority: 1, options.Submitters, "bench-low");
        report.Add(phase, "low backlog submitted",
            FormattableString.Invariant($"{low.Messages:N0} msgs in {low.LastAccept - low.FirstSent:0.0} s; {sink[lowTag].Count:N0} of them delivered by then") +
            (low.FirstError is null ? "" : $"; {low.Failed} failed: {low.FirstError}"));

        if (await node.Probe.CountAsync() is { } atStart)
        {
            report.Add(phase, "backlog when the highs start", $"{atStart.Open:N0} low not final, {atStart.Unqueued:N0} of them not yet published to Kafka");
        }

        // High messages at a steady pace, each its own request (not awaited in turn: a slow answer must not delay the next).
        var count = (int)Math.Round(options.HighRate * options.HighDuration.TotalSeconds);
        var highs = new ConcurrentBag<(int Index, double SentAt, double AnsweredAt, string? MsgId, string? Error)>();
        var start = BenchClock.Now;
        var lowAtStart = sink[lowTag].Count;
        var sends = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = start + i / options.HighRate;
            var wait = due - BenchClock.Now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }
            var index = i;
            sends.Add(Task.Run(async () =>
            {
                var body = $"{{\"to\":\"{sink.UrlFor(highTag, index.ToString(CultureInfo.InvariantCulture))}\",\"channels\":[6],\"content\":\"urgent\",\"priority\":3}}";
                var sent = BenchClock.Now;
                var answer = await api.SendAsync(body, "bench-high");
                highs.Add((index, sent, BenchClock.Now, answer.Ok ? answer.MsgId : null, answer.Ok ? null : $"HTTP {answer.Status} code {answer.Code}: {answer.Error}"));
            }));
        }
        await Task.WhenAll(sends);
        var sentAll = BenchClock.Now;

        // Until every accepted high message reached the sink (or 60 s passed).
        var accepted = highs.Where(h => h.MsgId is not null).ToList();
        var highTagStats = sink[highTag];
        var deadline = BenchClock.Now + 60;
        while (accepted.Any(h => highTagStats.ArrivalOf(h.MsgId!) is null) && BenchClock.Now < deadline)
        {
            await Task.Delay(50);
        }
        var arrivals = accepted.Select(h => (h.Index, h.SentAt, h.AnsweredAt, Arrived: highTagStats.ArrivalOf(h.MsgId!))).ToList();
        var arrived = arrivals.Where(a => a.Arrived is not null).ToList();
        var lastHigh = arrived.Select(a => a.Arrived!.Value).DefaultIfEmpty(BenchClock.Now).Max();
        var lowAtLastHigh = sink[lowTag].ArrivalTimes().Count(t => t <= lastHigh);

        report.Add(phase, "high messages",
            FormattableString.Invariant($"{count} at {options.HighRate:0.#}/s over {sentAll - start:0.0} s: {accepted.Count} accepted, {arrived.Count} arrived") +
            (highs.FirstOrDefault(h => h.Error is not null).Error is { } e ? $"; first error: {e}" : ""));
        report.Add(phase, "high accept → sent (call start → sink)", Percentile.Summary(arrived.Select(a => a.Arrived!.Value - a.SentAt)));
        var highP99 = arrived.Count == accepted.Count && accepted.Count == count
            ? Percentile.P99Ms(arrived.Select(a => a.Arrived!.Value - a.SentAt))
            : double.NaN;
        report.AtMost("high accept → sent p99 ≤ 250 ms incl. the answer, low flood queued", highP99, 250,
            double.IsNaN(highP99) ? $"{arrived.Count} of {count} arrived" : FormattableString.Invariant($"{highP99:0} ms"));
        report.Add(phase, "high send_msg answer time", Percentile.Summary(accepted.Select(h => h.AnsweredAt - h.SentAt)));
        Console.WriteLine($"  high accept → sent histogram (ms: messages): {Percentile.Histogram(arrived.Select(a => a.Arrived!.Value - a.SentAt), 50, 2000)}");
        report.Add(phase, "low delivered while highs ran",
            FormattableString.Invariant($"{lowAtLastHigh - lowAtStart:N0} ({(lowAtLastHigh - lowAtStart) / Math.Max(1e-3, lastHigh - start):N0} msgs/s); ") +
            FormattableString.Invariant($"{low.Messages - lowAtLastHigh:N0} of {low.Messages:N0} low still queued when the last high arrived"));

        // Latency of the highs by the second they were sent: the first ones meet the freshest backlog.
        var rows = arrivals.GroupBy(a => (int)(a.SentAt - start))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var lat = g.Where(a => a.Arrived is not null).Select(a => a.Arrived!.Value - a.SentAt).Order().ToList();
                // The outbox backlog (stored, not yet published to Kafka) as that second began: the relay publishes oldest first.
                var probe = sampler.Samples.LastOrDefault(x => x.At <= start + g.Key + 0.5 && x.Unqueued >= 0);
                return new[]
                {
                    g.Key.ToString(CultureInfo.InvariantCulture),
                    g.Count().ToString(CultureInfo.InvariantCulture),
                    lat.Count == 0 ? "-" : Percentile.Ms(Percentile.Of(lat, 50)),
                    lat.Count == 0 ? "-" : Percentile.Ms(lat[^1]),
                    probe is null ? "" : probe.Unqueued.ToString("N0", CultureInfo.InvariantCulture),
                };
            });
        Report.Timeline("high latency by the second it was sent (ms), and the outbox backlog (stored, not yet published to Kafka) then:",
            rows, "s", "sent", "p50", "max", "outbox");

        resources.Report(report, phase, sampler);
        foreach (var (line, c) in node.LoggedProblems())
        {
            Console.WriteLine($"  node log x{c}: {line}");
        }
        BenchRun.Current = null;
    }
}
