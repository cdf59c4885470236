using System.Text;
using System.Text.RegularExpressions;

namespace MsgMate.Actors.Common;

/// <summary>
/// The one place that decides how personal data looks in logs and error texts: every log line, exception message and
/// stored error that could carry an address goes through here. Addresses are masked, never hashed (a hash of a phone
/// number is reversed by trying them all), and what is left is enough for an operator to tell two recipients apart.
/// <list type="bullet">
/// <item>phone numbers keep the first 3 and last 4 digits: <c>13812348000</c> → <c>138****8000</c>,
/// <c>+8613812348000</c> → <c>+86138****8000</c>; shorter numbers keep less (<c>12345678</c> → <c>12****78</c>).</item>
/// <item>emails keep the first character and the domain: <c>alice@example.com</c> → <c>a***@example.com</c>.</item>
/// <item>Lark, DingTalk and WeCom ids keep a short prefix: <c>ou_1234567890abcdef</c> → <c>ou_1***</c>.</item>
/// <item>URLs keep scheme, host and port only (their paths and queries carry tokens): <c>https://hooks.example.com/***</c>.</item>
/// </list>
/// Every mask is idempotent (a masked value masks to itself), so a text may pass through here more than once.
/// Secrets are never masked, only removed (<see cref="Scrub"/> replaces them with <c>***</c>).
/// </summary>
public static partial class PersonalData
{
    /// <summary>The longest free text (a vendor's message, an exception's) kept in an error or a log line.</summary>
    public const int MaxTextLength = 200;

    /// <summary>What every mask contains: a value holding it is taken as masked already.</summary>
    private const string Stars = "***";

    /// <summary>Whether the address is a mask (an erased person's): such an address is never sent to.</summary>
    public static bool IsMasked(string? address) => address?.Contains(Stars, StringComparison.Ordinal) == true;

    /// <summary>Any address, by its shape: a URL, an email, a phone number, otherwise an id. Empty stays empty.</summary>
    public static string Mask(string? address)
    {
        var value = address?.Trim() ?? "";
        if (value.Length == 0 || value.Contains(Stars, StringComparison.Ordinal))
        {
            return value;
        }
        if (IsHttpUrl(value, out var url))
        {
            return MaskUrl(url);
        }
        if (EmailShape().IsMatch(value))
        {
            return MaskEmail(value);
        }
        return PhoneShape().IsMatch(value) ? MaskPhone(value) : MaskId(value);
    }

    /// <summary>
    /// An address of a channel: email addresses on email, numbers on SMS, URLs on webhook, ids (or robot URLs) on
    /// Lark, DingTalk and WeCom. A value of another shape than its channel expects is masked by its shape.
    /// </summary>
    public static string Mask(Channel channel, string? address)
    {
        var value = address?.Trim() ?? "";
        if (value.Length == 0 || value.Contains(Stars, StringComparison.Ordinal))
        {
            return value;
        }
        return channel switch
        {
            Channel.Email when value.Contains('@') => MaskEmail(value),
            Channel.Sms when PhoneShape().IsMatch(value) => MaskPhone(value),
            Channel.Lark or Channel.DingTalk or Channel.WeCom or Channel.Webhook when !IsHttpUrl(value, out _) => MaskId(value),
            _ => Mask(value),
        };
    }

    /// <summary>
    /// Free text from outside (a vendor's message, an SMTP reply, an exception's message) made fit for a log line or an
    /// error column: on one line, every secret removed, the recipient masked wherever it appears, and any other email
    /// address, URL or run of 7 or more digits masked; at most <see cref="MaxTextLength"/> characters.
    /// </summary>
    /// <param name="recipient">The message's address, masked even where it appears in a shape the patterns miss (an id).</param>
    /// <param name="secrets">Tokens, keys and passwords the text may echo; values shorter than 4 characters are ignored.</param>
    public static string Scrub(string? text, string? recipient = null, params string?[] secrets) =>
        Scrub(text, MaxTextLength, recipient, secrets);

