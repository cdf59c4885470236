using System.Globalization;

namespace MsgMate.Bench;

/// <summary>CPU and memory of a process from <c>/proc</c> (Linux): where the time goes, and how much memory it took.</summary>
public static class ProcStats
{
    /// <summary>USER_HZ: the unit of the CPU times in <c>/proc/*/stat</c> (100 on every Linux we run on).</summary>
    private const double TicksPerSecond = 100.0;

    /// <summary>User + system CPU seconds the process has used so far (all its threads, dead ones included).</summary>
    public static double CpuSeconds(int pid) => ReadCpu($"/proc/{pid}/stat") ?? 0;

    /// <summary>VmHWM (peak resident set), VmRSS (now) in MiB and the thread count, from <c>/proc/PID/status</c>.</summary>
    public static (double PeakMiB, double RssMiB, int Threads) Memory(int pid)
    {
        double hwm = 0, rss = 0;
        var threads = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kb(line) / 1024.0;
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kb(line) / 1024.0;
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }
        return (hwm, rss, threads);
    }

    /// <summary>
    /// CPU seconds per thread group of a process: threads by name (<c>/proc/PID/task/TID/comm</c>) with trailing
    /// digits and separators removed, so that ".NET TP Worker" threads or librdkafka's "rdk:broker1", "rdk:broker2"
    /// add up. Threads that have ended are not counted here (they are in <see cref="CpuSeconds"/>).
    /// </summary>
    public static Dictionary<string, double> CpuByThreadGroup(int pid)
    {
        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return groups;
        }
        catch (UnauthorizedAccessException)
        {
            return groups;
        }
        foreach (var task in tasks)
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var cpu = ReadCpu(Path.Combine(task, "stat"));
                if (cpu is null)
                {
                    continue;
                }
                var group = GroupName(name);
                groups[group] = groups.GetValueOrDefault(group) + cpu.Value;
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return groups;
    }

    /// <summary>Busy and total jiffies of the whole machine, from the first line of <c>/proc/stat</c>.</summary>
    public static (double Busy, double Total) MachineCpu()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = values.Sum();
        var idle = values[3] + values[4]; // idle + iowait
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    private static double? ReadCpu(string statPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(statPath);
        }
        catch (IOException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        var utime = double.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = double.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    private static string GroupName(string comm)
    {
        var end = comm.Length;
        while (end > 0 && (char.IsDigit(comm[end - 1]) || comm[end - 1] is '-' or '_' or '#' or ' '))
        {
            end--;
        }
        return end == 0 ? comm : comm[..end];
    }

    private static double Kb(string line) =>
        double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

/// <summary>
/// Samples a process and the machine once a second while a phase runs: CPU of the node and of this harness,
/// resident memory, so that a phase can print a timeline next to the sink's arrival rate.
/// </summary>
public sealed class Sampler : IAsyncDisposable
{
    /// <param name="NodeCpuPct">Percent of one core, as <c>top</c> shows it; so are the others.</param>
    /// <param name="Unqueued">Records stored but not yet published to Kafka (the outbox backlog), -1 when not probed.</param>
    /// <param name="Open">Records not final yet, -1 when not probed.</param>
    public sealed record Sample(double At, double NodeCpuPct, double HarnessCpuPct, double MachineBusyPct, double NodeRssMiB, long Unqueued, long Open)
    {
        /// <summary>CPU of everything else on the machine (other processes, kernel network work), percent of one core.</summary>
        public double OtherCpuPct => Math.Max(0, MachineBusyPct * Environment.ProcessorCount - NodeCpuPct - HarnessCpuPct);
    }

    private readonly int _nodePid;
    private readonly int _selfPid = Environment.ProcessId;
    private readonly Func<double> _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Sample> _samples = [];
    private readonly DbProbe? _probe;

    public Sampler(int nodePid, Func<double> clock, DbProbe? probe = null)
    {
        _nodePid = nodePid;
        _clock = clock;
        _probe = probe;
        _loop = Task.Run(LoopAsync);
    }

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public double MaxRssMiB => Samples.Select(s => s.NodeRssMiB).DefaultIfEmpty(0).Max();

    private async Task LoopAsync()
    {
        var node = ProcStats.CpuSeconds(_nodePid);
        var self = ProcStats.CpuSeconds(_selfPid);
        var machine = ProcStats.MachineCpu();
        var last = _clock();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = _clock();
                var node2 = ProcStats.CpuSeconds(_nodePid);
                var self2 = ProcStats.CpuSeconds(_selfPid);
                var machine2 = ProcStats.MachineCpu();
                var wall = Math.Max(1e-3, now - last);
                var counts = _probe is null ? null : await _probe.CountAsync();
                var sample = new Sample(
                    now,
                    100 * (node2 - node) / wall,
                    100 * (self2 - self) / wall,
                    100 * (machine2.Busy - machine.Busy) / Math.Max(1e-3, machine2.Total - machine.Total),
                    ProcStats.Memory(_nodePid).RssMiB,
                    counts?.Unqueued ?? -1,
                    counts?.Open ?? -1);
                lock (_samples)
                {
                    _samples.Add(sample);
                }
                (node, self, machine, last) = (node2, self2, machine2, now);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>Other work on the machine skews every number here: measure it, and wait a little for it to pass.</summary>
public static class Quiet
{
    /// <summary>CPU busy on the whole machine over <paramref name="seconds"/>, in cores.</summary>
    public static async Task<double> BusyCoresAsync(double seconds = 1)
    {
        var before = ProcStats.MachineCpu();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var after = ProcStats.MachineCpu();
        return Environment.ProcessorCount * (after.Busy - before.Busy) / Math.Max(1e-3, after.Total - before.Total);
    }

    /// <summary>
    /// Waits until the machine has been nearly idle (under 0.15 cores busy) for two seconds in a row, at most
    /// <paramref name="maxSeconds"/>; says so when it gives up.
    /// </summary>
    public static async Task WaitAsync(double maxSeconds)
    {
        if (maxSeconds <= 0)
        {
            return;
        }
        var deadline = BenchClock.Now + maxSeconds;
        var quietFor = 0;
        var busy = 0.0;
        var said = false;
        while (quietFor < 2)
        {
            busy = await BusyCoresAsync();
            quietFor = busy < 0.15 ? quietFor + 1 : 0;
            if (quietFor == 0 && !said)
            {
                Console.WriteLine(FormattableString.Invariant($"  the machine is busy ({busy:0.00} cores in use by other processes); waiting up to {maxSeconds:0} s for it to calm down"));
                said = true;
            }
            if (BenchClock.Now > deadline)
            {
                Console.WriteLine(FormattableString.Invariant($"  WARNING: still {busy:0.00} cores busy elsewhere; measuring anyway (see 'other processes' below)"));
                return;
            }
        }
    }
}
