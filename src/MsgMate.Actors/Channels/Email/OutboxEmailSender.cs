using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Email;

/// <summary>
/// The development sink used when no SMTP host is configured: each message becomes an RFC 822 file
/// <c>{MsgId}.eml</c> in <see cref="EmailOptions.OutboxFolder"/>, readable by any mail client.
/// </summary>
/// <remarks>
/// Files appear atomically: the message is written and flushed to a temporary name that does not end in
/// <c>.eml</c>, then renamed, so a reader never sees half a message. Sending the same MsgId again replaces the file
/// (a retry after a crash is idempotent here).
/// </remarks>
public sealed class OutboxEmailSender : IProvider, IAsyncDisposable
{
    public const string ProviderName = "outbox";

    /// <summary>Sender used when neither From nor Account is configured.</summary>
    public const string DefaultFrom = "msgmate@localhost";

    private const string TempSuffix = ".tmp";

    private readonly MailboxAddress _from;
    private readonly ILogger _log;

    /// <summary>Creates the folder if needed. Only the outbox-related settings are used (folder, From, FromName).</summary>
    /// <exception cref="InvalidOperationException">No folder, or From / Account is not an email address.</exception>
    public OutboxEmailSender(EmailOptions options, ILogger<OutboxEmailSender>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.OutboxFolder))
        {
            throw new InvalidOperationException($"{EmailOptions.Section}:OutboxFolder is required for the outbox sender.");
        }
        _from = options.SenderMailbox(DefaultFrom);
        _log = logger ?? NullLogger<OutboxEmailSender>.Instance;
        Folder = Path.GetFullPath(options.OutboxFolder);
        Directory.CreateDirectory(Folder);
    }

    public Channel Channel => Channel.Email;

    public string Name => ProviderName;

    /// <summary>Absolute path of the outbox folder.</summary>
    public string Folder { get; }

    /// <summary>Where the message with this MsgId is (or will be) written.</summary>
    public string PathFor(string msgId) => Path.Combine(Folder, FileNameFor(msgId));

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(message.MsgId);

        if (!EmailComposer.TryParseAddress(message.To, out var to))
        {
            return Fail(message, SendOutcome.Permanent(ProviderName, "the recipient is not a valid email address"));
        }
        MimeMessage mime;
        try
        {
            mime = EmailComposer.Compose(message, _from, to);
        }
        catch (ParseException)
        {
            return Fail(message, SendOutcome.Permanent(ProviderName, "the message could not be composed (malformed address or header)"));
        }
        // 7-bit transfer encodings, as an SMTP server without 8BITMIME would get it: the file is plain ASCII.
        mime.Prepare(EncodingConstraint.SevenBit);

        var target = PathFor(message.MsgId);
        var temp = $"{target}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            Directory.CreateDirectory(Folder);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await mime.WriteToAsync(file, ct).ConfigureAwait(false);
                await file.FlushAsync(ct).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
            return SendOutcome.Ok(ProviderName);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            TryDelete(temp);
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            // The path holds only the folder and the MsgId, no personal data.
            return Fail(message, SendOutcome.Retry(ProviderName, $"writing to the outbox folder failed: {e.GetType().Name}: {e.Message}"));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The MsgId with anything that is not safe in a file name replaced by '_' (no directories, no dot files).</summary>
    public static string FileNameFor(string msgId)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        var name = new StringBuilder(msgId.Length + 4);
        foreach (var c in msgId)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@' or '+' ? c : '_');
        }
        if (name[0] == '.')
        {
            name[0] = '_';
        }
        return name.Append(".eml").ToString();
    }

    private SendOutcome Fail(OutboundMessage message, SendOutcome outcome)
    {
        _log.LogWarning("Email {MsgId} via {Provider}: {Result} ({Error})", message.MsgId, outcome.Provider, outcome.Result, outcome.Error);
        return outcome;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover .tmp file is harmless: readers only look at .eml files.
        }
    }
}
