using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MsgMate.KafkaMock;
using Npgsql;

namespace MsgMate.Bench;

/// <summary>
/// One MsgMate node in a process of its own (<c>dotnet MsgMate.Node.dll</c>, Release build), configured the way an
/// operator would: environment variables <c>MsgMate__…</c>. Each phase gets a fresh node on a fresh database and
/// fresh lane topics, so that one phase's backlog never weighs on the next one's numbers.
/// </summary>
public sealed class BenchNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly string _logPath;

    private BenchNode(Process process, StreamWriter log, string logPath, NodeApi api, string name, DbProbe probe)
    {
        _process = process;
        _log = log;
        _logPath = logPath;
        Api = api;
        Name = name;
        Probe = probe;
    }

    /// <summary>Direct, read-only counts of the node's record table.</summary>
    public DbProbe Probe { get; }

    public NodeApi Api { get; }

    public string Name { get; }

    public int Pid => _process.Id;

    public static async Task<BenchNode> StartAsync(
        string name, BenchOptions options, KafkaMockCluster kafka, string workDir, int expectedRecordsPerTopic)
    {
        var shared = await SharedSetup.CreateAsync(name, options, kafka, workDir, expectedRecordsPerTopic);
        return await LaunchAsync(name, options, shared, workDir, cluster: null);
    }

    /// <summary>
    /// <paramref name="size"/> nodes in one Akka.NET cluster on loopback: one database, one set of lane topics and one
    /// consumer group, every node a seed (as the tests' process cluster and a StatefulSet have it), started one after
    /// another so that the first forms the cluster and the others join it.
    /// </summary>
    public static async Task<IReadOnlyList<BenchNode>> StartClusterAsync(
        string name, int size, BenchOptions options, KafkaMockCluster kafka, string workDir, int expectedRecordsPerTopic)
    {
        var shared = await SharedSetup.CreateAsync(name, options, kafka, workDir, expectedRecordsPerTopic);
        var remotePorts = Enumerable.Range(0, size).Select(_ => FreePort()).ToArray();
        var seeds = remotePorts.Select(p => $"akka.tcp://msgmate@127.0.0.1:{p}").ToArray();
        var nodes = new List<BenchNode>();
        for (var i = 0; i < size; i++)
        {
            nodes.Add(await LaunchAsync($"{name}{i}", options, shared, workDir, new ClusterSeat(remotePorts[i], seeds)));
        }
        return nodes;
    }

    /// <summary>A member's remoting port and the cluster's seeds.</summary>
    private sealed record ClusterSeat(int RemotePort, IReadOnlyList<string> Seeds);

    /// <summary>What the nodes of one phase share: the lane topics (a prefix) and the record store.</summary>
    private sealed record SharedSetup(string BootstrapServers, string TopicPrefix, int Partitions, string Provider, string ConnectionString)
    {
        public static async Task<SharedSetup> CreateAsync(
            string name, BenchOptions options, KafkaMockCluster kafka, string workDir, int expectedRecordsPerTopic)
        {
            // Fresh lane topics, with enough partitions for the mock's retention.
            var prefix = $"bench-{name}-{Guid.NewGuid():N}"[..24];
            var partitions = options.PartitionsFor(expectedRecordsPerTopic);
            foreach (var lane in new[] { "high", "medium", "low", "retry" })
            {
                kafka.CreateTopic($"{prefix}.{lane}", partitions);
            }
            var (provider, connectionString) = await CreateDatabaseAsync(options, name, workDir);
            return new SharedSetup(kafka.BootstrapServers, prefix, partitions, provider, connectionString);
        }
    }

    private static async Task<BenchNode> LaunchAsync(
        string name, BenchOptions options, SharedSetup shared, string workDir, ClusterSeat? cluster)
    {
        var nodeDll = Path.GetFullPath(options.NodeDll ?? throw new ArgumentException("--node-dll is required"));
        if (!File.Exists(nodeDll))
        {
            throw new FileNotFoundException($"{nodeDll} not found: build it first (bench/run.sh does)");
        }
        var prefix = shared.TopicPrefix;
        var partitions = shared.Partitions;
        var port = FreePort();
        var settings = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["MsgMate:TomlFile"] = "/nonexistent/msgmate.toml",
            // The HTTP sink is on loopback: on the webhook guard's allow-list.
            ["MsgMate:Webhook:AllowedNetworks:0"] = "127.0.0.0/8",
            ["MsgMate:Cluster:Port"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["MsgMate:Queue:SqlQueue"] = options.SqlQueue ? "true" : "false",
            ["MsgMate:Kafka:BootstrapServers"] = shared.BootstrapServers,
            ["MsgMate:Kafka:GroupId"] = $"{prefix}-group",
            ["MsgMate:Kafka:CreateTopicsIfMissing"] = "false",
            ["MsgMate:Kafka:HighTopic"] = $"{prefix}.high",
            ["MsgMate:Kafka:MediumTopic"] = $"{prefix}.medium",
            ["MsgMate:Kafka:LowTopic"] = $"{prefix}.low",
            ["MsgMate:Kafka:RetryTopic"] = $"{prefix}.retry",
        };
        settings["MsgMate:Storage:Provider"] = shared.Provider;
        settings["MsgMate:Storage:ConnectionString"] = shared.ConnectionString;
        if (cluster is not null)
        {
            settings["MsgMate:Cluster:Port"] = cluster.RemotePort.ToString();
            for (var i = 0; i < cluster.Seeds.Count; i++)
            {
                settings[$"MsgMate:Cluster:SeedNodes:{i}"] = cluster.Seeds[i];
            }
            // The split-brain resolver and failure detector stay at the node's defaults (stable-after 7 s, 3 s of
            // missed heartbeats): the failover measured is the one an operator gets.
        }
        if (options.Parallelism is { } p)
        {
            settings["MsgMate:Delivery:HighParallelism"] = p.High.ToString();
            settings["MsgMate:Delivery:MediumParallelism"] = p.Medium.ToString();
            settings["MsgMate:Delivery:LowParallelism"] = p.Low.ToString();
        }
        foreach (var (key, value) in options.NodeSettings)
        {
            settings[key] = value;
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { nodeDll },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            // Its appsettings.json sits next to it; data goes where the connection string says.
            WorkingDirectory = Path.GetDirectoryName(nodeDll)!,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }
        var logPath = Path.Combine(workDir, $"node-{name}.log");
        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var api = new NodeApi(new Uri($"http://127.0.0.1:{port}"));
        var node = new BenchNode(process, log, logPath, api, name,
            new DbProbe(settings["MsgMate:Storage:Provider"], settings["MsgMate:Storage:ConnectionString"]));
        var deadline = BenchClock.Now + 90;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the node exited with {process.ExitCode}; see {logPath}:\n{node.LogTail(30)}");
            }
            if (await api.IsHealthyAsync())
            {
                break;
            }
            if (BenchClock.Now > deadline)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"the node did not answer /healthz within 90 s; see {logPath}");
            }
            await Task.Delay(200);
        }
        Console.WriteLine($"  node '{name}' up: pid {process.Id}, http://127.0.0.1:{port}, {settings["MsgMate:Storage:Provider"]}, " +
            $"topics {prefix}.* x {partitions} partitions, parallelism " +
            (options.Parallelism is { } q ? $"{q.High}/{q.Medium}/{q.Low}" : "default (64/32/16)"));
        return node;
    }

    /// <summary>Warnings and errors the node logged (Serilog at Warning), grouped by their text without ids and numbers.</summary>
    public IReadOnlyList<(string Line, int Count)> LoggedProblems(int max = 5)
    {
        _log.Flush();
        string[] lines;
        try
        {
            using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            lines = reader.ReadToEnd().Split('\n');
        }
        catch (IOException)
        {
            return [];
        }
        return lines
            .Where(l => l.Contains(" WRN]", StringComparison.Ordinal) || l.Contains(" ERR]", StringComparison.Ordinal)
                || l.Contains(" FTL]", StringComparison.Ordinal))
            // Akka.NET logs these at start-up, before the lone node is Up; the singletons are found within the second.
            .Where(l => !l.Contains("ClusterSingletonProxy failed to find an associated singleton", StringComparison.Ordinal))
            // "[11:43:15 WRN] Source: text": keep the level and the text, make ids and numbers alike.
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l.TrimStart('\uFEFF'), @"^\[\d\d:\d\d:\d\d ", "["))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "#"))
            .Select(l => l.Length > 200 ? l[..200] + "…" : l)
            .GroupBy(l => l)
            .OrderByDescending(g => g.Count())
            .Take(max)
            .Select(g => (g.Key, g.Count()))
            .ToList();
    }

    public string LogTail(int lines)
    {
        try
        {
            using var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>kill -9: the crash the cluster phase measures failover after.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A benchmark node holds nothing worth a graceful drain; SIGKILL keeps the run short.
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Api.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static async Task<(string Provider, string ConnectionString)> CreateDatabaseAsync(BenchOptions options, string name, string workDir)
    {
        if (options.Db == "sqlite")
        {
            return ("sqlite", $"Data Source={Path.Combine(workDir, $"{name}.db")}");
        }
        var database = $"bench_{name}_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(options.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(options.PostgresAdmin) { Database = database };
        return ("postgresql", builder.ConnectionString);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The node's HTTP API as the harness uses it.</summary>
public sealed class NodeApi : IDisposable
{
    private readonly HttpClient _http;

    public NodeApi(Uri address)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(120),
        };
    }

    /// <summary>The answer to a send_msg: HTTP status, wire code, first msgID and the number of ids.</summary>
    public sealed record SendResult(int Status, int Code, string? MsgId, int Count, string? Error, IReadOnlyList<string>? MsgIds = null)
    {
        public bool Ok => Status == 200 && Code == 0;
    }

    public async Task<bool> IsHealthyAsync()
    {
        try
        {
            using var response = await _http.GetAsync("/healthz");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>GET /readyz answered 200: the node is an Up member, its stores and queue answer and it is not leaving.</summary>
    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync("/readyz");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>POST /msg/send_msg with a pre-built JSON body; <paramref name="wantIds"/> also reads every msgID of the answer.</summary>
    public async Task<SendResult> SendAsync(string json, string sourceId, bool wantIds = false, string? idempotencyKey = null)
    {
        var (status, body, failure) = await PostAsync("/msg/send_msg", json, sourceId, idempotencyKey);
        if (failure is not null)
        {
            return new SendResult(0, -1, null, 0, failure);
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var code = root.TryGetProperty("code", out var c) ? c.GetInt32() : -1;
            var msgId = root.TryGetProperty("msgID", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var count = root.TryGetProperty("count", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32()
                : root.TryGetProperty("msgIDs", out var ids) && ids.ValueKind == JsonValueKind.Array ? ids.GetArrayLength() : 0;
            var error = code == 0 ? null : root.TryGetProperty("msg", out var e) ? e.GetString() : Encoding.UTF8.GetString(body);
            List<string>? all = null;
            if (wantIds && root.TryGetProperty("msgIDs", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                all = [.. list.EnumerateArray().Select(x => x.GetString() ?? "")];
            }
            return new SendResult(status, code, msgId, count, error, all);
        }
        catch (JsonException)
        {
            return new SendResult(status, -1, null, 0, Encoding.UTF8.GetString(body));
        }
    }

    /// <summary>POST /scheduled/create: the new schedule's id, or why not.</summary>
    public async Task<(bool Ok, string? ScheduleId, string? Error)> CreateScheduleAsync(string json, string sourceId)
    {
        var (status, body, failure) = await PostAsync("/scheduled/create", json, sourceId);
        if (failure is not null)
        {
            return (false, null, failure);
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var code = root.TryGetProperty("code", out var c) ? c.GetInt32() : -1;
            return status == 200 && code == 0 && root.TryGetProperty("schedule_id", out var id)
                ? (true, id.GetString(), null)
                : (false, null, $"HTTP {status} code {code}: {(root.TryGetProperty("msg", out var m) ? m.GetString() : "")}");
        }
        catch (JsonException)
        {
            return (false, null, $"HTTP {status}: {Encoding.UTF8.GetString(body)}");
        }
    }

    /// <summary>POSTs a JSON body with a Source-Id: the HTTP status and body, or why there was no answer.</summary>
    private async Task<(int Status, byte[] Body, string? Failure)> PostAsync(string path, string json, string sourceId, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Source-Id", sourceId);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        try
        {
            using var response = await _http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(), null);
        }
        catch (HttpRequestException e)
        {
            return (0, [], e.Message);
        }
        catch (TaskCanceledException)
        {
            return (0, [], "timed out");
        }
    }

    /// <summary><c>total</c> of GET /msg/list_msg_records with these filters (page_size=1).</summary>
    public async Task<long> CountRecordsAsync(string filters)
    {
        using var response = await _http.GetAsync($"/msg/list_msg_records?page=1&page_size=1&{filters}");
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return doc.RootElement.GetProperty("total").GetInt64();
    }

    /// <summary>GET /msg/get_msg_record: the record's JSON root, cloned.</summary>
    public async Task<JsonElement> GetRecordAsync(string msgId)
    {
        using var response = await _http.GetAsync($"/msg/get_msg_record?msgID={Uri.EscapeDataString(msgId)}");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return doc.RootElement.Clone();
    }

    public void Dispose() => _http.Dispose();
}
