namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// N node processes on loopback sharing one store, each keeping its HTTP and remoting ports across restarts (a
/// restarted member comes back at the same address, as a StatefulSet pod does). Every node lists every node as a
/// seed, so a restarted first seed joins the running cluster instead of forming a new one.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly (int Http, int Remote)[] _ports;
    private readonly Dictionary<string, string?> _settings;
    private readonly NodeProcess?[] _nodes;

    public ProcessCluster(int size, IReadOnlyDictionary<string, string?> settings)
    {
        _ports = Enumerable.Range(0, size).Select(_ => (NodeProcess.FreePort(), NodeProcess.FreePort())).ToArray();
        _settings = new Dictionary<string, string?>(settings);
        for (var i = 0; i < size; i++)
        {
            _settings[$"MsgMate:Cluster:SeedNodes:{i}"] = RemoteAddress(i);
        }
        _nodes = new NodeProcess?[size];
    }

    public int Size => _nodes.Length;

    public NodeProcess this[int i] => _nodes[i] ?? throw new InvalidOperationException($"node {i} is not running");

    public bool IsRunning(int i) => _nodes[i] is { HasExited: false };

    /// <summary>The member's Akka address, as the cluster and the admin API name it.</summary>
    public string RemoteAddress(int i) => $"akka.tcp://msgmate@127.0.0.1:{_ports[i].Remote}";

    public Uri HttpAddress(int i) => new($"http://127.0.0.1:{_ports[i].Http}");

    /// <summary>Starts node <paramref name="i"/> (again) and waits until it serves its entities.</summary>
    public async Task StartAsync(int i)
    {
        if (_nodes[i] is { } old)
        {
            await old.DisposeAsync();
        }
        _nodes[i] = null;
        var settings = new Dictionary<string, string?>(_settings) { ["MsgMate:Cluster:Port"] = _ports[i].Remote.ToString() };
        _nodes[i] = await NodeProcess.StartAsync(settings, _ports[i].Http);
    }

    public async Task StartAllAsync()
    {
        // One after another: the first seed forms the cluster, the others join it.
        for (var i = 0; i < Size; i++)
        {
            await StartAsync(i);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }
    }
}
