using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>A private redis-server on a free loopback port (the Debian package test.sh installs), stopped at will.</summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000";

    public static async Task<RedisProcess> StartAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var redis = new RedisProcess(process, port);
        await Eventually.AssertAsync(async () =>
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "redis-server listens");
        return redis;
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}

public sealed class QuotaTests
{
    private const long Hour = 3_600_000;

    private static Dictionary<string, string?> Rules(string? redis) => new()
    {
        ["MsgMate:Redis:Configuration"] = redis,
        ["MsgMate:Quotas:Rules:0:Scope"] = "global",
        ["MsgMate:Quotas:Rules:0:Channel"] = "1",
        ["MsgMate:Quotas:Rules:0:Num"] = "6",
        ["MsgMate:Quotas:Rules:0:Unit"] = Hour.ToString(),
        ["MsgMate:Quotas:Rules:1:Scope"] = "recipient",
        ["MsgMate:Quotas:Rules:1:Channel"] = "1",
        ["MsgMate:Quotas:Rules:1:Num"] = "2",
        ["MsgMate:Quotas:Rules:1:Unit"] = Hour.ToString(),
    };

    private static Task<Answer> SendAsync(NodeHost node, params string[] to) =>
        node.PostAsync("/msg/send_msg", new { to = string.Join(",", to), channels = new[] { 1 }, subject = "q", content = "quota test" });

    private static async Task<long> StoredAsync(NodeHost node) =>
        (await node.GetAsync("/msg/list_msg_records?page_size=1")).ShouldSucceed()["total"].GetInt64();

    private static async Task<(int Status, string? RetryAfter, JsonElement Body)> SendRawAsync(NodeHost node, string to)
    {
        using var response = await node.Client.PostAsync("/msg/send_msg", new StringContent(
            JsonSerializer.Serialize(new { to, channels = new[] { 1 }, subject = "q", content = "quota test" }), Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(), doc.RootElement.Clone());
    }

    [Fact(DisplayName = "Two nodes on one Redis: the global quota and the per-recipient cap hold across both; over → 429 8062 with Retry-After, nothing stored; Redis stopped → 503, readiness degraded, nothing accepted lost")]
    public async Task Cluster_wide_on_redis()
    {
        await using var redis = await RedisProcess.StartAsync();
        var (_, dbA) = await TestDatabases.CreateAsync(Db.Sqlite);
        var (_, dbB) = await TestDatabases.CreateAsync(Db.Sqlite);
        await using var a = await NodeHost.StartAsync("sqlite", dbA, Rules(redis.Configuration));
        await using var b = await NodeHost.StartAsync("sqlite", dbB, Rules(redis.Configuration));

        (await SendAsync(a, "x@example.com")).ShouldSucceed();
        (await SendAsync(b, "x@example.com")).ShouldSucceed();
        // A third to x: the recipient cap (2 per hour), counted across both nodes.
        var capped = await SendRawAsync(a, "x@example.com");
        Assert.Equal(429, capped.Status);
        Assert.Equal(8062, capped.Body.GetProperty("code").GetInt32());
        Assert.Contains("recipient", capped.Body.GetProperty("msg").GetString());
        Assert.True(double.Parse(capped.RetryAfter!) >= 1, "Retry-After is sent");
        (await SendAsync(b, "y@example.com", "z@example.com")).ShouldSucceed();
        (await SendAsync(a, "w@example.com", "v@example.com")).ShouldSucceed();
        // Six of the global six are used, three on each node.
        var over = await SendRawAsync(b, "u@example.com");
        Assert.Equal(429, over.Status);
        Assert.Contains("global", over.Body.GetProperty("msg").GetString());
        Assert.Equal(3, await StoredAsync(a));
        Assert.Equal(3, await StoredAsync(b));

        await redis.StopAsync();
        var down = await SendRawAsync(a, "t@example.com");
        Assert.Equal(503, down.Status);
        Assert.Equal(8037, down.Body.GetProperty("code").GetInt32());
        var ready = await a.GetAsync("/readyz");
        Assert.Equal(200, ready.Status);
        Assert.Equal("degraded", ready["checks"].GetProperty("quotas").GetProperty("status").GetString());
        Assert.Equal(3, await StoredAsync(a));
        // What was accepted is delivered regardless (the outbox channel: sent).
        foreach (var node in new[] { a, b })
        {
            await Eventually.AssertAsync(
                async () => (await node.GetAsync("/msg/list_msg_records?status=2&page_size=1")).ShouldSucceed()["total"].GetInt64() == 3,
                TimeSpan.FromSeconds(60), "every accepted message is sent while Redis is down");
        }
    }

    [Fact(DisplayName = "Without Redis: the same limits per node in memory; /admin/quotas sets and deletes a source quota; an api quota limits a caller's requests (429 8038)")]
    public async Task In_memory_and_admin()
    {
        var (_, db) = await TestDatabases.CreateAsync(Db.Sqlite);
        await using var node = await NodeHost.StartAsync("sqlite", db, Rules(null));
        for (var i = 0; i < 2; i++)
        {
            (await SendAsync(node, "m@example.com")).ShouldSucceed();
        }
        (await SendAsync(node, "m@example.com")).ShouldFail(8062, 429);

        (await node.PostAsync("/admin/quotas", new { scope = "source", source_id = "limited", channel = 0, num = 1, unit = Hour })).ShouldSucceed();
        var listed = (await node.GetAsync("/admin/quotas")).ShouldSucceed();
        Assert.Contains(listed["quotas"].EnumerateArray(), q => q.GetProperty("subject").GetString() == "limited" && q.GetProperty("origin").GetString() == "stored");
        Assert.Equal("memory (per node)", listed["counter"].GetString());
        var asLimited = new Dictionary<string, string> { ["Source-Id"] = "limited" };
        var body = new { to = "l@example.com", channels = new[] { 1 }, subject = "q", content = "x" };
        (await node.PostAsync("/msg/send_msg", body, asLimited)).ShouldSucceed();
        (await node.PostAsync("/msg/send_msg", body, asLimited)).ShouldFail(8062, 429);
        (await node.PostAsync("/admin/quotas/delete", new { scope = "source", source_id = "limited", channel = 0 })).ShouldSucceed();
        (await node.PostAsync("/admin/quotas/delete", new { scope = "source", source_id = "limited", channel = 0 })).ShouldFail(8052, 404);
        (await node.PostAsync("/msg/send_msg", body with { to = "l2@example.com" }, asLimited)).ShouldSucceed();
        (await node.PostAsync("/admin/quotas", new { scope = "global", num = 0, unit = Hour })).ShouldFail(8020, 400);

        (await node.PostAsync("/admin/quotas", new { scope = "api", caller = "source:chatty", num = 3, unit = 60_000 })).ShouldSucceed();
        var asChatty = new Dictionary<string, string> { ["Source-Id"] = "chatty" };
        for (var i = 0; i < 3; i++)
        {
            (await node.PostRawAsync("/msg/cancel", "{}", headers: asChatty)).ShouldFail(8020, 400);
        }
        (await node.PostRawAsync("/msg/cancel", "{}", headers: asChatty)).ShouldFail(8038, 429);
        var audit = (await node.GetAsync("/admin/audit?action=quota.set")).ShouldSucceed();
        Assert.Equal(2, audit["total"].GetInt64());
    }
}
