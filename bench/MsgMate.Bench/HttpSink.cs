using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MsgMate.Bench;

/// <summary>One monotonic clock for everything the harness times (seconds since the harness started).</summary>
public static class BenchClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    public static double Now => Stopwatch.GetElapsedTime(Origin).TotalSeconds;
}

/// <summary>
/// The webhook receiver: Kestrel on 127.0.0.1 answering every <c>POST /sink/{tag}/{n}</c> with 200 and recording,
/// per tag, when each msgID (the JSON body's <c>msgID</c>, as the webhook channel posts it) first arrived, and how
/// many arrived twice. The node's webhook channel posts each message to the URL given as its recipient.
/// </summary>
public sealed class HttpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, Tag> _tags = new(StringComparer.Ordinal);
    private readonly int _delayMs;

    private HttpSink(WebApplication app, int delayMs)
    {
        _app = app;
        _delayMs = delayMs;
    }

    public int Port { get; private set; }

    /// <summary>Arrivals of one tag: first arrival time per msgID, duplicates, and requests without a msgID.</summary>
    public sealed class Tag
    {
        private readonly Dictionary<string, double> _arrivals = new(StringComparer.Ordinal);
        private long _duplicates;
        private long _unreadable;

        public int Count
        {
            get
            {
                lock (_arrivals)
                {
                    return _arrivals.Count;
                }
            }
        }

        public long Duplicates => Interlocked.Read(ref _duplicates);

        public long Unreadable => Interlocked.Read(ref _unreadable);

        /// <summary>When <paramref name="msgId"/> first arrived (harness seconds), or null.</summary>
        public double? ArrivalOf(string msgId)
        {
            lock (_arrivals)
            {
                return _arrivals.TryGetValue(msgId, out var at) ? at : null;
            }
        }

        /// <summary>Every first arrival time, unordered.</summary>
        public double[] ArrivalTimes()
        {
            lock (_arrivals)
            {
                return [.. _arrivals.Values];
            }
        }

        internal void Arrived(string? msgId, double at)
        {
            if (msgId is null)
            {
                Interlocked.Increment(ref _unreadable);
                return;
            }
            lock (_arrivals)
            {
                if (!_arrivals.TryAdd(msgId, at))
                {
                    _duplicates++;
                }
            }
        }
    }

    public static async Task<HttpSink> StartAsync(int delayMs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var sink = new HttpSink(app, delayMs);
        app.Run(sink.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Port = new Uri(address).Port;
        return sink;
    }

    /// <summary>The URL of recipient <paramref name="n"/> of a tag; distinct per recipient (intake drops duplicate addresses).</summary>
    public string UrlFor(string tag, string n) => $"http://127.0.0.1:{Port}/sink/{tag}/{n}";

    public Tag this[string tag]
    {
        get
        {
            lock (_tags)
            {
                if (!_tags.TryGetValue(tag, out var t))
                {
                    _tags[tag] = t = new Tag();
                }
                return t;
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!HttpMethods.IsPost(context.Request.Method) || !path.StartsWith("/sink/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }
        var tagEnd = path.IndexOf('/', 6);
        var tag = tagEnd < 0 ? path[6..] : path[6..tagEnd];
        var msgId = await ReadMsgIdAsync(context.Request);
        var at = BenchClock.Now;
        this[tag].Arrived(msgId, at);
        if (_delayMs > 0)
        {
            await Task.Delay(_delayMs);
        }
        context.Response.StatusCode = 200;
    }

    private static async Task<string?> ReadMsgIdAsync(HttpRequest request)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync();
            if (result.IsCompleted)
            {
                var msgId = FindMsgId(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return msgId;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static string? FindMsgId(ReadOnlySequence<byte> body)
    {
        try
        {
            var json = new Utf8JsonReader(body);
            while (json.Read())
            {
                if (json.TokenType == JsonTokenType.PropertyName && json.CurrentDepth == 1 && json.ValueTextEquals("msgID"u8))
                {
                    json.Read();
                    return json.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
