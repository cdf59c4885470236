using System.Collections.Concurrent;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Email;

/// <summary>
/// Email over SMTP (MailKit) with a small pool of connected, authenticated clients reused across messages.
/// </summary>
/// <remarks>
/// <para>Pool invariant: at most <see cref="EmailOptions.PoolSize"/> connections exist. A send first takes one of
/// <c>PoolSize</c> slots, then an idle connection or, only when none is idle, a new one; it gives the connection back
/// (or disposes it) before it frees its slot. So every connection is either idle or held by the one slot holder that uses it.</para>
/// <para>A connection that fails at the connection level (I/O, timeout, protocol, TLS) is disposed and replaced on
/// the next demand. A reply-level refusal (4xx/5xx to MAIL, RCPT or DATA) leaves it usable: MailKit resets the
/// transaction, so one bad address does not cost a reconnect and a new login.</para>
/// <para>Never throws for a delivery failure: every failure becomes a <see cref="SendOutcome"/> whose error text
/// carries no address and no message content. Throws <see cref="OperationCanceledException"/> only when
/// <c>ct</c> is cancelled (the caller stops; whether the server got the message is then unknown).</para>
/// </remarks>
public sealed class SmtpEmailSender : IProvider, IAsyncDisposable
{
    private readonly EmailOptions _options;
    private readonly MailboxAddress _from;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<PooledConnection> _idle = new();
    private readonly Lock _pauseLock = new();
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private string _pauseReason = "";
    private long _connectionsOpened;
    private volatile bool _disposed;

    /// <summary>Creates the sender; no connection is opened until the first message.</summary>
    /// <exception cref="InvalidOperationException">The settings are invalid or name no SMTP host.</exception>
    public SmtpEmailSender(EmailOptions options, ILogger<SmtpEmailSender>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (!options.IsSmtpConfigured)
        {
            throw new InvalidOperationException($"{EmailOptions.Section}:Host is empty: use the outbox sender.");
        }
        _options = options;
        _from = options.SenderMailbox(fallbackAddress: "");
        _log = logger ?? NullLogger<SmtpEmailSender>.Instance;
        _time = time ?? TimeProvider.System;
        _slots = new SemaphoreSlim(options.PoolSize, options.PoolSize);
        Provider = $"smtp:{options.Host.Trim()}";
    }

    public Channel Channel => Channel.Email;

    /// <summary>"smtp:HOST", recorded in the attempt history.</summary>
    public string Provider { get; }

    public string Name => Provider;

    /// <summary>Connections opened since start (a diagnostic: it grows only when connections are replaced).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.MsgId);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Checked before any connection: a bad address must not cost a connection, and it never gets better.
        if (!EmailComposer.TryParseAddress(message.To, out var to))
        {
            return Fail(message, SendOutcome.Permanent(Provider, "the recipient is not a valid email address"));
        }
        MimeMessage mime;
        try
        {
            mime = EmailComposer.Compose(message, _from, to);
        }
        catch (ParseException)
        {
            return Fail(message, SendOutcome.Permanent(Provider, "the message could not be composed (malformed address or header)"));
        }

        if (IsPaused(out var reason, out var remaining))
        {
            // Come back when the pause is over, not on the policy's shorter backoff (which would spend the budget here).
            return SendOutcome.Retry(Provider, reason, remaining);
        }

