using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MsgMate.Bench.Phases;

/// <summary>What the machine can do at most, measured in the same run as the node, so that the node's figures are ratios.</summary>
public static class Ceilings
{
    /// <summary>A bare Kestrel app answering the intake's send_msg request without storing anything.</summary>
    public static double? BareRequestsPerSecond { get; set; }

    /// <summary>4 KiB write + fsync, one after another, on the disk of the node's database.</summary>
    public static double? FsyncsPerSecond { get; set; }
}

/// <summary>
/// Phase 0: the ceilings. (a) The disk's fsync rate in the work directory, where the SQLite files go: the durability
/// ceiling (a commit costs at least one fsync; group commit shares it). (b) The same intake load as phase 2 against a
/// bare Kestrel app in its own process (this harness started with <c>--bare-server PORT</c>, Server GC as the node):
/// it parses the JSON body and answers in the wire envelope, storing nothing — the intake ceiling of this machine.
/// </summary>
public static class CeilingsPhase
{
    public static async Task RunAsync(BenchOptions options, string workDir, Report report)
    {
        const string phase = "0 ceilings";
        var fsyncs = Fsyncs(Path.Combine(workDir, "fsync-probe"), TimeSpan.FromSeconds(3));
        Ceilings.FsyncsPerSecond = fsyncs;
        report.Add(phase, "fsync rate of the database disk (4 KiB write + fsync, sequential)", fsyncs, "fsyncs/s");

        var port = BenchNode.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(CeilingsPhase).Assembly.Location, "--bare-server", port.ToString() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_gcServer"] = "1";
        using var server = Process.Start(start)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var api = new NodeApi(new Uri($"http://127.0.0.1:{port}"));
            var deadline = BenchClock.Now + 60;
            while (!await api.IsHealthyAsync())
            {
                if (server.HasExited || BenchClock.Now > deadline)
                {
                    throw new InvalidOperationException("the bare Kestrel server did not start");
                }
                await Task.Delay(100);
            }
            var load = await IntakeLoad.RunAsync(options, api, (c, seq) =>
                $"{{\"to\":\"http://127.0.0.1:9/sink/in/{c}-{seq}\",\"channels\":[6],\"content\":\"x\",\"priority\":{options.IntakePriority}}}");
            var rate = load.Latencies.Count / options.IntakeDuration.TotalSeconds;
            Ceilings.BareRequestsPerSecond = rate;
            report.Add(phase, $"bare Kestrel, the intake request, {options.Clients} clients", rate, "req/s");
            report.Add(phase, "bare Kestrel latency", Percentile.Summary(load.Latencies));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    private static double Fsyncs(string path, TimeSpan duration)
    {
        var block = new byte[4096];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            file.Write(block);
            file.Flush(flushToDisk: true);
            count++;
        }
        var rate = count / clock.Elapsed.TotalSeconds;
        file.Close();
        File.Delete(path);
        return rate;
    }

    /// <summary>The bare server's process: <c>MsgMate.Bench.dll --bare-server PORT</c>.</summary>
    public static async Task<int> ServeAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        app.MapPost("/msg/send_msg", async (HttpContext http) =>
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body);
            var id = Guid.NewGuid().ToString();
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(
                $"{{\"code\":0,\"msg\":\"ok\",\"msgID\":\"{id}\",\"msgIDs\":[\"{id}\"],\"batchID\":\"{Guid.NewGuid()}\",\"count\":1,\"truncated\":false}}"));
        });
        await app.RunAsync();
        return 0;
    }
}
