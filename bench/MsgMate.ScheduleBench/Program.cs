using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

// Schedule benchmark: 100,000 pending schedules on one node (memory, recovery after a restart) and the
// lateness of firings in normal operation. Prints numbers; asserts nothing. See bench/README.md.
var count = args.Length > 0 ? int.Parse(args[0]) : 100_000;
var work = Path.Combine(Path.GetTempPath(), $"msgmate-schedule-bench-{Guid.NewGuid():N}");
Directory.CreateDirectory(work);
var port = FreePort();
var settings = new Dictionary<string, string>
{
    ["urls"] = $"http://127.0.0.1:{port}",
    ["MsgMate__Storage__ConnectionString"] = $"Data Source={Path.Combine(work, "msgmate.db")}",
    ["MsgMate__Cluster__Port"] = "0",
    ["MsgMate__PassivateIdleAfter"] = "00:00:20",
    ["MsgMate__Email__OutboxFolder"] = Path.Combine(work, "outbox"),
    ["MsgMate__TomlFile"] = "/nonexistent.toml",
    ["Serilog__MinimumLevel__Default"] = "Warning",
};
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss");

Console.WriteLine($"Schedule benchmark: {count:N0} pending schedules, SQLite, one node ({Environment.ProcessorCount} cores)");
var node = await StartNodeAsync();

// 1. Create the pending schedules (due tomorrow: they stay pending), 32 at a time.
var far = Local(DateTimeOffset.UtcNow.AddDays(1));
var created = Stopwatch.StartNew();
var next = 0;
await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
{
    while (Interlocked.Increment(ref next) is var i && i <= count)
    {
        using var response = await http.PostAsJsonAsync("/scheduled/create", new { to = $"p{i}@example.com", channels = new[] { 1 }, content = "later", scheduled_time = far });
        response.EnsureSuccessStatusCode();
    }
}));
Console.WriteLine($"created {count:N0} schedules in {created.Elapsed.TotalSeconds:0.0} s ({count / created.Elapsed.TotalSeconds:0} /s); node RSS {Rss(node)} MiB, peak {Peak(node)} MiB");

// 2. Idle schedules leave memory: wait for passivation (20 s here, 2 min by default).
await Task.Delay(TimeSpan.FromSeconds(30));
Console.WriteLine($"after passivation: node RSS {Rss(node)} MiB");

// 3. Restart: recovery time, and memory with nothing due (the due-time index wakes nothing).
node.Kill(entireProcessTree: true);
await node.WaitForExitAsync();
var restart = Stopwatch.StartNew();
node = await StartNodeAsync();
var ready = restart.Elapsed;
var anyId = (await http.GetFromJsonAsync<JsonElement>("/scheduled/list?page_size=1")).GetProperty("messages")[0].GetProperty("schedule_id").GetString();
var first = Stopwatch.StartNew();
(await http.GetFromJsonAsync<JsonElement>($"/scheduled/get?schedule_id={anyId}")).GetProperty("code").GetInt32();
Console.WriteLine($"restart (SIGKILL) with {count:N0} pending: healthy after {ready.TotalSeconds:0.0} s, first schedule recovered in {first.ElapsedMilliseconds} ms; node RSS {Rss(node)} MiB");

// 4. Lateness: 1,000 schedules due within the same 10 s window, fired on this node.
var start = DateTimeOffset.UtcNow.AddSeconds(15);
start = start.AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond));
var due = new Dictionary<string, DateTimeOffset>();
for (var i = 0; i < 1000; i++)
{
    var at = start.AddSeconds(i % 10);
    using var response = await http.PostAsJsonAsync("/scheduled/create", new { to = $"l{i}@example.com", channels = new[] { 1 }, content = "now", scheduled_time = Local(at) });
    var body = await response.Content.ReadFromJsonAsync<JsonElement>();
    due[body.GetProperty("schedule_id").GetString()!] = at;
}
await Task.Delay(start.AddSeconds(12) - DateTimeOffset.UtcNow);
var late = new List<double>();
foreach (var (id, at) in due)
{
    for (var tries = 0; ; tries++)
    {
        var records = await http.GetFromJsonAsync<JsonElement>($"/msg/list_msg_records?schedule_id={id}");
        if (records.GetProperty("total").GetInt64() > 0)
        {
            late.Add((DateTimeOffset.Parse(records.GetProperty("records")[0].GetProperty("CreateTime").GetString()!) - at).TotalMilliseconds);
            break;
        }
        if (tries > 100) throw new InvalidOperationException($"schedule {id} did not fire");
        await Task.Delay(100);
    }
}
late.Sort();
Console.WriteLine($"lateness of 1,000 firings (100 per second): p50 {late[late.Count / 2]:0} ms, p99 {late[(int)(late.Count * 0.99)]:0} ms, max {late[^1]:0} ms");
Console.WriteLine($"node peak RSS over the run: {Peak(node)} MiB (this process since the restart)");
node.Kill(entireProcessTree: true);
Directory.Delete(work, recursive: true);
return;

async Task<Process> StartNodeAsync()
{
    var info = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "MsgMate.Node.dll"))
    {
        RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work,
    };
    foreach (var (k, v) in settings) info.Environment[k] = v;
    var process = Process.Start(info)!;
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    for (var i = 0; i < 600; i++)
    {
        try
        {
            using var r = await http.GetAsync("/healthz");
            if (r.IsSuccessStatusCode) return process;
        }
        catch (HttpRequestException) { }
        await Task.Delay(100);
    }
    throw new TimeoutException("node did not start");
}

static long Rss(Process p) => Status(p, "VmRSS:");
static long Peak(Process p) => Status(p, "VmHWM:");
static long Status(Process p, string key) =>
    long.Parse(File.ReadLines($"/proc/{p.Id}/status").First(l => l.StartsWith(key)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}
