using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>A Lark message ready to post: the query's receive_id_type and the JSON body.</summary>
public sealed record LarkRequest(string ReceiveIdType, string MsgType, string Content, string? Uuid, byte[] Body);

/// <summary>
/// How a rendered message becomes a Lark im/v1/messages request. Pure functions, all JSON built with
/// System.Text.Json (the <c>content</c> field is the content object serialized to a string, as Lark requires).
/// <list type="bullet">
/// <item>The template's relTemplateID (<see cref="OutboundMessage.ProviderTemplateId"/>) picks the type, case-insensitively:
/// empty or <c>text</c> → <c>text</c>; <c>post</c> → <c>post</c>; <c>interactive</c>, <c>card</c> or <c>markdown</c> →
/// <c>interactive</c> (a card). Anything else is refused (a permanent failure naming these).</item>
/// <item>text: <c>{"text": …}</c>. Lark text has no title, so a subject becomes the first line, then the body.</item>
/// <item>post: <c>{"zh_cn": {"title": subject, "content": [[{"tag":"text","text": line}], …]}}</c>: one paragraph per
/// line of the body (CRLF and CR count as line breaks; trailing line breaks are dropped; a blank line is a
/// paragraph with an empty text). No title when the subject is empty.</item>
/// <item>interactive: a card (JSON 1.0) whose header title is the subject (no header when it is empty) and whose
/// one element is a <c>markdown</c> element holding the body.</item>
/// </list>
/// </summary>
public static class LarkContent
{
    public const string Text = "text";
    public const string Post = "post";
    public const string Interactive = "interactive";

    /// <summary>Lark keeps a uuid at most this long (requests with the same uuid succeed once within an hour).</summary>
    public const int MaxUuidLength = 50;

    /// <summary>The relTemplateID values understood, for error messages.</summary>
    public const string AllowedTypes = "\"\" or \"text\" (text), \"post\" (rich text), \"interactive\", \"card\" or \"markdown\" (a card with a markdown element)";

    /// <summary>
    /// Lark's JSON: strings are escaped as JSON requires (quotes, backslashes, control characters) and nothing more,
    /// so non-ASCII text stays UTF-8 instead of six-byte \u escapes that count against Lark's size limits.
    /// </summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The receive_id_type for a recipient: <c>ou_…</c> open_id, <c>on_…</c> union_id, <c>oc_…</c> chat_id, an
    /// address with '@' email, anything else user_id (which needs the contact:user.employee_id:readonly scope).
    /// </summary>
    public static string ReceiveIdType(string recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return recipient.StartsWith("ou_", StringComparison.Ordinal) ? "open_id"
            : recipient.StartsWith("on_", StringComparison.Ordinal) ? "union_id"
            : recipient.StartsWith("oc_", StringComparison.Ordinal) ? "chat_id"
            : recipient.Contains('@') ? "email"
            : "user_id";
    }

    /// <summary>The Lark msg_type for a relTemplateID, or null when it names none.</summary>
    public static string? MessageType(string? relTemplateId) => (relTemplateId ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "text" => Text,
        "post" => Post,
        "interactive" or "card" or "markdown" => Interactive,
        _ => null,
    };

    /// <summary>The content object of a message of <paramref name="msgType"/>, serialized (the string Lark expects).</summary>
    public static string BuildContent(string msgType, string subject, string body)
    {
        subject = (subject ?? "").Trim();
        body ??= "";
        JsonObject content = msgType switch
        {
            Text => new JsonObject { ["text"] = subject.Length == 0 ? body : body.Length == 0 ? subject : subject + "\n" + body },
            Post => PostContent(subject, body),
            Interactive => CardContent(subject, body),
            _ => throw new ArgumentOutOfRangeException(nameof(msgType), msgType, "not a Lark message type built here"),
        };
        return content.ToJsonString(Json);
    }

    /// <summary>
    /// The uuid Lark deduplicates by: the msgID itself when it fits (a GUID does), otherwise a digest of it (the same
    /// for every attempt of the message); none for an empty msgID.
    /// </summary>
    public static string? Uuid(string msgId)
    {
        if (string.IsNullOrEmpty(msgId))
        {
            return null;
        }
        if (msgId.Length <= MaxUuidLength)
        {
            return msgId;
        }
        return "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(msgId)))[..40];
    }

    /// <summary>
    /// The request for a message, or the reason it cannot be sent (a permanent failure: no recipient, an unknown
    /// relTemplateID).
    /// </summary>
    public static bool TryBuild(OutboundMessage message, out LarkRequest request, out string error)
    {
        ArgumentNullException.ThrowIfNull(message);
        request = null!;
        var to = (message.To ?? "").Trim();
        if (to.Length == 0)
        {
            error = "no Lark recipient (the user has no lark_id)";
            return false;
        }
        var msgType = MessageType(message.ProviderTemplateId);
        if (msgType is null)
        {
            var given = message.ProviderTemplateId.Trim();
            error = $"relTemplateID \"{(given.Length <= 40 ? given : given[..40] + "…")}\" is not a Lark message type; use {AllowedTypes}";
            return false;
        }
        var content = BuildContent(msgType, message.Subject, message.Body);
        var uuid = Uuid(message.MsgId);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Body(to, msgType, content, uuid), Json);
        request = new LarkRequest(ReceiveIdType(to), msgType, content, uuid, body);
        error = "";
        return true;
    }

    private static JsonObject PostContent(string subject, string body)
    {
        var paragraphs = new JsonArray();
        foreach (var line in Lines(body))
        {
            paragraphs.Add(new JsonArray(new JsonObject { ["tag"] = "text", ["text"] = line }));
        }
        var zhCn = new JsonObject();
        if (subject.Length > 0)
        {
            zhCn["title"] = subject;
        }
        zhCn["content"] = paragraphs;
        return new JsonObject { ["zh_cn"] = zhCn };
    }

    private static JsonObject CardContent(string subject, string body)
    {
        var card = new JsonObject { ["config"] = new JsonObject { ["wide_screen_mode"] = true } };
        if (subject.Length > 0)
        {
            card["header"] = new JsonObject { ["title"] = new JsonObject { ["tag"] = "plain_text", ["content"] = subject } };
        }
        card["elements"] = new JsonArray(new JsonObject { ["tag"] = "markdown", ["content"] = body });
        return card;
    }

    private static string[] Lines(string body) =>
        body.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n').Split('\n');

    private sealed record Body(
        [property: JsonPropertyName("receive_id")] string ReceiveId,
        [property: JsonPropertyName("msg_type")] string MsgType,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("uuid")] string? Uuid);
}
