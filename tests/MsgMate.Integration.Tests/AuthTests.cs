using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Security;
using MsgMate.Actors.Storage;
using MsgMate.Http.Infrastructure;
using MsgMate.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Integration.Tests;

/// <summary>A node in keys mode with a bootstrap admin key and two legacy sources (one from loopback, one from 10/8 only).</summary>
public sealed class KeysModeFixture : IAsyncLifetime
{
    public const string AdminKey = "integration-bootstrap-admin-key-0123456789";

    public NodeHost Node { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        (_, ConnectionString) = await TestDatabases.CreateAsync(Db.Sqlite);
        Node = await NodeHost.StartAsync("sqlite", ConnectionString, new Dictionary<string, string?>
        {
            ["MsgMate:Auth:Mode"] = "keys",
            ["MsgMate:Auth:BootstrapAdminKey"] = AdminKey,
            ["MsgMate:Auth:LegacySources:0:SourceId"] = "frontend-user",
            ["MsgMate:Auth:LegacySources:0:Scopes:0"] = "read",
            ["MsgMate:Auth:LegacySources:0:Scopes:1"] = "users",
            ["MsgMate:Auth:LegacySources:0:Scopes:2"] = "templates",
            ["MsgMate:Auth:LegacySources:1:SourceId"] = "far-away",
            ["MsgMate:Auth:LegacySources:1:Scopes:0"] = "send",
            ["MsgMate:Auth:LegacySources:1:Networks:0"] = "10.0.0.0/8",
        }, apiKey: AdminKey);
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

public sealed class AuthTests(KeysModeFixture fixture, ITestOutputHelper output) : IClassFixture<KeysModeFixture>
{
    private NodeHost Node => fixture.Node;

    /// <summary>A request with exactly these headers (none of the test client's defaults).</summary>
    private async Task<Answer> SendAsync(HttpMethod method, string path, string? key = null, string? source = null, string? body = null, string? apiKeyHeader = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Node.Client.BaseAddress!, path));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (apiKeyHeader is not null)
        {
            request.Headers.Add("X-Api-Key", apiKeyHeader);
        }
        if (source is not null)
        {
            request.Headers.Add("Source-Id", source);
        }
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent(body ?? "{}", Encoding.UTF8, "application/json");
        }
        using var client = new HttpClient();
        using var response = await client.SendAsync(request);
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            // /healthz answers text.
            return new Answer((int)response.StatusCode, System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone());
        }
        return await Answer.ReadAsync(response);
    }

    private async Task<(string Key, string KeyId)> CreateKeyAsync(string source, params string[] scopes)
    {
        var answer = (await Node.PostAsync("/admin/keys", new { source_id = source, scopes, name = "test" })).ShouldSucceed();
        return (answer["key"].GetString()!, answer["key_id"].GetString()!);
    }

    /// <summary>Every route of the node, with what it needs (from the endpoints themselves, as the access check reads them).</summary>
    private IReadOnlyList<(string Method, string Path, AccessRequirement Needs)> Routes() =>
        [.. Node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.Contains("{"))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'), AccessControl.RequirementOf(e))))];

    [Fact(DisplayName = "Auth matrix: every route × {no key, wrong key, revoked key, key without the scope, right key} → 401 / 401 / 401 / 403 / let in")]
    public async Task Matrix()
    {
        var keys = new Dictionary<Scope, string>();
        foreach (var scope in Enum.GetValues<Scope>())
        {
            keys[scope] = (await CreateKeyAsync("matrix", ScopeSet.Name(scope))).Key;
        }
        var (revoked, revokedId) = await CreateKeyAsync("matrix", ScopeSet.AllNames.Split(", "));
        (await Node.PostAsync("/admin/keys/revoke", new { key_id = revokedId })).ShouldSucceed();
        var wrong = ApiKeyToken.Generate().Key;

        var routes = Routes();
        Assert.Contains(routes, r => r.Path == "/msg/send_msg");
        Assert.Contains(routes, r => r.Path == "/admin/keys" && r.Method == "POST");
        var cases = 0;
        foreach (var (method, path, needs) in routes)
        {
            var verb = new HttpMethod(method);
            if (needs is AccessRequirement.Public)
            {
                var open = await SendAsync(verb, path);
                Assert.True(open.Status is 200, $"{method} {path} is public: HTTP {open.Status}");
                cases++;
                continue;
            }
            var scope = ((AccessRequirement.Needs)needs).Scope;
            var other = scope == Scope.Send ? Scope.Read : Scope.Send;
            (await SendAsync(verb, path)).ShouldFail(8060, 401);
            (await SendAsync(verb, path, key: wrong)).ShouldFail(8060, 401);
            (await SendAsync(verb, path, key: revoked)).ShouldFail(8060, 401);
            (await SendAsync(verb, path, key: keys[other])).ShouldFail(8061, 403);
            var right = await SendAsync(verb, path, key: keys[scope]);
            Assert.True(right.Status is not (401 or 403) && right.Status < 500, $"{method} {path} with a '{ScopeSet.Name(scope)}' key: HTTP {right.Status} {right.Body}");
            var byHeader = await SendAsync(verb, path, apiKeyHeader: keys[scope]);
            Assert.Equal(right.Status, byHeader.Status);
            cases += 6;
        }
        output.WriteLine($"{routes.Count} routes, {cases} cases");
        // An unknown path is a 401 before a 404: nothing answers a caller without a key.
        (await SendAsync(HttpMethod.Get, "/no/such/route")).ShouldFail(8060, 401);
        (await SendAsync(HttpMethod.Get, "/no/such/route", key: fixture.Node is null ? "" : KeysModeFixture.AdminKey)).ShouldFail(8020, 404);
    }

    [Fact(DisplayName = "Public without a key: /healthz, /readyz, /metrics and the OpenAPI document, which names the scope of each operation")]
    public async Task Public_routes()
    {
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, "/healthz")).Status);
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, "/metrics")).Status);
        var ready = await SendAsync(HttpMethod.Get, "/readyz");
        Assert.Equal(200, ready.Status);
        Assert.Equal("healthy", ready.Body.GetProperty("checks").GetProperty("auth").GetProperty("status").GetString());
        var doc = await SendAsync(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(200, doc.Status);
        var send = doc.Body.GetProperty("paths").GetProperty("/msg/send_msg").GetProperty("post");
        Assert.Equal("send", send.GetProperty("security")[0].GetProperty("bearer")[0].GetString());
        Assert.True(send.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(send.GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(doc.Body.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("apiKey", out _));
    }

    [Fact(DisplayName = "Legacy sources: allowed from their networks with their scopes only; from another network 401; a Source-Id other than the key's 403")]
    public async Task Legacy_and_source_binding()
    {
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", source: "frontend-user")).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/user/list", source: "frontend-user")).ShouldSucceed();
        // The Go console's pages read users, templates, records and statistics with Source-Id: frontend-user.
        (await SendAsync(HttpMethod.Get, "/msg/list_templates?page=1&page_size=10", source: "frontend-user")).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/user/tag_statistics", source: "frontend-user")).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/msg/statistics", source: "frontend-user")).ShouldSucceed();
        (await SendAsync(HttpMethod.Post, "/msg/send_msg", source: "frontend-user")).ShouldFail(8061, 403);
        // far-away is allowed from 10/8 only; the test connects from loopback.
        (await SendAsync(HttpMethod.Post, "/msg/send_msg", source: "far-away")).ShouldFail(8060, 401);
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", source: "someone")).ShouldFail(8060, 401);

        var (key, _) = await CreateKeyAsync("billing", "send", "read");
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: key, source: "marketing")).ShouldFail(8061, 403);
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: key, source: "billing")).ShouldSucceed();
    }

    [Fact(DisplayName = "Keys: created (shown once), listed without secrets, rotated (both work in the grace period), revoked (refused at once); each change audited")]
    public async Task Key_lifecycle()
    {
        var (key, id) = await CreateKeyAsync("lifecycle", "read");
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: key)).ShouldSucceed();

        var list = await SendAsync(HttpMethod.Get, "/admin/keys", key: KeysModeFixture.AdminKey);
        list.ShouldSucceed();
        var text = list.Body.ToString();
        Assert.DoesNotContain(key, text);
        Assert.DoesNotContain(ApiKeyToken.Hash(key), text);
        Assert.DoesNotContain(KeysModeFixture.AdminKey, text);
        var listed = list["keys"].EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == id);
        Assert.Equal("active", listed.GetProperty("status").GetString());

        var rotated = (await Node.PostAsync("/admin/keys/rotate", new { key_id = id })).ShouldSucceed();
        var newKey = rotated["key"].GetString()!;
        var newId = rotated["key_id"].GetString()!;
        Assert.Equal("lifecycle", rotated["source_id"].GetString());
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: key)).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: newKey)).ShouldSucceed();
        (await Node.PostAsync("/admin/keys/rotate", new { key_id = id })).ShouldFail(8049, 409);

        (await Node.PostAsync("/admin/keys/revoke", new { key_id = id })).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: key)).ShouldFail(8060, 401);
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records", key: newKey)).ShouldSucceed();
        (await Node.PostAsync("/admin/keys/revoke", new { key_id = id })).ShouldFail(8049, 409);
        (await Node.PostAsync("/admin/keys/revoke", new { key_id = "000000000000" })).ShouldFail(8052, 404);
        (await Node.PostAsync("/admin/keys", new { source_id = "x", scopes = new[] { "root" } })).ShouldFail(8020, 400);
        (await Node.PostAsync("/admin/keys", new { source_id = "", scopes = new[] { "send" } })).ShouldFail(8020, 400);

        var audit = (await Node.GetAsync($"/admin/audit?target={id}")).ShouldSucceed();
        var actions = audit["entries"].EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "key.create", "key.rotate", "key.revoke" }, actions);
        var entry = audit["entries"].EnumerateArray().First(e => e.GetProperty("action").GetString() == "key.revoke");
        Assert.Equal("bootstrap", entry.GetProperty("key_id").GetString());
        Assert.Equal("127.0.0.1", entry.GetProperty("remote").GetString());
        Assert.DoesNotContain(newKey, audit.Body.ToString());
    }

    [Fact(DisplayName = "Records belong to their source: a key without admin sees, cancels and counts only its own source's messages")]
    public async Task Records_per_source()
    {
        var (a, _) = await CreateKeyAsync("source-a", "send", "read");
        var (b, _) = await CreateKeyAsync("source-b", "send", "read");
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();
        var sent = await SendAsync(HttpMethod.Post, "/msg/send_msg", key: a,
            body: $$"""{"to":"person@example.com","channels":[1],"subject":"s","content":"hello","sendTimestamp":{{tomorrow}}}""");
        var msgId = sent.ShouldSucceed()["msgID"].GetString()!;

        (await SendAsync(HttpMethod.Get, $"/msg/get_msg_record?msgID={msgId}", key: a)).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, $"/msg/get_msg_record?msgID={msgId}", key: b)).ShouldFail(8050, 404);
        (await SendAsync(HttpMethod.Get, $"/msg/get_msg_record?msgID={msgId}", key: KeysModeFixture.AdminKey)).ShouldSucceed();
        (await SendAsync(HttpMethod.Get, "/msg/list_msg_records?source_id=source-a", key: b)).ShouldFail(8061, 403);
        Assert.Equal(0, (await SendAsync(HttpMethod.Get, $"/msg/list_msg_records?msg_id={msgId}", key: b)).ShouldSucceed()["total"].GetInt64());
        Assert.Equal(1, (await SendAsync(HttpMethod.Get, $"/msg/list_msg_records?msg_id={msgId}", key: a)).ShouldSucceed()["total"].GetInt64());
        (await SendAsync(HttpMethod.Post, "/msg/cancel", key: b, body: $$"""{"msgID":"{{msgId}}"}""")).ShouldFail(8050, 404);
        Assert.Equal(0, (await SendAsync(HttpMethod.Get, "/msg/statistics", key: b)).ShouldSucceed()["total"].GetInt64());
        (await SendAsync(HttpMethod.Post, "/msg/cancel", key: a, body: $$"""{"msgID":"{{msgId}}"}""")).ShouldSucceed();

        var record = (await SendAsync(HttpMethod.Get, $"/msg/get_msg_record?msgID={msgId}", key: a)).ShouldSucceed();
        Assert.Equal("source-a", record["source_id"].GetString());
        var audit = (await Node.GetAsync($"/admin/audit?action=msg.cancel&target={msgId}")).ShouldSucceed();
        Assert.Equal("source-a", audit["entries"][0].GetProperty("source_id").GetString());
    }

    [Fact(DisplayName = "Without a bootstrap key, the first start in keys mode generates one admin key (once); open mode generates none")]
    public async Task First_admin_key_is_generated_once()
    {
        var db = await TestDatabases.CreateWithSchemaAsync(Db.Sqlite);
        var store = new ApiKeyStore(db);
        Assert.Null(await new ApiKeyService(store, new AuthOptions { Mode = "open" }, TimeProvider.System).EnsureAdminKeyAsync());
        var keys = new ApiKeyService(store, new AuthOptions { Mode = "keys" }, TimeProvider.System);
        var first = await keys.EnsureAdminKeyAsync();
        Assert.NotNull(first);
        Assert.Null(await keys.EnsureAdminKeyAsync());
        var stored = await keys.LookupAsync(first);
        Assert.True(stored!.Scopes.IsAdmin);
        Assert.True(ApiKeyToken.Matches(first, stored.SecretHash));
    }
}
