using System.Text;
using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The limits on a request's line, headers and body, by raw requests over a loopback socket: the node answers each in
/// the envelope <c>{code: 8020, msg}</c> with 414, 431 or 413. Defaults: request line 8 KiB, headers 32 KiB and 100
/// lines, body 1 MiB; Kestrel's own limits sit at 256 KiB, past which it answers bare.
/// </summary>
public sealed class RequestLimitTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private const int MaxBody = 1024 * 1024;

    private Uri Server => fixture.Node.Client.BaseAddress!;

    private static string Get(string target, string headers = "") =>
        $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n";

    private static void ShouldBeEnvelope(RawHttp.Response response, int status, int code = 8020)
    {
        Assert.True(response.Status == status, $"expected HTTP {status}, got {response}");
        var json = response.Json;
        Assert.True(json is not null, $"expected the envelope, got {response}");
        Assert.Equal(code, json.Value.GetProperty("code").GetInt32());
        var msg = json.Value.GetProperty("msg").GetString();
        Assert.False(string.IsNullOrWhiteSpace(msg));
        Assert.True(msg.Length <= 300, $"msg of {msg.Length} characters");
        Assert.StartsWith("application/json", response.Headers["Content-Type"]);
    }

    [Fact(DisplayName = "A 20 KB request URI answers 414 in the envelope {code 8020, msg}")]
    public async Task Uri_too_long() =>
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, Get("/user/get?user_id=" + new string('u', 20 * 1024))), 414);

    [Fact(DisplayName = "A 20 KB URI on a POST route answers 414 in the envelope before the body is looked at")]
    public async Task Uri_too_long_on_post()
    {
        const string body = """{"user_id":"x","name":"x"}""";
        var head = $"POST /user/create?pad={new string('p', 20 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, head, s => s.WriteAsync(Encoding.ASCII.GetBytes(body)).AsTask()), 414);
    }

    [Fact(DisplayName = "A 40 KB header answers 431 in the envelope {code 8020, msg}")]
    public async Task Header_too_large() =>
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, Get("/user/list", $"X-Big: {new string('h', 40 * 1024)}\r\n")), 431);

    [Fact(DisplayName = "Headers of 40 KB in many small lines answer 431 in the envelope")]
    public async Task Headers_too_large_in_total()
    {
        var headers = string.Concat(Enumerable.Range(0, 50).Select(i => $"X-Part-{i}: {new string('h', 800)}\r\n"));
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, Get("/user/list", headers)), 431);
    }

    [Fact(DisplayName = "More than 100 header lines answer 431 in the envelope")]
    public async Task Too_many_headers()
    {
        var headers = string.Concat(Enumerable.Range(0, 120).Select(i => $"X-H{i}: v\r\n"));
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, Get("/user/list", headers)), 431);
    }

    [Fact(DisplayName = "Just under the limits (a 7 KB URI, a 30 KB header, 90 header lines) the route answers as usual")]
    public async Task Under_the_limits()
    {
        // The route itself refuses a 7000-character user_id: 400 from the handler, not 414.
        var longId = await RawHttp.SendAsync(Server, Get("/user/get?user_id=" + new string('u', 7000)));
        ShouldBeEnvelope(longId, 400);
        Assert.Contains("at most 64", longId.Json!.Value.GetProperty("msg").GetString());

        var bigHeader = await RawHttp.SendAsync(Server, Get("/user/list", $"X-Big: {new string('h', 30 * 1024)}\r\n"));
        ShouldBeEnvelope(bigHeader, 200, code: 0);

        var many = await RawHttp.SendAsync(Server, Get("/user/list", string.Concat(Enumerable.Range(0, 90).Select(i => $"X-H{i}: v\r\n"))));
        ShouldBeEnvelope(many, 200, code: 0);
    }

    [Fact(DisplayName = "A Content-Length over the limit (2 MiB announced, no body sent) answers 413 in the envelope")]
    public async Task Content_length_too_large()
    {
        var head = $"POST /user/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {2 * MaxBody}\r\n\r\n";
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, head), 413);
    }

    [Fact(DisplayName = "A Content-Length over the limit with the body sent answers 413 in the envelope")]
    public async Task Content_length_too_large_with_body()
    {
        var bytes = new byte[MaxBody + 1];
        Array.Fill(bytes, (byte)' ');
        "{}"u8.CopyTo(bytes);
        var head = $"POST /msg/send_msg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
        ShouldBeEnvelope(await RawHttp.SendAsync(Server, head, s => s.WriteAsync(bytes).AsTask()), 413);
    }

    [Theory(DisplayName = "A chunked body over the limit answers 413 in the envelope (JSON and form)")]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Chunked_too_large(string contentType)
    {
        var head = $"POST /user/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\n\r\n";
        var response = await RawHttp.SendAsync(Server, head, async s =>
        {
            var piece = new byte[64 * 1024];
            Array.Fill(piece, (byte)'a');
            for (var sent = 0; sent <= MaxBody; sent += piece.Length)
            {
                await s.WriteAsync(Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n"));
                await s.WriteAsync(piece);
                await s.WriteAsync("\r\n"u8.ToArray());
            }
            await s.WriteAsync("0\r\n\r\n"u8.ToArray());
        });
        ShouldBeEnvelope(response, 413);
    }

    /// <summary>Documents the limitation: past Kestrel's raised limit nothing of the node runs, so no envelope.</summary>
    [Fact(DisplayName = "Past Kestrel's own (raised) limit, a 300 KB URI gets Kestrel's bare 414 without a body")]
    public async Task Past_kestrel_limit_is_bare()
    {
        var response = await RawHttp.SendAsync(Server, Get("/user/get?user_id=" + new string('u', 300 * 1024)));
        Assert.Equal(414, response.Status);
        Assert.Null(response.Json);
    }

    /// <summary>Documents the limitation: a request line Kestrel cannot parse never reaches the node.</summary>
    [Fact(DisplayName = "A malformed request line gets Kestrel's bare 400 without a body")]
    public async Task Malformed_request_line_is_bare()
    {
        var response = await RawHttp.SendAsync(Server, "GARBAGE\r\n\r\n");
        Assert.Equal(400, response.Status);
        Assert.Null(response.Json);
    }

    [Fact(DisplayName = "The limits come from the options: a node with MaxRequestLineBytes 1024 answers a 2 KB URI with 414")]
    public async Task Limits_are_configurable()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        await using var node = await NodeHost.StartAsync(provider, connection, new Dictionary<string, string?>
        {
            ["MsgMate:MaxRequestLineBytes"] = "1024",
            ["MsgMate:MaxRequestHeadersBytes"] = "2048",
        });
        var server = node.Client.BaseAddress!;
        ShouldBeEnvelope(await RawHttp.SendAsync(server, Get("/user/get?user_id=" + new string('u', 2048))), 414);
        ShouldBeEnvelope(await RawHttp.SendAsync(server, Get("/user/list", $"X-Big: {new string('h', 3000)}\r\n")), 431);
        ShouldBeEnvelope(await RawHttp.SendAsync(server, Get("/user/list")), 200, code: 0);
        using var json = JsonDocument.Parse((await RawHttp.SendAsync(server, Get("/user/get?user_id=" + new string('u', 900)))).Body);
        Assert.Equal(8020, json.RootElement.GetProperty("code").GetInt32());
    }
}
