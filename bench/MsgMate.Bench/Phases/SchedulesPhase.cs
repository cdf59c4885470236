using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MsgMate.KafkaMock;

namespace MsgMate.Bench.Phases;

/// <summary>
/// Phase 6: schedules. (a) N one-off schedules all due in the same second; (b) schedules due one after another at
/// R a second for S seconds. Each schedule sends one webhook message. A schedule's firing time is when its record
/// was stored (the record's <c>create_time</c>, read from the node's table); lateness = firing − due time. The due
/// times are set from the creation rate measured just before, so that every schedule exists before it is due.
/// </summary>
public static class SchedulesPhase
{
    private const int Creators = 32;

    public static async Task RunAsync(BenchOptions options, KafkaMockCluster kafka, HttpSink sink, string workDir, Report report)
    {
        const string phase = "6 schedules";
        var burst = options.Schedules;
        var sustained = (int)Math.Round(options.ScheduleRate * options.ScheduleDuration.TotalSeconds);
        await using var node = await BenchNode.StartAsync("schedules", options, kafka, workDir, burst + sustained);
        BenchRun.Current = node;
        var resources = new PhaseResources(node.Pid);
        await using var sampler = new Sampler(node.Pid, () => BenchClock.Now, node.Probe);

        // The creation rate, on schedules due tomorrow (they never fire in this phase).
        var pilot = await CreateAsync(node.Api, sink, "spilot", 1000, _ => DateTimeOffset.UtcNow.AddDays(1), "bench-pilot");
        var rate = pilot.Rate;
        report.Add(phase, "schedules created (/scheduled/create, 32 clients)", $"{rate:N0} /s ({pilot.Created:N0} in {pilot.Seconds:0.0} s)" + pilot.ErrorText);

        // (a) The burst: all due in the same second.
        var due = WholeSecondAfter(DateTimeOffset.UtcNow.AddSeconds(burst / rate * 1.2 + 5));
        var a = await CreateAsync(node.Api, sink, "sburst", burst, _ => due, "bench-burst");
        var lead = (due - DateTimeOffset.UtcNow).TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"  burst: {a.Created:N0} created in {a.Seconds:0.0} s ({a.Rate:N0}/s), due {lead:0.0} s after the last was created"));
        var burstFirings = await WaitForFiringsAsync(node.Probe, "bench-burst", a.Created, due.AddSeconds(options.Timeout.TotalSeconds));
        var burstLateness = Lateness(a.DueById, burstFirings);
        report.Add(phase, $"{burst:N0} due in the same second: fired", $"{burstFirings.Count:N0} of {a.Created:N0}" + a.ErrorText);
        report.Add(phase, $"{burst:N0} due in the same second: lateness (firing − due; target p99 ≤ 1,000 ms)", Percentile.Summary(burstLateness));
        var burstP99 = burstFirings.Count == a.Created ? Percentile.P99Ms(burstLateness) : double.NaN;
        report.AtMost(FormattableString.Invariant($"{burst:N0} schedules due in one second: p99 lateness ≤ 1 s"), burstP99, 1000,
            double.IsNaN(burstP99) ? $"{burstFirings.Count:N0} of {a.Created:N0} fired" : FormattableString.Invariant($"{burstP99:N0} ms"));
        if (burstFirings.Count > 0)
        {
            var span = (burstFirings.Values.Max() - burstFirings.Values.Min()) / 1000.0;
            report.Add(phase, $"{burst:N0} due in the same second: firing rate (first → last firing)",
                FormattableString.Invariant($"{burstFirings.Count / Math.Max(span, 0.001):N0} firings/s over {span:0.0} s"));
        }
        Console.WriteLine($"  burst lateness histogram (ms: schedules): {Percentile.Histogram(burstLateness, 250, 10_000)}");

        // (b) Sustained: one due every 1/R s for S s.
        var start = WholeSecondAfter(DateTimeOffset.UtcNow.AddSeconds(sustained / Math.Max(a.Rate, 1) * 1.2 + 5));
        var b = await CreateAsync(node.Api, sink, "ssteady", sustained, i => start.AddSeconds(i / options.ScheduleRate), "bench-steady");
        var steadyFirings = await WaitForFiringsAsync(node.Probe, "bench-steady", b.Created,
            start.Add(options.ScheduleDuration).AddSeconds(options.Timeout.TotalSeconds));
        var steadyLateness = Lateness(b.DueById, steadyFirings);
        report.Add(phase, FormattableString.Invariant($"{options.ScheduleRate:N0} due per second for {options.ScheduleDuration.TotalSeconds:0} s: fired"),
            $"{steadyFirings.Count:N0} of {b.Created:N0}" + b.ErrorText);
        if (steadyFirings.Count > 0)
        {
            var last = DateTimeOffset.FromUnixTimeMilliseconds(steadyFirings.Values.Max());
            var seconds = (last - start).TotalSeconds;
            var achieved = steadyFirings.Count / Math.Max(seconds, 0.001);
            report.Add(phase, FormattableString.Invariant($"{options.ScheduleRate:N0} due per second: firings/s sustained (first due → last firing; target 1,000)"),
                FormattableString.Invariant($"{achieved:N0} firings/s = {achieved / options.ScheduleRate:P0} of the due rate"));
            report.AtLeast("1,000 firings/s sustained", achieved, 1000, FormattableString.Invariant($"{achieved:N0} firings/s at {options.ScheduleRate:N0} due/s"));
        }
        report.Add(phase, FormattableString.Invariant($"{options.ScheduleRate:N0} due per second: lateness (firing − due)"), Percentile.Summary(steadyLateness));

        resources.Report(report, phase, sampler);
        foreach (var (line, c) in node.LoggedProblems())
        {
            Console.WriteLine($"  node log x{c}: {line}");
        }
        BenchRun.Current = null;
    }

    private sealed record CreateRun(Dictionary<string, long> DueById, double Seconds, int Failed, string? FirstError)
    {
        public int Created => DueById.Count;

        public double Rate => Created / Math.Max(Seconds, 0.001);

        public string ErrorText => FirstError is null ? "" : $"; {Failed} failed: {FirstError}";
    }

    /// <summary>Creates <paramref name="count"/> one-off schedules, 32 requests at a time; due time by index.</summary>
    private static async Task<CreateRun> CreateAsync(NodeApi api, HttpSink sink, string tag, int count, Func<int, DateTimeOffset> dueAt, string sourceId)
    {
        var ids = new ConcurrentDictionary<string, long>();
        var next = -1;
        var failed = 0;
        string? firstError = null;
        var started = BenchClock.Now;
        await Task.WhenAll(Enumerable.Range(0, Creators).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count)
            {
                var due = dueAt(i);
                var body = JsonSerializer.Serialize(new
                {
                    to = sink.UrlFor(tag, i.ToString(CultureInfo.InvariantCulture)),
                    channels = new[] { 6 },
                    content = "s",
                    scheduled_time = due.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
                });
                var (ok, id, error) = await api.CreateScheduleAsync(body, sourceId);
                if (ok)
                {
                    ids[id!] = due.ToUnixTimeMilliseconds();
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        }));
        return new CreateRun(new Dictionary<string, long>(ids), BenchClock.Now - started, failed, firstError);
    }

    /// <summary>Polls the record table until <paramref name="expected"/> schedules of the source have fired (or the deadline).</summary>
    private static async Task<IReadOnlyDictionary<string, long>> WaitForFiringsAsync(DbProbe probe, string sourceId, int expected, DateTimeOffset deadline)
    {
        while (true)
        {
            var fired = await probe.FiringsAsync(sourceId);
            if (fired.Count >= expected || DateTimeOffset.UtcNow > deadline)
            {
                return fired;
            }
            await Task.Delay(500);
        }
    }

    private static List<double> Lateness(Dictionary<string, long> dueById, IReadOnlyDictionary<string, long> firings) =>
        [.. firings.Where(f => dueById.ContainsKey(f.Key)).Select(f => (f.Value - dueById[f.Key]) / 1000.0)];

    private static DateTimeOffset WholeSecondAfter(DateTimeOffset t) =>
        DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds() + 1);
}
