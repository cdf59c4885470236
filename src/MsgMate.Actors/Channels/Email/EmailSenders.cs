using Microsoft.Extensions.Logging;

namespace MsgMate.Actors.Channels.Email;

/// <summary>Chooses the email sender for the settings: SMTP when a host is set, otherwise the development outbox.</summary>
public static class EmailSenders
{
    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and creates the sender,
    /// logging once which one, without secrets. The result also implements <see cref="IAsyncDisposable"/>
    /// (closes pooled SMTP connections); a DI container that created it disposes it.
    /// </summary>
    public static IProvider Create(EmailOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.ThrowIfInvalid();
        var log = loggerFactory.CreateLogger(typeof(EmailSenders));

        if (options.IsSmtpConfigured)
        {
            log.LogInformation(
                "Email channel: SMTP {Host}:{Port}, TLS {TlsMode}, pool of {PoolSize} connections, timeout {Timeout}, authentication {Authentication}",
                options.Host, options.Port, options.TlsMode, options.PoolSize, options.Timeout, options.HasCredentials ? "on" : "off");
            if (options.Port == 465 && options.TlsMode != EmailTlsMode.SslOnConnect)
            {
                log.LogWarning("Email channel: port 465 normally expects TLS from the first byte; set {Key}=SslOnConnect if connections time out",
                    $"{EmailOptions.Section}:TlsMode");
            }
            return new SmtpEmailSender(options, loggerFactory.CreateLogger<SmtpEmailSender>());
        }

        var outbox = new OutboxEmailSender(options, loggerFactory.CreateLogger<OutboxEmailSender>());
        log.LogInformation(
            "Email channel: no SMTP host configured ({Key} is empty); messages are written as .eml files to {Folder} (development sink, nothing is delivered)",
            $"{EmailOptions.Section}:Host", outbox.Folder);
        return outbox;
    }
}
