using System.Collections.Concurrent;
using System.Text.Json;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Lark;
using MsgMate.Actors.Common;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>One scripted answer of the fake.</summary>
/// <param name="Body">JSON (or any text, e.g. a gateway's HTML page); null: no body.</param>
public sealed record FakeReply(int Status, string? Body, TimeSpan Delay = default, params (string Name, string Value)[] Headers)
{
    public static FakeReply Json(int status, object body, params (string Name, string Value)[] headers) =>
        new(status, JsonSerializer.Serialize(body), default, headers);
}

/// <summary>
/// A loopback Lark open platform (WireMock) whose two endpoints answer from scripts. Every request is recorded
/// before it is answered — so when the client has its answer, the request is already counted — and sequences
/// are counted here, not with WireMock scenarios (whose state may change after the answer is sent).
/// </summary>
public sealed class LarkFake : IDisposable
{
    public const string TokenPath = "/open-apis/auth/v3/tenant_access_token/internal";
    public const string MessagesPath = "/open-apis/im/v1/messages";
    public const string AppId = "cli_a1b2c3d4e5f6a7b8";
    public const string AppSecret = "s3cr3t-app-secret-value";

    /// <summary>Generous: the machine may be loaded; only the timeout tests use a short one.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<IRequestMessage> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(string? Token, Func<int, FakeReply> Reply)> _messageRules = [];
    private readonly object _lock = new();
    private Func<int, FakeReply> _token = _ => FakeReply.Json(404, new { code = 404, msg = "no token script" });
    private int _tokenCount;
    private int _messageCount;

    public LarkFake()
    {
        Server.Given(Request.Create().WithPath(TokenPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(request => AnswerAsync(request, () => _token(Interlocked.Increment(ref _tokenCount) - 1))));
        Server.Given(Request.Create().WithPath(MessagesPath).UsingPost())
            .RespondWith(Response.Create().WithCallback(request => AnswerAsync(request, () => MessageReply(request, Interlocked.Increment(ref _messageCount) - 1))));
    }

    public WireMockServer Server { get; } = WireMockServer.Start();

    public string Url => Server.Url!;

    /// <summary>The token endpoint issues <paramref name="token"/> valid <paramref name="expire"/> seconds.</summary>
    public LarkFake TokenOk(string token = "t-first", int expire = 7200) =>
        Token(_ => FakeReply.Json(200, new { code = 0, msg = "ok", tenant_access_token = token, expire }));

    /// <summary>The token endpoint issues the tokens one after the other (the last one from then on).</summary>
    public LarkFake TokenSequence(params string[] tokens) =>
        Token(n => FakeReply.Json(200, new { code = 0, msg = "ok", tenant_access_token = tokens[Math.Min(n, tokens.Length - 1)], expire = 7200 }));

    public LarkFake TokenAnswers(int status, object? body, params (string Name, string Value)[] headers) =>
        Token(_ => body is null or string ? new FakeReply(status, (string?)body, default, headers) : FakeReply.Json(status, body, headers));

    /// <summary>The token endpoint's n-th request (from 0) gets this answer.</summary>
    public LarkFake Token(Func<int, FakeReply> reply)
    {
        _token = reply;
        return this;
    }

    /// <summary>Messages sent with <c>Bearer <paramref name="token"/></c> (any token when null) are accepted.</summary>
    public LarkFake MessageOk(string messageId = "om_dc13264520392913993dd051dba21dcf", string? token = null) =>
        Message(_ => FakeReply.Json(200, new { code = 0, msg = "success", data = new { message_id = messageId, msg_type = "text", chat_id = "oc_x" } }), token);

    /// <summary>Messages (sent with <paramref name="token"/>, or any) get this answer.</summary>
    public LarkFake MessageAnswers(int status, object? body, string? token = null, TimeSpan? delay = null, params (string Name, string Value)[] headers) =>
        Message(_ => body is null or string
            ? new FakeReply(status, (string?)body, delay ?? default, headers)
            : FakeReply.Json(status, body, headers) with { Delay = delay ?? default }, token);

    /// <summary>
    /// Messages sent with <paramref name="token"/> (any when null) get this answer (n: the message request's number);
    /// a rule for the exact token wins over one for any, a later rule over an earlier one.
    /// </summary>
    public LarkFake Message(Func<int, FakeReply> reply, string? token = null)
    {
        lock (_lock)
        {
            _messageRules.Add((token, reply));
        }
        return this;
    }

    public IReadOnlyList<IRequestMessage> Requests(string path) => _requests.Where(r => r.Path == path).ToList();

    public int RequestCount => _requests.Count;

    public static string Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } values
            ? string.Join(", ", values)
            : "";

    public static JsonElement BodyJson(IRequestMessage request) => JsonDocument.Parse(request.Body!).RootElement.Clone();

    /// <summary>The <c>content</c> string of a message request, parsed.</summary>
    public static JsonElement Content(IRequestMessage request)
    {
        var content = BodyJson(request).GetProperty("content");
        Assert.Equal(JsonValueKind.String, content.ValueKind);
        return JsonDocument.Parse(content.GetString()!).RootElement.Clone();
    }

    public static LarkAppSettings App(string baseUrl, TimeSpan? timeout = null, TimeSpan? margin = null, string name = "lark") => new(
        name, AppId, AppSecret, new Uri(baseUrl.TrimEnd('/') + "/"), timeout ?? TestTimeout, margin ?? TimeSpan.FromMinutes(30),
        new ProviderPolicy());

    public LarkProvider Provider(ManualClock? clock = null, TimeSpan? timeout = null, TimeSpan? margin = null) =>
        new(App(Url, timeout, margin), new HttpClient(), clock ?? new ManualClock());

    public static OutboundMessage Message(string to = "ou_7d8a6e6df7621556ce0d21922b676706ccs", string body = "Hi there", string subject = "",
        string type = "", string msgId = "5f0c6d0e-3b7a-4c1e-9d2f-8a6b4c3d2e1f") =>
        new(msgId, Channel.Lark, to, subject, body, false, ProviderTemplateId: type);

    public void Dispose()
    {
        _stopping.Cancel();
        Server.Stop();
        _stopping.Dispose();
    }

    private FakeReply MessageReply(IRequestMessage request, int n)
    {
        var bearer = Header(request, "Authorization");
        lock (_lock)
        {
            var rule = _messageRules.LastOrDefault(r => r.Token is not null && bearer == $"Bearer {r.Token}");
            if (rule.Reply is null)
            {
                rule = _messageRules.LastOrDefault(r => r.Token is null);
            }
            return rule.Reply?.Invoke(n) ?? FakeReply.Json(400, new { code = 99991663, msg = "Invalid access token for authorization." });
        }
    }

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request, Func<FakeReply> script)
    {
        _requests.Enqueue(request);
        var reply = script();
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopping: answer at once.
            }
        }
        var response = new ResponseMessage { StatusCode = reply.Status };
        foreach (var (name, value) in reply.Headers)
        {
            response.AddHeader(name, value);
        }
        if (reply.Body is { } body)
        {
            var json = body.TrimStart().StartsWith('{');
            response.AddHeader("Content-Type", json ? "application/json; charset=utf-8" : "text/html");
            response.BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = System.Text.Encoding.UTF8 };
        }
        return response;
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset? start = null) : TimeProvider
{
    private long _ticks = (start ?? new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero)).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
