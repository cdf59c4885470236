using System.Globalization;
using System.Runtime.InteropServices;
using MsgMate.Bench;
using MsgMate.Bench.Phases;
using MsgMate.KafkaMock;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length == 2 && args[0] == "--bare-server")
{
    return await CeilingsPhase.ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}

BenchOptions options;
try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"{e.Message}\n\n{BenchOptions.Usage}");
    return 2;
}

var workDir = Directory.CreateTempSubdirectory("msgmate-bench-").FullName;
// Whatever happens, no node is left running behind the harness.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => BenchRun.KillCurrent());
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => BenchRun.KillCurrent());
AppDomain.CurrentDomain.ProcessExit += (_, _) => BenchRun.KillCurrent();

Console.WriteLine($"MsgMate.NET benchmark {DateTime.Now:yyyy-MM-dd HH:mm} {options.Label}".TrimEnd());
Console.WriteLine($"  machine: {Environment.ProcessorCount} cores ({BenchRun.CpuModel()}), {BenchRun.MemoryGiB():0.0} GiB RAM, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Console.WriteLine($"  node: {options.NodeDll}; store {options.Db}; queue {(options.SqlQueue ? "SQL table (embedded default)" : "Kafka")}; parallelism " +
    (options.Parallelism is { } p ? $"{p.High}/{p.Medium}/{p.Low}" : "default 64/32/16") +
    (options.NodeSettings.Count == 0 ? "" : "; " + string.Join(", ", options.NodeSettings.Select(kv => $"{kv.Key}={kv.Value}"))));
Console.WriteLine($"  work directory: {workDir}; source revision {Environment.GetEnvironmentVariable("MSGMATE_BENCH_REVISION") ?? "?"}");

var report = new Report();
var status = 0;
using (var kafka = KafkaMockCluster.Start(brokers: 1, topics: [], partitions: 3))
await using (var sink = await HttpSink.StartAsync(options.SinkDelayMs))
{
    Console.WriteLine($"  Kafka mock broker (in-process, librdkafka {Confluent.Kafka.Library.VersionString}) at {kafka.BootstrapServers}; " +
        $"HTTP sink at http://127.0.0.1:{sink.Port}/sink/…" + (options.SinkDelayMs > 0 ? $" answering after {options.SinkDelayMs} ms" : ""));
    try
    {
        if (options.Phases.Contains("ceilings"))
        {
            Console.WriteLine("\n== 0. ceilings: the disk's fsync rate and a bare Kestrel app under the intake load ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await CeilingsPhase.RunAsync(options, workDir, report);
        }
        RawKafkaPhase.Result? raw = null;
        if (options.Phases.Contains("raw"))
        {
            Console.WriteLine("\n== 1. raw Kafka: Confluent.Kafka produce + consume on the same broker ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            raw = await RawKafkaPhase.RunAsync(options, kafka, report);
        }
        if (options.Phases.Contains("intake"))
        {
            Console.WriteLine("\n== 2. intake: send_msg under concurrent clients ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await IntakePhase.RunAsync(options, kafka, sink, workDir, report);
        }
        if (options.Phases.Contains("e2e"))
        {
            Console.WriteLine($"\n== 3. end-to-end: {options.Messages:N0} messages to the webhook sink ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await EndToEndPhase.RunAsync(options, kafka, sink, workDir, report, raw);
        }
        if (options.Phases.Contains("priority"))
        {
            Console.WriteLine($"\n== 4. priority: high messages behind {options.Messages:N0} queued low ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await PriorityPhase.RunAsync(options, kafka, sink, workDir, report);
        }
        if (options.Phases.Contains("schedules"))
        {
            Console.WriteLine($"\n== 6. schedules: {options.Schedules:N0} due in the same second, then {options.ScheduleRate:N0} due per second ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await SchedulesPhase.RunAsync(options, kafka, sink, workDir, report);
        }
        if (options.Phases.Contains("cluster"))
        {
            Console.WriteLine($"\n== 7. cluster: {options.Messages:N0} messages on one node, then on three; a node killed during {options.Messages / 2:N0} more ==");
            await Quiet.WaitAsync(options.WaitQuietSeconds);
            await ClusterPhase.RunAsync(options, kafka, sink, workDir, report);
        }
        if (report.Memory.Count > 0)
        {
            Console.WriteLine("\n== 5. node memory (a fresh node per phase) ==");
            foreach (var (phase, peak, rss) in report.Memory)
            {
                report.Add("5 memory", $"node peak (VmHWM) / RSS at end, phase {phase}", $"{peak:0} MiB / {rss:0} MiB");
            }
            var top = report.Memory.MaxBy(m => m.PeakMiB);
            report.Add("5 memory", "node peak over the run", $"{top.PeakMiB:0} MiB (phase {top.Phase})");
            report.AtMost("node memory ≤ 1 GiB (peak of this run's phases)", top.PeakMiB, 1024, $"{top.PeakMiB:0} MiB peak (phase {top.Phase})");
        }
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"\nBENCHMARK FAILED: {e}");
        status = 1;
    }
    finally
    {
        BenchRun.KillCurrent();
    }
}

Console.WriteLine($"\n== summary {options.Label} ==".TrimEnd());
Console.WriteLine(report.Markdown());
if (report.Targets() is { Length: > 0 } targets)
{
    Console.WriteLine("== targets (measured in this run) ==");
    Console.WriteLine(targets);
}
if (options.KeepWorkDir)
{
    Console.WriteLine($"kept {workDir}");
}
else
{
    try
    {
        Directory.Delete(workDir, recursive: true);
    }
    catch (IOException)
    {
    }
}
return status;

/// <summary>Entry point and the little process-wide state the phases share.</summary>
public static class BenchRun
{
    /// <summary>The node of the running phase, so that Ctrl+C or a crash never leaves it behind.</summary>
    public static BenchNode? Current { get; set; }

    public static void KillCurrent()
    {
        try
        {
            if (Current is { } node)
            {
                System.Diagnostics.Process.GetProcessById(node.Pid).Kill(entireProcessTree: true);
            }
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }

    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    public static double MemoryGiB()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024;
    }
}
