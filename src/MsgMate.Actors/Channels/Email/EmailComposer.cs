using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace MsgMate.Actors.Channels.Email;

/// <summary>
/// Turns an <see cref="OutboundMessage"/> into a MIME message, the same way for SMTP and for the outbox:
/// From, To, Subject, Date, a <c>Message-Id</c> built from the MsgId (so a sink can count duplicates),
/// an <c>X-MsgMate-MsgId</c> header, and either text/plain alone or multipart/alternative (text derived from HTML, then HTML).
/// </summary>
public static partial class EmailComposer
{
    /// <summary>Header carrying the MsgId verbatim (the Message-Id may have had unsafe characters replaced).</summary>
    public const string MsgIdHeader = "X-MsgMate-MsgId";

    private const string FallbackDomain = "msgmate.local";

    /// <summary>Addresses must be complete (local@domain), one per field, as RFC 5322 writes them.</summary>
    private static readonly ParserOptions StrictAddresses = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
    };

    /// <summary>Parses one mailbox ("a@b.c" or "Name &lt;a@b.c&gt;"); false for anything else, never throws.</summary>
    public static bool TryParseAddress(string? text, out MailboxAddress mailbox)
    {
        mailbox = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        if (!MailboxAddress.TryParse(StrictAddresses, text.Trim(), out var parsed) || parsed is null)
        {
            return false;
        }
        var at = parsed.Address.LastIndexOf('@');
        if (at <= 0 || at == parsed.Address.Length - 1 || parsed.Domain.Contains('@'))
        {
            return false;
        }
        mailbox = parsed;
        return true;
    }

    /// <summary>
    /// <c>&lt;msgid@domain&gt;</c> with the sender's domain. Characters not allowed in a Message-Id are replaced by
    /// '_' (ids in this system are UUID-like and pass unchanged).
    /// </summary>
    public static string MessageIdFor(string msgId, string senderDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        var local = new StringBuilder(msgId.Length);
        foreach (var c in msgId)
        {
            local.Append(IsAtext(c) || c == '.' ? c : '_');
        }
        var left = DotRuns().Replace(local.ToString(), ".").Trim('.');
        if (left.Length == 0)
        {
            left = "_";
        }
        var domain = DomainPattern().IsMatch(senderDomain) ? senderDomain : FallbackDomain;
        return $"{left}@{domain}";
    }

    /// <summary>Builds the MIME message. The recipient must already have been parsed (see <see cref="TryParseAddress"/>).</summary>
    public static MimeMessage Compose(OutboundMessage message, MailboxAddress from, MailboxAddress to)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mime = new MimeMessage();
        mime.From.Add(from);
        mime.To.Add(to);
        mime.Subject = message.Subject ?? "";
        mime.MessageId = MessageIdFor(message.MsgId, from.Domain);
        mime.Headers.Add(MsgIdHeader, message.MsgId);
        mime.Body = message.IsHtml
            ? new MultipartAlternative
            {
                // Order matters: the last alternative is the preferred one.
                Text("plain", HtmlText.ToPlainText(message.Body ?? "")),
                Text("html", message.Body ?? ""),
            }
            : Text("plain", message.Body ?? "");
        return mime;
    }

    private static TextPart Text(string subtype, string content)
    {
        var part = new TextPart(subtype);
        part.SetText(Encoding.UTF8, content);
        return part;
    }

    private static bool IsAtext(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '/' or '=' or '?' or '^' or '_' or '`' or '{' or '|' or '}' or '~';

    [GeneratedRegex(@"\.{2,}")]
    private static partial Regex DotRuns();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DomainPattern();
}
