using Microsoft.Extensions.Configuration;
using MimeKit;

namespace MsgMate.Actors.Channels.Email;

/// <summary>How the SMTP connection is secured (MailKit's <c>SecureSocketOptions</c> without <c>Auto</c>).</summary>
public enum EmailTlsMode
{
    /// <summary>Plain text, never TLS (a local relay or test server).</summary>
    None,

    /// <summary>STARTTLS is required; a server that does not offer it is a configuration error.</summary>
    StartTls,

    /// <summary>STARTTLS when the server offers it, plain otherwise.</summary>
    StartTlsWhenAvailable,

    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    SslOnConnect,
}

/// <summary>
/// Email channel settings, bound from <c>MsgMate:Email</c>. The Go project's TOML keys map here:
/// <c>email_host</c> → <see cref="Host"/>, <c>email_port</c> → <see cref="Port"/>,
/// <c>email_account</c> → <see cref="Account"/>, <c>email_auth_code</c> → <see cref="Password"/>.
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "MsgMate:Email";

    /// <summary>SMTP server. Empty: SMTP is not configured and the development outbox is used.</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; } = 25;

    public EmailTlsMode TlsMode { get; set; } = EmailTlsMode.StartTlsWhenAvailable;

    /// <summary>Login name (the Go key <c>email_account</c>); also the default sender address.</summary>
    public string Account { get; set; } = "";

    /// <summary>Password or provider auth code (the Go key <c>email_auth_code</c>). Never logged.</summary>
    public string Password { get; set; } = "";

    /// <summary>Sender address; empty means <see cref="Account"/>.</summary>
    public string From { get; set; } = "";

    /// <summary>Display name of the sender, e.g. "MsgMate".</summary>
    public string FromName { get; set; } = "";

    /// <summary>Most SMTP connections open at once; also the most messages in flight.</summary>
    public int PoolSize { get; set; } = 4;

    /// <summary>Connect and per-command I/O timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Folder of the development sink (one .eml file per message) used when <see cref="Host"/> is empty.</summary>
    public string OutboxFolder { get; set; } = "data/outbox";

    /// <summary>
    /// A pooled connection idle this long is checked with NOOP before it carries a message, so that a connection the
    /// server closed quietly is replaced instead of failing a delivery. Zero checks before every reuse.
    /// </summary>
    public TimeSpan NoopAfterIdle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After the server refuses the credentials (or offers no authentication), attempts fail fast for this long
    /// instead of logging in again for every message: repeated bad logins get accounts locked by providers.
    /// </summary>
    public TimeSpan AuthFailurePause { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>SMTP is used when a host is set.</summary>
    public bool IsSmtpConfigured => !string.IsNullOrWhiteSpace(Host);

    /// <summary>Login is attempted when both an account and a password are set.</summary>
    public bool HasCredentials => !string.IsNullOrWhiteSpace(Account) && !string.IsNullOrEmpty(Password);

    /// <summary>The envelope and header sender: <see cref="From"/>, else <see cref="Account"/>.</summary>
    public string SenderAddress => string.IsNullOrWhiteSpace(From) ? Account.Trim() : From.Trim();

    /// <summary>Reads <c>MsgMate:Email</c>; absent keys keep their defaults.</summary>
    public static EmailOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<EmailOptions>() ?? new EmailOptions();

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains the password.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 1 or > 65535)
        {
            errors.Add($"{Section}:Port must be between 1 and 65535 (was {Port}).");
        }
        if (PoolSize < 1)
        {
            errors.Add($"{Section}:PoolSize must be at least 1 (was {PoolSize}).");
        }
        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:Timeout must be positive (was {Timeout}).");
        }
        if (NoopAfterIdle < TimeSpan.Zero || AuthFailurePause < TimeSpan.Zero)
        {
            errors.Add($"{Section}:NoopAfterIdle and AuthFailurePause must not be negative.");
        }
        if (!string.IsNullOrEmpty(Password) && string.IsNullOrWhiteSpace(Account))
        {
            errors.Add($"{Section}:Password (email_auth_code) is set but Account (email_account) is empty.");
        }
        if (IsSmtpConfigured)
        {
            if (SenderAddress.Length == 0)
            {
                errors.Add($"{Section}:From or {Section}:Account (email_account) is required when {Section}:Host is set.");
            }
            else if (!EmailComposer.TryParseAddress(SenderAddress, out _))
            {
                errors.Add($"{Section}:From / Account is not a valid email address.");
            }
        }
        else if (string.IsNullOrWhiteSpace(OutboxFolder))
        {
            errors.Add($"{Section}:OutboxFolder is required when {Section}:Host is empty.");
        }
        else if (SenderAddress.Length > 0 && !EmailComposer.TryParseAddress(SenderAddress, out _))
        {
            errors.Add($"{Section}:From / Account is not a valid email address.");
        }
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every configuration error.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid email settings: " + string.Join(" ", errors));
        }
    }

    /// <summary>The sender mailbox (display name and address).</summary>
    internal MailboxAddress SenderMailbox(string fallbackAddress)
    {
        var address = SenderAddress.Length > 0 ? SenderAddress : fallbackAddress;
        if (!EmailComposer.TryParseAddress(address, out var mailbox))
        {
            throw new InvalidOperationException($"{Section}:From / Account is not a valid email address.");
        }
        return new MailboxAddress(string.IsNullOrWhiteSpace(FromName) ? mailbox.Name : FromName.Trim(), mailbox.Address);
    }

    /// <summary>For logs: no password, no account name.</summary>
    public override string ToString() => IsSmtpConfigured
        ? $"smtp {Host}:{Port} tls={TlsMode} pool={PoolSize} timeout={Timeout} auth={(HasCredentials ? "yes" : "no")}"
        : $"outbox {OutboxFolder}";
}