        await _slots.WaitAsync(ct).ConfigureAwait(false);
        PooledConnection? connection = null;
        try
        {
            connection = await RentAsync(ct).ConfigureAwait(false);
            await connection.Client.SendAsync(mime, ct).ConfigureAwait(false);
            connection.LastUsed = _time.GetUtcNow();
            GiveBack(connection);
            return SendOutcome.Ok(Provider);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Discard(connection);
            throw;
        }
        catch (SmtpCommandException e)
        {
            // The server answered: the connection is healthy unless it announced closing (421) or dropped.
            if (connection is not null && connection.Client.IsConnected && e.StatusCode != SmtpStatusCode.ServiceNotAvailable)
            {
                connection.LastUsed = _time.GetUtcNow();
                GiveBack(connection);
            }
            else
            {
                Discard(connection);
            }
            return Fail(message, Classify(e, message));
        }
        catch (Exception e)
        {
            Discard(connection);
            return Fail(message, Classify(e, message));
        }
        finally
        {
            // After GiveBack/Discard, never before: this ordering keeps the pool within PoolSize connections.
            _slots.Release();
        }
    }

    /// <summary>Says QUIT on idle connections and closes them; connections in use close when their send ends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        while (_idle.TryPop(out var connection))
        {
            try
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await connection.Client.DisconnectAsync(quit: true, quit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SmtpProtocolException or SmtpCommandException or SocketException or ObjectDisposedException or TimeoutException)
            {
                // Closing anyway.
            }
            finally
            {
                connection.Client.Dispose();
            }
        }
    }

    private async Task<PooledConnection> RentAsync(CancellationToken ct)
    {
        while (_idle.TryPop(out var connection))
        {
            if (!connection.Client.IsConnected)
            {
                Discard(connection);
                continue;
            }
            if (_time.GetUtcNow() - connection.LastUsed >= _options.NoopAfterIdle)
            {
                try
                {
                    await connection.Client.NoOpAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    Discard(connection);
                    throw;
                }
                catch (Exception e)
                {
                    // A server closes idle connections without telling: replace it rather than fail the message.
                    _log.LogDebug("SMTP connection {Connection} to {Host} was stale ({Error}); replacing it", connection.Id, _options.Host, e.GetType().Name);
                    Discard(connection);
                    continue;
                }
            }
            return connection;
        }
        return await OpenAsync(ct).ConfigureAwait(false);
    }

    private async Task<PooledConnection> OpenAsync(CancellationToken ct)
    {
        var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, _options.Timeout.TotalMilliseconds) };
        try
        {
            await client.ConnectAsync(_options.Host.Trim(), _options.Port, ToMailKit(_options.TlsMode), ct).ConfigureAwait(false);
            if (_options.HasCredentials)
            {
                // XOAUTH2 needs a token, not a password or auth code.
                client.AuthenticationMechanisms.Remove("XOAUTH2");
                await client.AuthenticateAsync(_options.Account.Trim(), _options.Password, ct).ConfigureAwait(false);
            }
            var id = Interlocked.Increment(ref _connectionsOpened);
            _log.LogDebug("SMTP connection {Connection} opened to {Host}:{Port}", id, _options.Host, _options.Port);
            return new PooledConnection(client, id, _time.GetUtcNow());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private void GiveBack(PooledConnection connection)
    {
        if (_disposed)
        {
            Discard(connection);
            return;
        }
        _idle.Push(connection);
    }

    private static void Discard(PooledConnection? connection)
    {
        // Dispose closes the socket without QUIT: after a failure the session state is unknown.
        connection?.Client.Dispose();
    }

    private SendOutcome Fail(OutboundMessage message, SendOutcome outcome)
    {
        _log.LogWarning("Email {MsgId} via {Provider}: {Result} ({Error})", message.MsgId, outcome.Provider, outcome.Result, outcome.Error);
        return outcome;
    }

    private SendOutcome Classify(SmtpCommandException e, OutboundMessage message)
    {
        var code = (int)e.StatusCode;
        var stage = e.ErrorCode switch
        {
            SmtpErrorCode.SenderNotAccepted => "MAIL FROM",
            SmtpErrorCode.RecipientNotAccepted => "RCPT TO",
            SmtpErrorCode.MessageNotAccepted => "DATA",
            _ => "command",
        };
        var text = $"SMTP {code} on {stage}: {Redact(e.Message, message)}";
        if (code is >= 400 and < 500)
        {
            return SendOutcome.Retry(Provider, text);
        }
        return e.ErrorCode switch
        {
            // The mailbox does not exist / is disabled, or the content was rejected: retrying changes nothing.
            SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted => SendOutcome.Permanent(Provider, text),
            // 552 on MAIL FROM is the SIZE check: this message is too large for the server.
            SmtpErrorCode.SenderNotAccepted when code == 552 => SendOutcome.Permanent(Provider, text),
            // Any other refusal of our sender is about the configuration (From, relay rights), not this message.
            SmtpErrorCode.SenderNotAccepted => SendOutcome.Retry(Provider, text + $" (check {EmailOptions.Section}:From and the account's relay rights)"),
            _ => SendOutcome.Retry(Provider, text),
        };
    }

    private SendOutcome Classify(Exception e, OutboundMessage message)
    {
        switch (e)
        {
            case AuthenticationException or SaslException:
                return Pause("SMTP authentication failed: the server refused the configured credentials; check "
                    + $"{EmailOptions.Section}:Account and {EmailOptions.Section}:Password (email_account / email_auth_code)");
            case ServiceNotAuthenticatedException:
                return Pause("the SMTP server requires authentication: set "
                    + $"{EmailOptions.Section}:Account and {EmailOptions.Section}:Password (email_account / email_auth_code)");
            case NotSupportedException:
                // MailKit: the server offers no AUTH (often only after STARTTLS), or no STARTTLS while TlsMode=StartTls.
                return Pause($"the SMTP server does not support what the settings require ({Redact(e.Message, message)}); check "
                    + $"{EmailOptions.Section}:TlsMode, Port and the credentials");
            case SslHandshakeException:
                return SendOutcome.Retry(Provider, $"TLS handshake with the SMTP server failed (check {EmailOptions.Section}:TlsMode and Port, and the server certificate)");
            case TimeoutException or OperationCanceledException:
                return SendOutcome.Retry(Provider, $"the SMTP server did not answer within {_options.Timeout.TotalSeconds:0.#} s (timed out)");
            case SocketException se:
                return SendOutcome.Retry(Provider, SocketText(se));
            case IOException { InnerException: SocketException se }:
                return SendOutcome.Retry(Provider, SocketText(se));
            case IOException io when io.InnerException is TimeoutException:
                return SendOutcome.Retry(Provider, $"the SMTP server did not answer within {_options.Timeout.TotalSeconds:0.#} s (timed out)");
            case IOException io:
                return SendOutcome.Retry(Provider, $"connection to the SMTP server failed: {Redact(io.Message, message)}");
            case ServiceNotConnectedException:
                return SendOutcome.Retry(Provider, "the SMTP connection was closed");
            case SmtpProtocolException:
                return SendOutcome.Retry(Provider, $"SMTP protocol error: {Redact(e.Message, message)}");
            case ParseException:
                return SendOutcome.Permanent(Provider, "malformed address");
            default:
                // Not a known delivery failure; kept retryable so the record keeps the error and the pipeline decides.
                // Not the exception itself: its message may echo the address.
                _log.LogError("Email {MsgId}: unexpected {Exception} from the SMTP client: {Error}",
                    message.MsgId, e.GetType().Name, PersonalData.Describe(e, message.To));
                return SendOutcome.Retry(Provider, $"unexpected {e.GetType().Name}: {Redact(e.Message, message)}");
        }
    }

    private static string SocketText(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection to the SMTP server refused",
        SocketError.TimedOut => "connecting to the SMTP server timed out",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "the SMTP host name could not be resolved",
        SocketError.ConnectionReset or SocketError.ConnectionAborted => "the SMTP server closed the connection",
        _ => $"socket error talking to the SMTP server ({e.SocketErrorCode})",
    };

    /// <summary>Configuration problems: fail fast for a while instead of logging in again for every message.</summary>
    private SendOutcome Pause(string reason)
    {
        lock (_pauseLock)
        {
            var now = _time.GetUtcNow();
            var first = now >= _pausedUntil;
            _pausedUntil = now + _options.AuthFailurePause;
            _pauseReason = reason;
            if (first)
            {
                _log.LogError("Email via {Provider}: {Reason}. Email sending pauses for {Pause} (messages are retried later).", Provider, reason, _options.AuthFailurePause);
            }
        }
        return SendOutcome.Retry(Provider, reason, _options.AuthFailurePause);
    }

    private bool IsPaused(out string reason, out TimeSpan remaining)
    {
        lock (_pauseLock)
        {
            reason = _pauseReason + " (email sending paused)";
            remaining = _pausedUntil - _time.GetUtcNow();
            return remaining > TimeSpan.Zero;
        }
    }

    /// <summary>Server texts often echo the address ("550 &lt;bob@x&gt;: unknown user") and sometimes the login: keep the code, mask the rest.</summary>
    private string Redact(string text, OutboundMessage message) => PersonalData.Scrub(text, message.To, _options.Password);

    private static SecureSocketOptions ToMailKit(EmailTlsMode mode) => mode switch
    {
        EmailTlsMode.None => SecureSocketOptions.None,
        EmailTlsMode.StartTls => SecureSocketOptions.StartTls,
        EmailTlsMode.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    private sealed class PooledConnection(SmtpClient client, long id, DateTimeOffset lastUsed)
    {
        public SmtpClient Client { get; } = client;

        public long Id { get; } = id;

        public DateTimeOffset LastUsed { get; set; } = lastUsed;
    }
}
