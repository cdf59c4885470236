using System.Collections.Immutable;
using System.Text.RegularExpressions;
using MsgMate.Actors.Common;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Delivery;

/// <summary>A send as the intake sees it, whatever route it came from (send_msg now, schedules later).</summary>
/// <param name="To">Direct addresses, taken as the address for the channel in use.</param>
/// <param name="Channels">With inline content: the channels to use (one record per recipient and channel).</param>
/// <param name="Subject">Overrides the template's subject when not empty.</param>
/// <param name="SendAtMs">Unix milliseconds; 0 or in the past = now.</param>
/// <param name="ReleaseBatchId">Set on the firing of a send_msg with a future sendTimestamp: its records were stored
/// (status scheduled) when it was accepted, and the firing only releases them.</param>
public sealed record SendRequest(
    string SourceId,
    ImmutableArray<string> To,
    ImmutableArray<string> UserIds,
    ImmutableArray<string> Tags,
    ImmutableArray<int> Channels,
    string Subject,
    int Priority,
    string? TemplateId,
    string? Content,
    ImmutableSortedDictionary<string, string> TemplateData,
    long SendAtMs,
    string ScheduleId = "",
    string ReleaseBatchId = "");

/// <summary>What one channel of a send carries: rendered once, shared by every recipient.</summary>
public sealed record ChannelContent(Channel Channel, string Subject, string Body, bool IsHtml, string SignName, string ProviderTemplateId);

/// <summary>The pure rules of a send: shape, content per channel, which contact a user is reached at.</summary>
public static partial class SendPlanner
{
    /// <summary>The longest rendered subject: the width of the records' subject column.</summary>
    public const int MaxRenderedSubjectLength = 512;

    /// <summary>The longest direct address: the width of the records' address column (an email address is at most 254 too).</summary>
    public const int MaxAddressLength = 254;

    /// <summary>A template id as issued (a UUID) is 36 characters; the template routes take at most 64.</summary>
    public const int MaxTemplateIdLength = 64;

    /// <summary>The first problem of a send's shape in words (recipients, sizes, template data), or null.</summary>
    public static string? ValidateShape(SendRequest r, LimitOptions limits)
    {
        if (r.To.IsEmpty && r.UserIds.IsEmpty && r.Tags.IsEmpty)
        {
            return "give at least one recipient: to, user_ids or tags";
        }
        if (r.To.Length > limits.MaxDirectRecipients) return $"to may list at most {limits.MaxDirectRecipients} addresses, not {r.To.Length}";
        if (r.UserIds.Length > limits.MaxUserIds) return $"user_ids may list at most {limits.MaxUserIds} ids, not {r.UserIds.Length}";
        if (r.Tags.Length > limits.MaxTags) return $"tags may list at most {limits.MaxTags} tags, not {r.Tags.Length}";
        if (r.UserIds.FirstOrDefault(id => UserId.Validate(id) is not null) is { } badId) return $"user_ids: '{InputText.Quote(badId)}' is not a valid user id";
        if (r.Tags.Any(string.IsNullOrWhiteSpace)) return "tags must not contain empty values";
        // No user carries a longer tag: refused rather than looked up.
        if (r.Tags.Any(t => t.Length > UserValidation.MaxTagLength)) return $"a tag must be at most {UserValidation.MaxTagLength} characters";
        if (r.Priority is < MessagePriority.Low or > MessagePriority.High) return "priority must be 1 (low), 2 (medium) or 3 (high)";
        var hasTemplate = !string.IsNullOrEmpty(r.TemplateId);
        var hasContent = !string.IsNullOrEmpty(r.Content);
        if (hasTemplate == hasContent) return "give either templateID or content";
        if (hasTemplate && r.TemplateId!.Length > MaxTemplateIdLength) return $"templateID must be at most {MaxTemplateIdLength} characters";
        if (hasContent && r.Channels.IsEmpty) return "channels is required with inline content";
        if (r.Channels.Length > KnownChannels.Count) return $"channels may list at most {KnownChannels.Count} channels";
        if (r.Channels.FirstOrDefault(c => !KnownChannels.IsKnown(c)) is var bad and not 0) return $"channels: {bad} is not a channel ({KnownChannels.Range})";
        if (r.Subject.Length > TemplateDecisions.MaxSubjectLength) return $"subject must be at most {TemplateDecisions.MaxSubjectLength} characters";
        if (hasContent && r.Content!.Length > TemplateDecisions.MaxContentLength) return $"content must be at most {TemplateDecisions.MaxContentLength} characters";
        return ValidateTemplateData(r.TemplateData, limits);
    }

