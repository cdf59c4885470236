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

    private NodeProcess(Process process, NodeHttp http)
    {
        _process = process;
        Http = http;
    }

    public NodeHttp Http { get; }

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
        // Drain the output so that the child never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var http = new NodeHttp(new Uri($"http://127.0.0.1:{httpPort}"));
        await Eventually.AssertAsync(async () =>
        {
            if (process.HasExited)
            {
                Assert.Fail($"the node process exited with {process.ExitCode}");
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
        return new NodeProcess(process, http);
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
