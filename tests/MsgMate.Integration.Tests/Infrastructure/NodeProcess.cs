using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// A MsgMate node in a process of its own (the built MsgMate.Node next to the tests), so that a test can kill it
/// the hard way (SIGKILL) and start it again on the same database.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly OutputTail _output;

    private NodeProcess(Process process, NodeHttp http, OutputTail output)
    {
        _process = process;
        Http = http;
        _output = output;
    }

    public NodeHttp Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the node wrote (stdout and stderr), for a failure message.</summary>
    public string RecentOutput => _output.Text;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<NodeProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, int httpPort)
    {
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "MsgMate.Node.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["MsgMate__TomlFile"] = "/nonexistent/msgmate.toml";
        start.Environment["MsgMate__Webhook__AllowedNetworks__0"] = "127.0.0.0/8";
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__")] = value;
        }
        var process = Process.Start(start)!;
        // Drain the output so that the child never blocks on a full pipe; the last lines are kept for diagnosis.
        var tail = new OutputTail();
        process.OutputDataReceived += (_, e) => tail.Add(e.Data);
        process.ErrorDataReceived += (_, e) => tail.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var http = new NodeHttp(new Uri($"http://127.0.0.1:{httpPort}"));
        await Eventually.AssertAsync(async () =>
        {
            if (process.HasExited)
            {
                Assert.Fail($"the node process exited with {process.ExitCode}:{Environment.NewLine}{tail.Text}");
            }
            try
            {
                using var response = await http.Client.GetAsync("/healthz");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(180), "the node process answers /healthz");
        await NodeHost.WaitForEntitiesAsync(http.GetAsync);
        return new NodeProcess(process, http, tail);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>SIGTERM, as Kubernetes or systemd stop a process: the node leaves the cluster gracefully and exits.</summary>
    public void Terminate()
    {
        const int sigterm = 15;
        Assert.Equal(0, SendSignal(_process.Id, sigterm));
    }

    /// <summary>Waits for the process to exit on its own; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node did not exit within {timeout.TotalSeconds:0} s:{Environment.NewLine}{_output.Text}");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining, in-flight work lost mid-way.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Http.Client.Dispose();
    }
}

/// <summary>The last lines of a process's output (bounded).</summary>
internal sealed class OutputTail
{
    private const int Lines = 60;
    private readonly Queue<string> _lines = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > Lines)
            {
                _lines.Dequeue();
            }
        }
    }

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }
}

/// <summary>HTTP to a node reached by address (a separate process).</summary>
public sealed class NodeHttp(Uri address)
{
    public HttpClient Client { get; } = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

    public async Task<Answer> PostAsync(string path, object body)
    {
        using var response = await Client.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));
        return await Answer.ReadAsync(response);
    }

    public async Task<Answer> GetAsync(string pathAndQuery)
    {
        using var response = await Client.GetAsync(pathAndQuery);
        return await Answer.ReadAsync(response);
    }
}
