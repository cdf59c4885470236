using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using MsgMate.Node;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>A real MsgMate node on loopback (random HTTP and remoting ports) over a real database.</summary>
public sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NodeHost(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="apiKey">For a node in keys mode: the client sends this key (and no Source-Id) on every request.</param>
    public static async Task<NodeHost> StartAsync(
        string provider, string connectionString, IDictionary<string, string?>? extra = null, string? apiKey = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["MsgMate:Storage:Provider"] = provider,
            ["MsgMate:Storage:ConnectionString"] = connectionString,
            ["MsgMate:Cluster:Port"] = "0",
            ["MsgMate:TomlFile"] = "/nonexistent/msgmate.toml",
            // The tests' HTTP sinks listen on loopback, which the webhook guard refuses unless allowed.
            ["MsgMate:Webhook:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var app = MsgMateNode.Build([], config => config.AddInMemoryCollection(settings));
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is null)
        {
            client.DefaultRequestHeaders.Add("Source-Id", "integration-tests");
        }
        else
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        var node = new NodeHost(app, client);
        await WaitForEntitiesAsync(node.GetAsync);
        return node;
    }

    /// <summary>
    /// A node is started before it has joined its cluster and its shard regions work: until then a request to an
    /// entity waits out the ask timeout (503). Ready once an unknown schedule is answered "not found" (8051).
    /// </summary>
    public static Task WaitForEntitiesAsync(Func<string, Task<Answer>> get) => Eventually.AssertAsync(
        async () => (await get("/scheduled/get?schedule_id=warm-up")).Code == 8051,
        TimeSpan.FromSeconds(120), "the node reaches its entities (cluster joined, shard regions up)");

    public async Task<Answer> PostAsync(string path, object body, IReadOnlyDictionary<string, string>? headers = null) =>
        await PostRawAsync(path, JsonSerializer.Serialize(body), headers: headers);

    public async Task<Answer> PostRawAsync(
        string path, string body, string contentType = "application/json", IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await Client.SendAsync(request);
        return await Answer.ReadAsync(response);
    }

    public async Task<Answer> GetAsync(string pathAndQuery)
    {
        using var response = await Client.GetAsync(pathAndQuery);
        return await Answer.ReadAsync(response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An HTTP answer: its status and its JSON body.</summary>
public sealed record Answer(int Status, JsonElement Body)
{
    public int Code => Body.GetProperty("code").GetInt32();

    public string Msg => Body.GetProperty("msg").GetString()!;

    public JsonElement this[string field] => Body.GetProperty(field);

    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return new Answer((int)response.StatusCode, doc.RootElement.Clone());
    }

    public Answer ShouldSucceed()
    {
        Assert.True(Status == 200 && Code == 0, $"expected success, got HTTP {Status}: {Body}");
        return this;
    }

    public Answer ShouldFail(int code, int status)
    {
        Assert.True(Status == status && Code == code, $"expected HTTP {status} code {code}, got HTTP {Status}: {Body}");
        Assert.False(string.IsNullOrWhiteSpace(Msg));
        return this;
    }
}

/// <summary>One node per test class, on a fresh database of the class's kind.</summary>
public abstract class NodeFixture(Db db) : IAsyncLifetime
{
    public NodeHost Node { get; private set; } = null!;

    public string Provider { get; private set; } = "";

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        (Provider, ConnectionString) = await TestDatabases.CreateAsync(db);
        Node = await NodeHost.StartAsync(Provider, ConnectionString);
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

public sealed class SqliteNode() : NodeFixture(Db.Sqlite);

public sealed class PostgresNode() : NodeFixture(Db.PostgreSql);

public sealed class MariaDbNode() : NodeFixture(Db.MariaDb);