    /// <summary>The limits on template data: entries, key and value lengths, and the size every record stores.</summary>
    public static string? ValidateTemplateData(IReadOnlyDictionary<string, string> data, LimitOptions limits)
    {
        if (data.Count > limits.MaxTemplateDataEntries)
        {
            return $"templateData may hold at most {limits.MaxTemplateDataEntries} entries, not {data.Count}";
        }
        // The stored form: {"key":"value",…} (quotes, colon and comma around each entry; escapes not counted).
        long bytes = 2;
        foreach (var (key, value) in data)
        {
            if (key.Length > limits.MaxTemplateDataKeyLength)
            {
                return $"templateData: a key must be at most {limits.MaxTemplateDataKeyLength} characters ('{InputText.Quote(key, 40)}')";
            }
            if (value.Length > limits.MaxTemplateDataValueLength)
            {
                return $"templateData.{InputText.Quote(key, 40)} must be at most {limits.MaxTemplateDataValueLength} characters, not {value.Length}";
            }
            bytes += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value) + 6;
        }
        return bytes - 1 > limits.MaxTemplateDataBytes
            ? $"templateData must be at most {limits.MaxTemplateDataBytes} bytes in all, not {bytes - 1}"
            : null;
    }

    /// <summary>
    /// Renders the content for each channel of the send. With a template, the template's channel decides;
    /// with inline content, <see cref="SendRequest.Channels"/>. A placeholder without a value is an error.
    /// </summary>
    public static (ImmutableArray<ChannelContent> Contents, Rejection? Rejection) PlanContent(SendRequest r, TemplateState? template, LimitOptions limits)
    {
        IEnumerable<Channel> channels;
        string subjectText, bodyText, signName = "", providerTemplateId = "";
        if (template is not null)
        {
            if (!template.IsLive)
            {
                return (default, new Rejection(ResultCode.TemplateNotFound, $"template {InputText.Quote(template.TemplateId)} not found"));
            }
            if (template.Status != TemplateStatus.Normal)
            {
                return (default, new Rejection(ResultCode.TemplateNotUsable, $"template {InputText.Quote(template.TemplateId)} is not ready (status {template.Status})"));
            }
            channels = [(Channel)template.Draft.Channel];
            subjectText = r.Subject.Length > 0 ? r.Subject : template.Draft.Subject;
            bodyText = template.Draft.Content;
            signName = template.Draft.SignName;
            providerTemplateId = template.Draft.RelTemplateId;
        }
        else
        {
            var textError = TemplateText.Validate(r.Content!) is { } contentError ? $"content: {contentError}"
                : TemplateText.Validate(r.Subject) is { } subjectError ? $"subject: {subjectError}"
                : null;
            if (textError is not null)
            {
                return (default, Rejection.Invalid(textError));
            }
            channels = r.Channels.Distinct().Select(c => (Channel)c);
            subjectText = r.Subject;
            bodyText = r.Content!;
        }

        var contents = ImmutableArray.CreateBuilder<ChannelContent>();
        foreach (var channel in channels)
        {
            var html = channel == Channel.Email && LooksLikeHtml(bodyText);
            var (max, inCharacters) = limits.Rendered.For(channel, providerTemplateId);
            // Bytes are at least as many as characters: rendering stops early past the limit in characters.
            var subject = TemplateText.Render(subjectText, r.TemplateData, htmlEncode: false, MaxRenderedSubjectLength);
            var body = TemplateText.Render(bodyText, r.TemplateData, htmlEncode: html, max);
            var missing = subject.Missing.AddRange(body.Missing).Distinct().ToList();
            if (missing.Count > 0)
            {
                return (default, Rejection.Invalid($"templateData: missing template data for: {InputText.QuoteAll(missing)}"));
            }
            if (subject.TooLong)
            {
                return (default, Rejection.Invalid($"the rendered subject is longer than {MaxRenderedSubjectLength} characters"));
            }
            var size = body.TooLong ? (long)max + 1
                : inCharacters ? body.Text!.Length
                : System.Text.Encoding.UTF8.GetByteCount(subject.Text!) + System.Text.Encoding.UTF8.GetByteCount(body.Text!);
            if (size > max)
            {
                var unit = inCharacters ? "characters" : "bytes";
                return (default, Rejection.Invalid(
                    $"the rendered message for channel {(int)channel} ({channel}) is {(body.TooLong ? "over " + max : size)} {unit}; it takes at most {max} {unit}"));
            }
            contents.Add(new ChannelContent(channel, subject.Text!, body.Text!, html, signName, providerTemplateId));
        }
        return (contents.ToImmutable(), null);
    }

    /// <summary>The contact a user is reached at on a channel ("" when the user has none).</summary>
    public static string AddressOf(Channel channel, UserProfile p) => channel switch
    {
        Channel.Email => p.Email,
        Channel.Sms => p.Mobile,
        Channel.Lark => p.LarkId,
        Channel.DingTalk => p.DingtalkId,
        Channel.WeCom => p.WechatId,
        _ => "",
    };

    /// <summary>The wire name of the contact field a channel uses, for "user has no …" reasons.</summary>
    public static string ContactField(Channel channel) => channel switch
    {
        Channel.Email => "email",
        Channel.Sms => "mobile",
        Channel.Lark => "lark_id",
        Channel.DingTalk => "dingtalk_id",
        Channel.WeCom => "wechat_id",
        _ => "webhook URL (webhooks take direct `to` addresses only)",
    };

    /// <summary>Whether a direct address is usable on a channel; a message in words, or null.</summary>
    public static string? ValidateAddress(Channel channel, string address)
    {
        if (address.Length == 0) return "an address in `to` is empty";
        return channel switch
        {
            Channel.Email => UserValidation.ValidateEmail(address) is null ? null : "to: not a valid email address",
            Channel.Sms => UserValidation.ValidateMobile(address) is null ? null : "to: not a valid mobile number",
            // A URL, or the name of a configured endpoint (the router refuses a name no provider has).
            Channel.Webhook when address.Length > MaxAddressLength => $"to: a webhook address must be at most {MaxAddressLength} characters",
            Channel.Webhook => Uri.TryCreate(address, UriKind.Absolute, out var uri) ? (uri.Scheme is "http" or "https"
                ? null : "to: a webhook address must be an http(s) URL") : EndpointName().IsMatch(address)
                ? null : "to: a webhook address must be an http(s) URL or a configured endpoint name",
            _ => address.Length <= UserValidation.MaxContactLength ? null : $"to: at most {UserValidation.MaxContactLength} characters",
        };
    }

    private static bool LooksLikeHtml(string text) => HtmlTag().IsMatch(text);

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$")]
    private static partial Regex EndpointName();

    [GeneratedRegex(@"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")]
    private static partial Regex HtmlTag();
}
