using System.Globalization;
using System.Text;

namespace MsgMate.Bench;

/// <summary>Percentiles of a set of measurements (nearest rank).</summary>
public static class Percentile
{
    public static double Of(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The 99th percentile of values in seconds, in ms (NaN when there are none).</summary>
    public static double P99Ms(IEnumerable<double> seconds) => Of(seconds.Order().ToList(), 99) * 1000;

    /// <summary>"p50 1.2 / p90 … / p99 … / max … ms" of values in seconds.</summary>
    public static string Summary(IEnumerable<double> seconds)
    {
        var sorted = seconds.Order().ToList();
        if (sorted.Count == 0)
        {
            return "no samples";
        }
        return $"p50 {Ms(Of(sorted, 50))} / p90 {Ms(Of(sorted, 90))} / p99 {Ms(Of(sorted, 99))} / max {Ms(sorted[^1])} ms (n={sorted.Count})";
    }

    /// <summary>
    /// A coarse histogram of latencies in seconds: "0-25 ms: 812, 25-50 ms: …", empty buckets left out. Peaks at
    /// fixed intervals betray sleeps and timers (a SQLite busy retry sleeps 150 ms).
    /// </summary>
    public static string Histogram(IEnumerable<double> seconds, double bucketMs = 25, double maxMs = 1000)
    {
        var buckets = new SortedDictionary<int, int>();
        foreach (var s in seconds)
        {
            var b = (int)Math.Min(maxMs / bucketMs, Math.Floor(s * 1000 / bucketMs));
            buckets[b] = buckets.GetValueOrDefault(b) + 1;
        }
        return string.Join(", ", buckets.Select(kv => kv.Key * bucketMs >= maxMs
            ? $">={maxMs:0}: {kv.Value}"
            : $"{kv.Key * bucketMs:0}-{(kv.Key + 1) * bucketMs:0}: {kv.Value}"));
    }

    public static string Ms(double seconds) => (seconds * 1000).ToString(seconds < 0.01 ? "0.00" : seconds < 1 ? "0.0" : "0", CultureInfo.InvariantCulture);
}

/// <summary>The numbers of a run, printed as they come and as one table at the end.</summary>
public sealed class Report
{
    private readonly List<(string Phase, string Metric, string Value)> _rows = [];

    // The write path's targets as this run measured them (bench/README.md names them): measured / target, and whether
    // that is met (a rate is met at ≥ 100 %, a latency or a size at ≤ 100 %).
    private readonly List<(string Target, string Measured, double Ratio, bool Met)> _targets = [];

    /// <summary>The node's peak (VmHWM) and final resident memory of each phase, MiB.</summary>
    public List<(string Phase, double PeakMiB, double RssMiB)> Memory { get; } = [];

    public void Add(string phase, string metric, string value)
    {
        _rows.Add((phase, metric, value));
        Console.WriteLine($"  {metric,-44} {value}");
    }

    public void Add(string phase, string metric, double value, string unit, string format = "N0") =>
        Add(phase, metric, $"{value.ToString(format, CultureInfo.InvariantCulture)} {unit}".TrimEnd());

    /// <summary>A target that a larger value meets (a rate, a share).</summary>
    public void AtLeast(string target, double measured, double goal, string measuredText) =>
        _targets.Add((target, measuredText, measured / goal, measured >= goal));

    /// <summary>A target that a smaller value meets (a latency, a size).</summary>
    public void AtMost(string target, double measured, double goal, string measuredText) =>
        _targets.Add((target, measuredText, measured / goal, !double.IsNaN(measured) && measured <= goal));

    /// <summary>The targets this run measured, one line each, as a Markdown table (empty when no phase measured one).</summary>
    public string Targets()
    {
        if (_targets.Count == 0)
        {
            return "";
        }
        var text = new StringBuilder("| target | measured | measured / target | met |\n|---|---|---|---|\n");
        foreach (var (target, measured, ratio, met) in _targets)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {target} | {measured} | {ratio:P0} | {(met ? "yes" : "no")} |\n");
        }
        return text.ToString();
    }

    /// <summary>Prints a timeline table: one row per bucket.</summary>
    public static void Timeline(string title, IEnumerable<string[]> rows, params string[] header)
    {
        Console.WriteLine($"  {title}");
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (var row in all)
        {
            var line = new StringBuilder("    ");
            for (var c = 0; c < header.Length; c++)
            {
                line.Append((c < row.Length ? row[c] : "").PadLeft(widths[c] + 2));
            }
            Console.WriteLine(line.ToString());
        }
    }

