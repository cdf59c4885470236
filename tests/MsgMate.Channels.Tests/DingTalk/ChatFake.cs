using System.Text.Json;
using System.Text.Json.Nodes;
using MsgMate.Actors.Channels;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace MsgMate.Channels.Tests.DingTalk;

/// <summary>
/// A loopback DingTalk / WeCom API (WireMock): both answer HTTP 200 with <c>errcode</c>, so one fake serves both
/// vendors' tests.
/// </summary>
public sealed class ChatFake : IDisposable
{
    public WireMockServer Server { get; } = WireMockServer.Start();

    public string Url => Server.Url!;

    /// <summary>Requests to <paramref name="path"/> (optionally with the query value <paramref name="param"/>) get this answer.</summary>
    public ChatFake Answer(string path, object? body, int status = 200, string method = "POST", (string Name, string Value)? param = null,
        TimeSpan? delay = null)
    {
        var request = Request.Create().WithPath(path).UsingMethod(method);
        if (param is { } p)
        {
            request = request.WithParam(p.Name, p.Value);
        }
        var response = Respond(status, body);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }
        Server.Given(request).RespondWith(response);
        return this;
    }

    /// <summary>The token endpoint answers these bodies one after the other (the last one from then on).</summary>
    public ChatFake Sequence(string path, string method, params object[] bodies)
    {
        for (var i = 0; i < bodies.Length; i++)
        {
            var mapping = Server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(path);
            if (i > 0)
            {
                mapping = mapping.WhenStateIs($"answer-{i}");
            }
            if (i < bodies.Length - 1)
            {
                mapping = mapping.WillSetStateTo($"answer-{i + 1}");
            }
            mapping.RespondWith(Respond(200, bodies[i]));
        }
        return this;
    }

    public IReadOnlyList<IRequestMessage> Requests(string path) =>
        Server.LogEntries.Select(e => e.RequestMessage).OfType<IRequestMessage>().Where(r => r.Path == path).ToList();

    public void Dispose() => Server.Stop();

    /// <summary>The request's query string exactly as sent (without "?").</summary>
    public static string Query(IRequestMessage request) => new Uri(request.Url).Query.TrimStart('?');

    public static string Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } values
            ? string.Join(", ", values)
            : "";

    /// <summary>The body is exactly this JSON (same members, same values, no others).</summary>
    public static void AssertJson(string expected, IRequestMessage request)
    {
        var actual = JsonNode.Parse(request.Body!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, sent {request.Body}");
    }

    /// <summary>A POST carried JSON in UTF-8.</summary>
    public static void AssertJsonContentType(IRequestMessage request)
    {
        var type = Header(request, "Content-Type").Replace(" ", "").ToLowerInvariant();
        Assert.Equal("application/json;charset=utf-8", type);
    }

    public static HttpClient Client() => new();

    /// <summary>
    /// Gets the app's token cached under a short request timeout: a loaded machine may miss it once or twice, a
    /// failed token request is not cached, so ask again (at most 20 times).
    /// </summary>
    public static async Task WarmToken(MsgMate.Actors.Channels.Tokens.CachedToken token)
    {
        for (var i = 0; i < 20; i++)
        {
            if ((await token.GetAsync(CancellationToken.None)).Token is not null)
            {
                return;
            }
        }
        Assert.Fail("the fake's token endpoint did not answer within the timeout 20 times");
    }

    private static IResponseBuilder Respond(int status, object? body)
    {
        var response = Response.Create().WithStatusCode(status);
        return body switch
        {
            null => response,
            string text => response.WithHeader("Content-Type", "text/html").WithBody(text),
            _ => response.WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(body)),
        };
    }
}

/// <summary>
/// A loopback port that accepts connections (the kernel completes the handshake) but never answers: a vendor that
/// does not respond, without a server holding a delayed answer.
/// </summary>
public sealed class BlackHole : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);

    public BlackHole() => _listener.Start(backlog: 64);

    public string Url => $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Dispose() => _listener.Stop();
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class StepClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public static StepClock At(long unixMs) => new(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>Provider lookups over a factory's registrations.</summary>
public static class Registrations
{
    public static IProvider Provider(this IReadOnlyList<ProviderRegistration> registrations, string name) =>
        registrations.Single(r => r.Provider.Name == name).Provider;

    /// <summary>The names of the providers that say they can send <paramref name="message"/>.</summary>
    public static IReadOnlyList<string> Takers(this IReadOnlyList<ProviderRegistration> registrations, OutboundMessage message) =>
        registrations.Where(r => r.Provider.CanSend(message)).Select(r => r.Provider.Name).ToList();
}
