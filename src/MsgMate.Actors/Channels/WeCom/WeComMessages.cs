using System.Text.Json.Nodes;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>
/// WeCom message parts for a rendered message. The template's <c>relTemplateID</c> selects the type: empty /
/// "text" → text (subject line above the body), "markdown" → markdown (the body as written; WeCom markdown has no
/// title, so a subject belongs in the template's body as a heading). Other types are refused.
/// </summary>
public static class WeComMessages
{
    /// <summary>The <c>msgtype</c> and its object (<c>{"content":…}</c>), or why there is none.</summary>
    public static (string MsgType, JsonObject Content)? Parts(OutboundMessage message, out string error)
    {
        error = "";
        switch (MessageText.Kind(message.ProviderTemplateId))
        {
            case ChatMessageKind.Text:
                return ("text", new JsonObject { ["content"] = MessageText.Combine(message.Subject, message.Body) });
            case ChatMessageKind.Markdown:
                return ("markdown", new JsonObject { ["content"] = MessageText.Markdown(message.Subject, message.Body) });
            default:
                var id = message.ProviderTemplateId.Length <= 40 ? message.ProviderTemplateId : message.ProviderTemplateId[..40] + "…";
                error = $"relTemplateID '{id}' is not a WeCom message type (empty or text, markdown)";
                return null;
        }
    }

    /// <summary>The group robot's body: <c>{"msgtype":"text","text":{"content":…}}</c> or the markdown equivalent.</summary>
    public static JsonObject? Robot(OutboundMessage message, out string error)
    {
        if (Parts(message, out error) is not { } parts)
        {
            return null;
        }
        var (type, content) = parts;
        return new JsonObject { ["msgtype"] = type, [type] = content };
    }

    /// <summary>The app message body for one UserID.</summary>
    public static JsonObject? App(OutboundMessage message, string toUser, int agentId, TimeSpan duplicateCheckInterval, out string error)
    {
        if (Parts(message, out error) is not { } parts)
        {
            return null;
        }
        var (type, content) = parts;
        var body = new JsonObject
        {
            ["touser"] = toUser,
            ["msgtype"] = type,
            ["agentid"] = agentId,
            [type] = content,
        };
        if (duplicateCheckInterval > TimeSpan.Zero)
        {
            body["enable_duplicate_check"] = 1;
            body["duplicate_check_interval"] = (long)Math.Ceiling(duplicateCheckInterval.TotalSeconds);
        }
        return body;
    }
}