    public string Markdown()
    {
        var text = new StringBuilder("| phase | metric | value |\n|---|---|---|\n");
        foreach (var (phase, metric, value) in _rows)
        {
            text.Append($"| {phase} | {metric} | {value} |\n");
        }
        return text.ToString();
    }
}

/// <summary>CPU of the node and of the harness over one phase, and the node's memory at its end.</summary>
public sealed class PhaseResources
{
    private readonly int? _nodePid;
    private readonly double _start = BenchClock.Now;
    private readonly double _nodeCpu;
    private readonly double _selfCpu;
    private readonly (double Busy, double Total) _machine;
    private readonly Dictionary<string, double> _nodeGroups = [];
    private readonly Dictionary<string, double> _selfGroups;

    /// <param name="nodePid">The node's process; null for a phase that runs in the harness alone.</param>
    public PhaseResources(int? nodePid)
    {
        _nodePid = nodePid;
        if (nodePid is { } pid)
        {
            _nodeCpu = ProcStats.CpuSeconds(pid);
            _nodeGroups = ProcStats.CpuByThreadGroup(pid);
        }
        _selfCpu = ProcStats.CpuSeconds(Environment.ProcessId);
        _machine = ProcStats.MachineCpu();
        _selfGroups = ProcStats.CpuByThreadGroup(Environment.ProcessId);
    }

    /// <summary>Prints and records CPU (node, harness, machine), the busiest thread groups and the node's memory.</summary>
    public void Report(Report report, string phase, Sampler? sampler)
    {
        var wall = Math.Max(1e-3, BenchClock.Now - _start);
        var self = ProcStats.CpuSeconds(Environment.ProcessId) - _selfCpu;
        var machine = ProcStats.MachineCpu();
        var busy = 100 * (machine.Busy - _machine.Busy) / Math.Max(1e-3, machine.Total - _machine.Total);
        var cores = Environment.ProcessorCount;
        if (_nodePid is not { } pid)
        {
            report.Add(phase, "CPU harness / machine busy",
                FormattableString.Invariant($"{100 * self / wall:0}% of one core; machine {busy:0}% of {cores} cores ({wall:0} s)"));
            report.Add(phase, "harness CPU by thread group", Groups(ProcStats.CpuByThreadGroup(Environment.ProcessId), _selfGroups, self));
            return;
        }
        var node = ProcStats.CpuSeconds(pid) - _nodeCpu;
        // Whatever else ran on the machine meanwhile (other processes, the kernel's network work): it skews the numbers.
        var other = Math.Max(0, busy / 100 * cores - (node + self) / wall);
        report.Add(phase, "CPU node / harness / other processes",
            FormattableString.Invariant($"{100 * node / wall:0}% / {100 * self / wall:0}% / {100 * other:0}% of one core; machine {busy:0}% busy of {cores} cores ({wall:0} s)"));
        report.Add(phase, "node CPU by thread group", Groups(ProcStats.CpuByThreadGroup(pid), _nodeGroups, node));
        report.Add(phase, "harness CPU by thread group", Groups(ProcStats.CpuByThreadGroup(Environment.ProcessId), _selfGroups, self));
        var (peak, rss, threads) = ProcStats.Memory(pid);
        report.Memory.Add((phase, peak, rss));
        report.Add(phase, "node memory: peak (VmHWM) / RSS now",
            FormattableString.Invariant($"{peak:0} MiB / {rss:0} MiB, {threads} threads") +
            (sampler is null ? "" : FormattableString.Invariant($" (max sampled RSS {sampler.MaxRssMiB:0} MiB)")));
    }

    private static string Groups(Dictionary<string, double> now, Dictionary<string, double> before, double total)
    {
        var deltas = now.Select(kv => (kv.Key, Cpu: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(d => d.Cpu > 0.05)
            .OrderByDescending(d => d.Cpu)
            .Take(6)
            .Select(d => FormattableString.Invariant($"{d.Key} {d.Cpu:0.0}s"));
        return string.Join(", ", deltas) + FormattableString.Invariant($" (of {total:0.0}s)");
    }
}
