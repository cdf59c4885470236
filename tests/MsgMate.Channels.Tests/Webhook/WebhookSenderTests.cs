using System.Net;
using System.Text;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Webhook;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static MsgMate.Channels.Tests.Webhook.WebhookTestKit;

namespace MsgMate.Channels.Tests.Webhook;

/// <summary>End to end against a WireMock fake on loopback; every target is a loopback address or a name a fake resolver maps.</summary>
public sealed class WebhookSenderTests(FakeReceiver receiver) : IClassFixture<FakeReceiver>, IDisposable
{
    private const string MsgId = "3f2b9c1e-0d4a-4c51-9a77-1f0e2d3c4b5a";

    private readonly WireMockServer _fake = Fresh(receiver.Server);
    private readonly FixedClock _clock = new(Instant);
    private readonly List<IDisposable> _senders = [];

    public void Dispose()
    {
        _senders.ForEach(s => s.Dispose());
    }

    private static WireMockServer Fresh(WireMockServer server)
    {
        server.Reset();
        return server;
    }

    private WebhookSender Direct(WebhookOptions options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        var sender = new WebhookSender(options, new WebhookTransport(options, resolve), _clock);
        _senders.Add(sender);
        return sender;
    }

    private void Answer(string path, int status, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status);
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }
        _fake.Given(Request.Create().WithPath(path).UsingPost()).RespondWith(response);
    }

    [Fact(DisplayName = "A 2xx delivers: one POST to the exact URL with the exact JSON bytes, webhook-id, webhook-timestamp and a signature that verifies independently")]
    public async Task Delivers_signed()
    {
        Answer("/hook/in", 200);
        var sender = Direct(LoopbackAllowed(o => o.Secret = Secret));

        var outcome = await sender.SendAsync(Hook(_fake.Url("/hook/in?tenant=a&x=1"), MsgId), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal("webhook", outcome.Provider);
        var entry = Assert.Single(_fake.LogEntries);
        Assert.Equal("POST", entry.Request().Method);
        Assert.Equal("/hook/in", entry.Request().Path);
        Assert.Equal(["a"], entry.Request().Query!["tenant"]);
        Assert.Equal(["1"], entry.Request().Query!["x"]);
        var body = entry.Request().BodyAsBytes ?? Encoding.UTF8.GetBytes(entry.Request().Body ?? "");
        Assert.Equal($"{{\"msgID\":\"{MsgId}\",\"subject\":\"S\",\"content\":\"hook 1\",\"templateData\":{{\"x\":\"1\"}}}}", Encoding.UTF8.GetString(body));
        Assert.Equal("application/json; charset=utf-8", entry.Header("Content-Type"));
        Assert.Equal(MsgId, entry.Header("webhook-id"));
        Assert.Equal("1614265330", entry.Header("webhook-timestamp"));
        Assert.StartsWith("v1,", entry.Header("webhook-signature"));
        Assert.True(Verifies(Secret, entry.Header("webhook-id"), entry.Header("webhook-timestamp"), body, entry.Header("webhook-signature")));
        Assert.Equal($"127.0.0.1:{_fake.Port}", entry.Header("Host"));
        Assert.False(entry.HasHeader("Cookie"));
        Assert.False(entry.HasHeader("Authorization"));
    }

    [Fact(DisplayName = "The timestamp is the injected clock's Unix seconds at the send; the id stays the msgID on a later attempt")]
    public async Task Timestamp_from_clock()
    {
        Answer("/t", 200);
        var sender = Direct(LoopbackAllowed(o => o.Secret = Secret));

        await sender.SendAsync(Hook(_fake.Url("/t"), MsgId), CancellationToken.None);
        _clock.Now = Instant.AddMinutes(5).AddMilliseconds(999);
        await sender.SendAsync(Hook(_fake.Url("/t"), MsgId), CancellationToken.None);

        var entries = _fake.LogEntries.OrderBy(e => e.Request().DateTime).ToList();
        Assert.Equal(["1614265330", "1614265630"], entries.Select(e => e.Header("webhook-timestamp")));
        Assert.All(entries, e => Assert.Equal(MsgId, e.Header("webhook-id")));
        Assert.All(entries, e => Assert.True(Verifies(Secret, e.Header("webhook-id"), e.Header("webhook-timestamp"), e.Request().BodyAsBytes!, e.Header("webhook-signature"))));
        Assert.NotEqual(entries[0].Header("webhook-signature"), entries[1].Header("webhook-signature"));
    }

    [Fact(DisplayName = "Without a secret the POST is unsigned: no webhook-signature, but webhook-id and webhook-timestamp are sent")]
    public async Task Unsigned_without_secret()
    {
        Answer("/plain", 204);
        var sender = Direct(LoopbackAllowed());

        var outcome = await sender.SendAsync(Hook(_fake.Url("/plain"), MsgId), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.False(sender.Signs);
        var entry = Assert.Single(_fake.LogEntries);
        Assert.False(entry.HasHeader("webhook-signature"));
        Assert.Equal(MsgId, entry.Header("webhook-id"));
        Assert.Equal("1614265330", entry.Header("webhook-timestamp"));
    }

    [Theory(DisplayName = "Classification: 2xx sent; 408, 429 and 5xx retryable; other 4xx permanent; the status is in the error")]
    [InlineData(200, SendResult.Sent)]
    [InlineData(201, SendResult.Sent)]
    [InlineData(202, SendResult.Sent)]
    [InlineData(204, SendResult.Sent)]
    [InlineData(408, SendResult.RetryableFailure)]
    [InlineData(429, SendResult.RetryableFailure)]
    [InlineData(500, SendResult.RetryableFailure)]
    [InlineData(502, SendResult.RetryableFailure)]
    [InlineData(503, SendResult.RetryableFailure)]
    [InlineData(504, SendResult.RetryableFailure)]
    [InlineData(400, SendResult.PermanentFailure)]
    [InlineData(401, SendResult.PermanentFailure)]
    [InlineData(403, SendResult.PermanentFailure)]
    [InlineData(404, SendResult.PermanentFailure)]
    [InlineData(410, SendResult.PermanentFailure)]
    [InlineData(413, SendResult.PermanentFailure)]
    [InlineData(422, SendResult.PermanentFailure)]
    public async Task Classification(int status, SendResult expected)
    {
        Answer("/c", status);
        var sender = Direct(LoopbackAllowed());

        var outcome = await sender.SendAsync(Hook(_fake.Url("/c")), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        if (expected == SendResult.Sent)
        {
            Assert.Null(outcome.Error);
        }
        else
        {
            Assert.StartsWith($"HTTP {status}", outcome.Error);
        }
        Assert.Single(_fake.LogEntries);
    }

    [Theory(DisplayName = "Retry-After on 429 and 503 is passed on (seconds or an HTTP date, by the injected clock), capped; elsewhere ignored")]
    [InlineData(429, "120", 120.0)]
    [InlineData(503, "7", 7.0)]
    [InlineData(503, "date+90", 90.0)]
    [InlineData(429, "date-30", 0.0)]
    [InlineData(429, "86400", 3600.0)]
    [InlineData(500, "30", null)]
    [InlineData(502, "30", null)]
    [InlineData(429, "", null)]
    public async Task Retry_after(int status, string header, double? seconds)
    {
        var value = header.StartsWith("date", StringComparison.Ordinal)
            ? Instant.AddSeconds(int.Parse(header[4..], System.Globalization.CultureInfo.InvariantCulture)).ToString("r")
            : header;
        Answer("/slow", status, value.Length > 0 ? [("Retry-After", value)] : []);
        var sender = Direct(LoopbackAllowed());

        var outcome = await sender.SendAsync(Hook(_fake.Url("/slow")), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, outcome.RetryAfter);
    }

    [Fact(DisplayName = "Loopback is refused by default: permanent, with the reason, and the receiver gets nothing")]
    public async Task Loopback_refused_by_default()
    {
        Answer("/hook", 200);
        var sender = Direct(new WebhookOptions());

        var outcome = await sender.SendAsync(Hook(_fake.Url("/hook")), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("target refused: 127.0.0.1 is loopback (127.0.0.0/8)", outcome.Error);
        Assert.Empty(_fake.LogEntries);
    }

    [Fact(DisplayName = "Loopback is delivered when AllowedNetworks names 127.0.0.0/8")]
    public async Task Loopback_allow_listed()
    {
        Answer("/hook", 200);
        var sender = Direct(new WebhookOptions { AllowedNetworks = ["127.0.0.0/8"] });

        var outcome = await sender.SendAsync(Hook(_fake.Url("/hook")), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Single(_fake.LogEntries);
    }

    [Fact(DisplayName = "A name is resolved when connecting; resolving to loopback it is refused before any connection")]
    public async Task Name_resolving_to_loopback_refused()
    {
        Answer("/hook", 200);
        var lookups = new List<string>();
        var sender = Direct(new WebhookOptions(), (host, _) =>
        {
            lookups.Add(host);
            return Task.FromResult(new[] { IPAddress.Loopback });
        });

        var outcome = await sender.SendAsync(Hook($"http://hooks.example.net:{_fake.Port}/hook"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("target refused: hooks.example.net resolves to a refused address: 127.0.0.1 is loopback (127.0.0.0/8)", outcome.Error);
        Assert.Equal(["hooks.example.net"], lookups);
        Assert.Empty(_fake.LogEntries);
    }

    [Fact(DisplayName = "Every resolved address must pass: one private address among allowed ones refuses the name")]
    public async Task All_resolved_addresses_must_pass()
    {
        Answer("/hook", 200);
        var sender = Direct(LoopbackAllowed(), (_, _) => Task.FromResult(new[] { IPAddress.Loopback, IPAddress.Parse("10.0.0.1") }));

        var outcome = await sender.SendAsync(Hook($"http://hooks.example.net:{_fake.Port}/hook"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("10.0.0.1 is private (10.0.0.0/8)", outcome.Error);
        Assert.Empty(_fake.LogEntries);
    }

    [Fact(DisplayName = "The connection goes to the very address checked (one lookup, the fake resolver's answer), the request keeps the host name")]
    public async Task Connects_to_checked_address()
    {
        Answer("/hook", 200);
        var lookups = 0;
        var sender = Direct(LoopbackAllowed(), (_, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Task.FromResult(new[] { IPAddress.Loopback });
        });

        var outcome = await sender.SendAsync(Hook($"http://hooks.example.net:{_fake.Port}/hook"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal(1, lookups);
        Assert.Equal($"hooks.example.net:{_fake.Port}", Assert.Single(_fake.LogEntries).Header("Host"));
    }

    [Fact(DisplayName = "An IPv4-mapped answer is judged and connected as its IPv4 address")]
    public async Task Mapped_answer_connected_over_ipv4()
    {
        Answer("/hook", 200);
        var refused = Direct(new WebhookOptions(), (_, _) => Task.FromResult(new[] { IPAddress.Parse("::ffff:127.0.0.1") }));
        var allowed = Direct(LoopbackAllowed(), (_, _) => Task.FromResult(new[] { IPAddress.Parse("::ffff:127.0.0.1") }));

        var no = await refused.SendAsync(Hook($"http://hooks.example.net:{_fake.Port}/hook"), CancellationToken.None);
        var yes = await allowed.SendAsync(Hook($"http://hooks.example.net:{_fake.Port}/hook"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, no.Result);
        Assert.Contains("IPv4-mapped 127.0.0.1, which is loopback", no.Error);
        Assert.Equal(SendResult.Sent, yes.Result);
        Assert.Single(_fake.LogEntries);
    }

    [Fact(DisplayName = "A redirect from an allowed endpoint to the metadata address is refused before connecting: permanent, with the reason")]
    public async Task Redirect_to_metadata_refused()
    {
        Answer("/start", 307, ("Location", "http://169.254.169.254/latest/meta-data/"));
        var sender = Direct(LoopbackAllowed());

        var outcome = await sender.SendAsync(Hook(_fake.Url("/start")), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("redirect target refused: 169.254.169.254 is link-local (169.254.0.0/16); a cloud metadata service", outcome.Error);
        Assert.Single(_fake.LogEntries);
    }

    [Fact(DisplayName = "A redirect to a name that resolves to a private address is refused when connecting")]
    public async Task Redirect_to_private_name_refused()
    {
        Answer("/start", 302, ("Location", "http://internal.example.net/admin"));
        var sender = Direct(LoopbackAllowed(), (host, _) =>
            Task.FromResult(host == "internal.example.net" ? [IPAddress.Parse("192.168.0.10")] : Array.Empty<IPAddress>()));

        var outcome = await sender.SendAsync(Hook(_fake.Url("/start")), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("redirect target refused: internal.example.net resolves to a refused address: 192.168.0.10 is private (192.168.0.0/16)", outcome.Error);
        Assert.Single(_fake.LogEntries);
    }

    [Theory(DisplayName = "An allowed redirect is followed with the same POST: same body bytes, same id, timestamp and signature")]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Redirect_followed(int status)
    {
        Answer("/old", status, ("Location", "/new?v=2"));
        Answer("/new", 200);
        var sender = Direct(LoopbackAllowed(o => o.Secret = Secret));

        var outcome = await sender.SendAsync(Hook(_fake.Url("/old"), MsgId), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var entries = _fake.LogEntries.OrderBy(e => e.Request().DateTime).ToList();
        Assert.Equal(["/old", "/new"], entries.Select(e => e.Request().Path));
        Assert.All(entries, e => Assert.Equal("POST", e.Request().Method));
        Assert.Equal(entries[0].Request().BodyAsBytes, entries[1].Request().BodyAsBytes);
        foreach (var header in new[] { "webhook-id", "webhook-timestamp", "webhook-signature" })
        {
            Assert.Equal(entries[0].Header(header), entries[1].Header(header));
        }
        Assert.True(Verifies(Secret, entries[1].Header("webhook-id"), entries[1].Header("webhook-timestamp"), entries[1].Request().BodyAsBytes!, entries[1].Header("webhook-signature")));
    }

    [Fact(DisplayName = "Redirects beyond MaxRedirects are a permanent failure; with MaxRedirects 0 none is followed")]
    public async Task Too_many_redirects()
    {
        Answer("/loop", 307, ("Location", "/loop"));

        var limited = await Direct(LoopbackAllowed(o => o.MaxRedirects = 2)).SendAsync(Hook(_fake.Url("/loop")), CancellationToken.None);
        var requestsWhenLimited = _fake.LogEntries.Count();
        var none = await Direct(LoopbackAllowed(o => o.MaxRedirects = 0)).SendAsync(Hook(_fake.Url("/loop")), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, limited.Result);
        Assert.Equal("HTTP 307 redirect: more than 2 redirects", limited.Error);
        Assert.Equal(3, requestsWhenLimited);
        Assert.Equal(SendResult.PermanentFailure, none.Result);
        Assert.Equal("HTTP 307 redirect: redirects are not followed", none.Error);
        Assert.Equal(4, _fake.LogEntries.Count());
    }

    [Fact(DisplayName = "A redirect without Location is permanent")]
    public async Task Redirect_without_location()
    {
        Answer("/r", 302);

        var outcome = await Direct(LoopbackAllowed()).SendAsync(Hook(_fake.Url("/r")), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("HTTP 302 without a Location header", outcome.Error);
    }

    [Fact(DisplayName = "Nothing listening (connection refused) is retryable")]
    public async Task Connection_refused_retryable()
    {
        var outcome = await Direct(LoopbackAllowed()).SendAsync(Hook($"http://127.0.0.1:{TestSupport.ClosedPort()}/hook"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.StartsWith("request failed:", outcome.Error);
    }

    [Fact(DisplayName = "A receiver slower than the timeout is a retryable timeout")]
    public async Task Timeout_retryable()
    {
        _fake.Given(Request.Create().WithPath("/slow").UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(5)));
        var sender = Direct(LoopbackAllowed(o => o.Timeout = TimeSpan.FromMilliseconds(300)));

        var outcome = await sender.SendAsync(Hook(_fake.Url("/slow")), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal("timed out after 0.3 s", outcome.Error);
    }

    [Fact(DisplayName = "The caller's cancellation is not a delivery outcome: it propagates")]
    public async Task Caller_cancellation_propagates()
    {
        _fake.Given(Request.Create().WithPath("/slow").UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(5)));
        var sender = Direct(LoopbackAllowed());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(Hook(_fake.Url("/slow")), cts.Token));
    }

    [Theory(DisplayName = "A message id that cannot be a webhook-id (a '.', a control character) is permanent, without sending")]
    [InlineData("a.b")]
    [InlineData("a\r\nX-Injected: 1")]
    [InlineData("")]
    public async Task Bad_message_id(string msgId)
    {
        Answer("/hook", 200);

        var outcome = await Direct(LoopbackAllowed()).SendAsync(Hook(_fake.Url("/hook"), msgId), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains("webhook-id", outcome.Error);
        Assert.Empty(_fake.LogEntries);
    }

    [Theory(DisplayName = "The direct provider refuses a recipient that is not an http(s) URL, without sending")]
    [InlineData("orders")]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("/relative/path")]
    public async Task Not_a_url(string to)
    {
        var sender = Direct(LoopbackAllowed());

        Assert.False(sender.CanSend(Hook(to)));
        var outcome = await sender.SendAsync(Hook(to), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("the recipient is not an http(s) URL", outcome.Error);
    }
}