    /// <summary><see cref="Scrub(string?, string?, string?[])"/> with another length limit (an error column's).</summary>
    public static string Scrub(string? text, int maxLength, string? recipient, params string?[] secrets)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }
        var result = new string(text.ReplaceLineEndings(" ").Where(c => !char.IsControl(c)).ToArray()).Trim();
        foreach (var secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 4)
            {
                result = result.Replace(secret, Stars, StringComparison.Ordinal);
            }
        }
        var to = recipient?.Trim() ?? "";
        if (to.Length >= 2)
        {
            result = result.Replace(to, Mask(to), StringComparison.OrdinalIgnoreCase);
        }
        result = UrlInText().Replace(result, m => IsHttpUrl(m.Value, out var url) ? MaskUrl(url) : Stars);
        result = EmailInText().Replace(result, m => MaskEmail(m.Value));
        result = DigitRunInText().Replace(result, m => MaskPhone(m.Value));
        return Clip(result, maxLength);
    }

    /// <summary>
    /// An exception for a log line in place of the exception itself: type, message and stack trace of it and of its inner
    /// exceptions, as <see cref="Exception.ToString"/> gives them, every line scrubbed (a driver's or a vendor library's
    /// message may quote an address).
    /// </summary>
    /// <param name="recipient">The address the failed work was for, masked wherever it appears.</param>
    public static string Describe(Exception exception, string? recipient = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return string.Join(Environment.NewLine, exception.ToString().Split('\n').Select(line => Scrub(line.TrimEnd('\r'), 1000, recipient)));
    }

    /// <summary>Keeps the first 3 and the last 4 digits (after a country code: 5 digits of a 13-digit number); fewer of short numbers.</summary>
    public static string MaskPhone(string phone)
    {
        var value = phone.Trim();
        var plus = value.StartsWith('+');
        var digits = plus ? value[1..] : value;
        var sign = plus ? "+" : "";
        var (head, tail) = digits.Length switch
        {
            >= 13 when plus => (5, 4),
            >= 11 => (3, 4),
            >= 7 => (2, 2),
            >= 2 => (1, 0),
            _ => (0, 0),
        };
        return sign + digits[..head] + "****" + digits[^tail..];
    }

    /// <summary>The first character of the local part and the whole domain.</summary>
    public static string MaskEmail(string email)
    {
        var value = email.Trim();
        var at = value.LastIndexOf('@');
        return at <= 0 ? MaskId(value) : value[0] + Stars + value[at..];
    }

    /// <summary>A vendor's user id (Lark open_id, DingTalk userid, WeCom userid): a short prefix, never the whole.</summary>
    public static string MaskId(string id)
    {
        var value = id.Trim();
        var keep = value.Length switch
        {
            > 8 => 4,
            > 4 => 2,
            _ => 0,
        };
        return value[..keep] + Stars;
    }

    /// <summary>Scheme, host and a port that is not the default; no user info, path or query (they carry tokens).</summary>
    public static string MaskUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var port = url.IsDefaultPort ? "" : ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new StringBuilder(url.Scheme).Append("://").Append(url.Host).Append(port).Append('/').Append(Stars).ToString();
    }

    private static bool IsHttpUrl(string value, out Uri url)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
        {
            url = parsed;
            return true;
        }
        url = null!;
        return false;
    }

    private static string Clip(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var cut = max > 0 && char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return text[..cut] + "…";
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"^\+?[0-9]{5,20}$")]
    private static partial Regex PhoneShape();

    [GeneratedRegex(@"https?://[^\s""'<>]+", RegexOptions.IgnoreCase)]
    private static partial Regex UrlInText();

    [GeneratedRegex(@"[^\s<>""'(),;:\[\]{}]+@[^\s<>""'(),;:\[\]{}]+")]
    private static partial Regex EmailInText();

    /// <summary>7 or more digits standing alone (not inside a word or an id such as ou_123…): it may be a phone number.</summary>
    [GeneratedRegex(@"(?<![\w*+])\+?\d{7,}(?![\w*])")]
    private static partial Regex DigitRunInText();
}
