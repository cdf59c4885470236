using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MsgMate.Channels.Tests;

/// <summary>Points of an SMTP session where a script can step in.</summary>
public enum SmtpStage
{
    /// <summary>The 220 greeting after accept.</summary>
    Greeting,
    Ehlo,
    Auth,
    MailFrom,
    RcptTo,

    /// <summary>The DATA command (354 go ahead).</summary>
    Data,

    /// <summary>The reply after the message content ("." line): the delivery's verdict.</summary>
    DataEnd,
    Noop,
    Rset,
}

public enum SmtpActionKind
{
    /// <summary>Answer with a code and text.</summary>
    Reply,

    /// <summary>Close the connection without answering.</summary>
    Drop,

    /// <summary>Never answer (until the connection or the server is closed): a timeout on the client side.</summary>
    Stall,
}

/// <summary>What the server does at a stage instead of its normal answer.</summary>
public sealed record SmtpAction(SmtpActionKind Kind, int Code = 0, string Text = "")
{
    public static SmtpAction Reply(int code, string text) => new(SmtpActionKind.Reply, code, text);

    public static readonly SmtpAction Drop = new(SmtpActionKind.Drop);

    public static readonly SmtpAction Stall = new(SmtpActionKind.Stall);
}

/// <summary>A message the server accepted (250 after DATA).</summary>
/// <param name="Data">The message as sent (RFC 822 text, dot-unstuffed, CRLF line ends).</param>
public sealed record ReceivedMail(int ConnectionId, string MailFrom, IReadOnlyList<string> Recipients, string Data);

/// <summary>One command line as received; AUTH payloads are not recorded.</summary>
public sealed record ReceivedCommand(int ConnectionId, string Verb, string Argument);

