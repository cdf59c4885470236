using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MimeKit;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;

namespace MsgMate.Channels.Tests;

/// <summary>Messages and small helpers shared by the channel tests.</summary>
public static class TestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static OutboundMessage Mail(string msgId, string to = "alice@example.com", string subject = "Hello", string body = "Hi there", bool isHtml = false) =>
        new(msgId, Channel.Email, to, subject, body, isHtml);

    public static MimeMessage ParseMime(string rfc822)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(rfc822));
        return MimeMessage.Load(stream);
    }

    /// <summary>A port on which nothing listens: bound once to get a free number, then released.</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Keeps every log entry, to check what is (and is not) logged.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