/// <summary>
/// A scripted ESMTP server on 127.0.0.1 (a random port) for tests: it speaks enough SMTP for MailKit (greeting, EHLO/HELO,
/// AUTH PLAIN/LOGIN when required, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) and can be told to answer a code
/// for the next N times a stage is reached, to drop the connection, or to stall. It records connections, commands and
/// accepted messages, and lets a test await messages instead of sleeping. Self-contained: only the BCL.
/// </summary>
/// <example>
/// <code>
/// await using var smtp = new ScriptedSmtpServer();
/// smtp.FailDeliveries(2, 451);            // first two deliveries: "451 try again later" after DATA
/// // … send three times: retry, retry, sent
/// var mails = await smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
/// </code>
/// </example>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly List<ReceivedMail> _messages = [];
    private readonly List<ReceivedCommand> _commands = [];
    private readonly ConcurrentDictionary<int, Session> _sessions = new();
    private readonly List<(Func<bool> Condition, TaskCompletionSource Signal)> _waiters = [];
    private string? _user;
    private string? _password;
    private int _connectionCount;
    private int _openConnections;
    private int _peakOpenConnections;
    private int _queued;

    /// <summary>Starts listening at once on 127.0.0.1 and a free port.</summary>
    public ScriptedSmtpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>Connections accepted since start.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Connections open now (server side).</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>The most connections that were open at the same time.</summary>
    public int PeakOpenConnections => Volatile.Read(ref _peakOpenConnections);

    /// <summary>Accepted messages, in the order they were accepted.</summary>
    public IReadOnlyList<ReceivedMail> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Every command line received, in order.</summary>
    public IReadOnlyList<ReceivedCommand> Commands
    {
        get
        {
            lock (_gate)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>Advertise AUTH PLAIN LOGIN and accept only these credentials (535 otherwise); MAIL before AUTH gets 530.</summary>
    public ScriptedSmtpServer RequireAuthentication(string user, string password)
    {
        lock (_gate)
        {
            _user = user;
            _password = password;
        }
        return this;
    }

    /// <summary>The next <paramref name="times"/> times <paramref name="stage"/> is reached, do <paramref name="action"/>. Rules for one stage apply in the order added.</summary>
    public ScriptedSmtpServer On(SmtpStage stage, SmtpAction action, int times = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            _rules.Add(new Rule(stage, action, times));
        }
        return this;
    }

    /// <summary>The first <paramref name="count"/> deliveries get <paramref name="code"/> (at the end of DATA by default), later ones are accepted.</summary>
    public ScriptedSmtpServer FailDeliveries(int count, int code = 451, string text = "4.7.1 Try again later", SmtpStage stage = SmtpStage.DataEnd) =>
        On(stage, SmtpAction.Reply(code, text), count);

    /// <summary>Every delivery gets <paramref name="code"/> (at RCPT TO by default).</summary>
    public ScriptedSmtpServer RejectAllDeliveries(int code = 550, string text = "5.1.1 Mailbox unavailable", SmtpStage stage = SmtpStage.RcptTo) =>
        On(stage, SmtpAction.Reply(code, text));

    /// <summary>Close the connection without answering the next <paramref name="times"/> times <paramref name="stage"/> is reached.</summary>
    public ScriptedSmtpServer DropConnectionAt(SmtpStage stage, int times = 1) => On(stage, SmtpAction.Drop, times);

    /// <summary>Forget all rules: from now on every command gets its normal answer.</summary>
    public ScriptedSmtpServer ClearScript()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
        return this;
    }

    /// <summary>
    /// Closes every open connection from the server side (as a server that times out idle clients does) and returns
    /// when those sessions have ended. Clients learn of it only when they next use the connection.
    /// </summary>
    public async Task DropOpenConnectionsAsync()
    {
        var sessions = _sessions.Values.ToList();
        foreach (var session in sessions)
        {
            session.Close();
        }
        await Task.WhenAll(sessions.Select(s => s.Completion)).ConfigureAwait(false);
    }

    /// <summary>Completes when at least <paramref name="count"/> messages were accepted; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        await WaitUntilAsync(() => _messages.Count >= count, timeout, $"{count} accepted message(s)").ConfigureAwait(false);
        return Messages;
    }

    /// <summary>Completes when a command with this verb (e.g. "DATA", "NOOP") has been received; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public Task WaitForCommandAsync(string verb, TimeSpan timeout) =>
        WaitUntilAsync(() => _commands.Any(c => string.Equals(c.Verb, verb, StringComparison.OrdinalIgnoreCase)), timeout, $"a {verb} command");

    /// <summary>Waits for a condition over the recorded state, re-checked whenever a command or a message is recorded.</summary>
    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (condition())
            {
                return;
            }
            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, signal));
        }
        try
        {
            await signal.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Signal == signal);
            }
            throw new TimeoutException($"Expected {what} within {timeout}; got {Messages.Count} message(s) and {Commands.Count} command(s).");
        }
    }

    /// <summary>Caller holds <c>_gate</c>; the signals are set after it is released.</summary>
    private List<TaskCompletionSource> ReadyWaiters()
    {
        var ready = _waiters.Where(w => w.Condition()).Select(w => w.Signal).ToList();
        _waiters.RemoveAll(w => ready.Contains(w.Signal));
        return ready;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        foreach (var session in _sessions.Values)
        {
            session.Close();
        }
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }
        await Task.WhenAll(_sessions.Values.Select(s => s.Completion)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        // Kept so that no session task is left unobserved; the sessions themselves end when their socket closes.
        var sessionTasks = new List<Task>();
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }
            var id = Interlocked.Increment(ref _connectionCount);
            var open = Interlocked.Increment(ref _openConnections);
            UpdatePeak(open);
            var session = new Session(id, client, CancellationTokenSource.CreateLinkedTokenSource(ct));
            _sessions[id] = session;
            sessionTasks.Add(RunSessionAsync(session));
        }
        await Task.WhenAll(sessionTasks).ConfigureAwait(false);
    }

    private void UpdatePeak(int open)
    {
        int peak;
        while (open > (peak = Volatile.Read(ref _peakOpenConnections)))
        {
            if (Interlocked.CompareExchange(ref _peakOpenConnections, open, peak) == peak)
            {
                return;
            }
        }
    }

    private async Task RunSessionAsync(Session session)
    {
        // Leave the accept loop at once; the session runs on its own.
        await Task.Yield();
        try
        {
            await ConverseAsync(session).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the session was dropped.
        }
        finally
        {
            session.Close();
            Interlocked.Decrement(ref _openConnections);
            _sessions.TryRemove(session.Id, out _);
            session.Ended();
        }
    }

    private async Task ConverseAsync(Session session)
    {
        var ct = session.Cancellation.Token;
        var stream = session.Client.GetStream();
        var reader = new StreamReader(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        var authenticated = false;
        string? mailFrom = null;
        var recipients = new List<string>();

        if (await RespondAsync(SmtpStage.Greeting, 220, "scripted ESMTP ready") is not { } greeting || greeting >= 400)
        {
            return;
        }

        while (!ct.IsCancellationRequested)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                return;
            }
            var space = line.IndexOf(' ');
            var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var argument = space < 0 ? "" : line[(space + 1)..];
            Record(session.Id, verb, verb == "AUTH" ? argument.Split(' ')[0] : argument);

            switch (verb)
            {
                case "EHLO":
                {
                    var (user, _) = Credentials();
                    var extensions = new List<string> { "127.0.0.1 greets you" };
                    if (user is not null)
                    {
                        extensions.Add("AUTH PLAIN LOGIN");
                    }
                    extensions.Add("HELP");
                    if (await RespondAsync(SmtpStage.Ehlo, 250, extensions) is null)
                    {
                        return;
                    }
                    break;
                }
                case "HELO":
                    if (await RespondAsync(SmtpStage.Ehlo, 250, "127.0.0.1 greets you") is null)
                    {
                        return;
                    }
                    break;
                case "AUTH":
                {
                    var result = await AuthenticateAsync(argument);
                    if (result is null)
                    {
                        return;
                    }
                    authenticated = result.Value;
                    break;
                }
                case "MAIL":
                {
                    if (Credentials().User is not null && !authenticated)
                    {
                        await WriteAsync(530, "5.7.0 Authentication required");
                        break;
                    }
                    var code = await RespondAsync(SmtpStage.MailFrom, 250, "2.1.0 Sender OK");
                    if (code is null)
                    {
                        return;
                    }
                    if (code < 300)
                    {
                        mailFrom = Angle(argument);
                        recipients.Clear();
                    }
                    break;
                }
                case "RCPT":
                {
                    if (mailFrom is null)
                    {
                        await WriteAsync(503, "5.5.1 MAIL first");
                        break;
                    }
                    var code = await RespondAsync(SmtpStage.RcptTo, 250, "2.1.5 Recipient OK");
                    if (code is null)
                    {
                        return;
                    }
                    if (code < 300)
                    {
                        recipients.Add(Angle(argument));
                    }
                    break;
                }
                case "DATA":
                {
                    if (mailFrom is null || recipients.Count == 0)
                    {
                        await WriteAsync(554, "5.5.1 No valid recipients");
                        break;
                    }
                    var go = await RespondAsync(SmtpStage.Data, 354, "Start mail input; end with <CRLF>.<CRLF>");
                    if (go is null)
                    {
                        return;
                    }
                    if (go != 354)
                    {
                        break;
                    }
                    var data = await ReadDataAsync(reader, ct);
                    if (data is null)
                    {
                        return;
                    }
                    var queued = Interlocked.Increment(ref _queued);
                    var verdict = await RespondAsync(SmtpStage.DataEnd, 250, $"2.0.0 Ok: queued as {queued}");
                    if (verdict is null)
                    {
                        return;
                    }
                    if (verdict < 300)
                    {
                        Accept(new ReceivedMail(session.Id, mailFrom, [.. recipients], data));
                    }
                    mailFrom = null;
                    recipients.Clear();
                    break;
                }
                case "RSET":
                    mailFrom = null;
                    recipients.Clear();
                    if (await RespondAsync(SmtpStage.Rset, 250, "2.0.0 Reset OK") is null)
                    {
                        return;
                    }
                    break;
                case "NOOP":
                    if (await RespondAsync(SmtpStage.Noop, 250, "2.0.0 OK") is null)
                    {
                        return;
                    }
                    break;
                case "QUIT":
                    await WriteAsync(221, "2.0.0 Bye");
                    return;
                default:
                    await WriteAsync(502, "5.5.2 Command not recognized");
                    break;
            }
        }

        async Task<bool?> AuthenticateAsync(string argument)
        {
            var (user, password) = Credentials();
            var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (user is null || parts.Length == 0)
            {
                await WriteAsync(503, "5.5.1 AUTH not available");
                return false;
            }
            string? givenUser;
            string? givenPassword;
            switch (parts[0].ToUpperInvariant())
            {
                case "PLAIN":
                {
                    var payload = parts.Length > 1 ? parts[1] : await ChallengeAsync("");
                    var fields = Decode(payload)?.Split('\0');
                    givenUser = fields is { Length: 3 } ? fields[1] : null;
                    givenPassword = fields is { Length: 3 } ? fields[2] : null;
                    break;
                }
                case "LOGIN":
                    givenUser = Decode(parts.Length > 1 ? parts[1] : await ChallengeAsync(Convert.ToBase64String("Username:"u8)));
                    givenPassword = Decode(await ChallengeAsync(Convert.ToBase64String("Password:"u8)));
                    break;
                default:
                    await WriteAsync(504, "5.5.4 Unrecognized authentication type");
                    return false;
            }
            var ok = givenUser == user && givenPassword == password;
            var code = await RespondAsync(SmtpStage.Auth, ok ? 235 : 535, ok ? "2.7.0 Authentication successful" : "5.7.8 Authentication credentials invalid");
            return code is null ? null : code == 235;
        }

        async Task<string> ChallengeAsync(string challenge)
        {
            await writer.WriteLineAsync($"334 {challenge}".AsMemory(), ct);
            return await reader.ReadLineAsync(ct) ?? throw new IOException("client closed during AUTH");
        }

        Task WriteAsync(int code, string text) => writer.WriteLineAsync($"{code} {text}".AsMemory(), ct);

        Task<int?> RespondAsync(SmtpStage stage, int code, object text) => ApplyAsync(session, writer, stage, code, text, ct);
    }

    /// <summary>Sends the scripted or the normal answer; null when the connection is to be dropped.</summary>
    private async Task<int?> ApplyAsync(Session session, StreamWriter writer, SmtpStage stage, int code, object text, CancellationToken ct)
    {
        var action = TakeRule(stage);
        switch (action?.Kind)
        {
            case SmtpActionKind.Drop:
                session.Close();
                return null;
            case SmtpActionKind.Stall:
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                return null;
            case SmtpActionKind.Reply:
                await writer.WriteLineAsync($"{action.Code} {action.Text}".AsMemory(), ct).ConfigureAwait(false);
                if (action.Code == 421)
                {
                    session.Close();
                    return null;
                }
                return action.Code;
        }
        if (text is IReadOnlyList<string> lines)
        {
            for (var i = 0; i < lines.Count; i++)
            {
                var separator = i < lines.Count - 1 ? '-' : ' ';
                await writer.WriteLineAsync($"{code}{separator}{lines[i]}".AsMemory(), ct).ConfigureAwait(false);
            }
        }
        else
        {
            await writer.WriteLineAsync($"{code} {text}".AsMemory(), ct).ConfigureAwait(false);
        }
        return code;
    }

    private static async Task<string?> ReadDataAsync(StreamReader reader, CancellationToken ct)
    {
        var data = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }
            if (line == ".")
            {
                return data.ToString();
            }
            // Dot-stuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
            data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }
    }

    private SmtpAction? TakeRule(SmtpStage stage)
    {
        lock (_gate)
        {
            var index = _rules.FindIndex(r => r.Stage == stage && r.Remaining > 0);
            if (index < 0)
            {
                return null;
            }
            var rule = _rules[index];
            if (rule.Remaining != int.MaxValue)
            {
                _rules[index] = rule with { Remaining = rule.Remaining - 1 };
            }
            return rule.Action;
        }
    }

    private (string? User, string? Password) Credentials()
    {
        lock (_gate)
        {
            return (_user, _password);
        }
    }

    private void Record(int connectionId, string verb, string argument)
    {
        List<TaskCompletionSource> ready;
        lock (_gate)
        {
            _commands.Add(new ReceivedCommand(connectionId, verb, argument));
            ready = ReadyWaiters();
        }
        ready.ForEach(signal => signal.TrySetResult());
    }

    private void Accept(ReceivedMail mail)
    {
        List<TaskCompletionSource> ready;
        lock (_gate)
        {
            _messages.Add(mail);
            ready = ReadyWaiters();
        }
        ready.ForEach(signal => signal.TrySetResult());
    }

    private static string Angle(string argument)
    {
        var start = argument.IndexOf('<');
        var end = argument.IndexOf('>', start + 1);
        return start >= 0 && end > start ? argument[(start + 1)..end] : argument.Trim();
    }

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed record Rule(SmtpStage Stage, SmtpAction Action, int Remaining);

    private sealed class Session(int id, TcpClient client, CancellationTokenSource cancellation)
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _closed;

        public int Id { get; } = id;

        public TcpClient Client { get; } = client;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        /// <summary>Completes when the session has ended and its connection is counted as closed.</summary>
        public Task Completion => _ended.Task;

        public void Ended()
        {
            Cancellation.Dispose();
            _ended.TrySetResult();
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 1)
            {
                return;
            }
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already ended.
            }
            Client.Close();
        }
    }
}
