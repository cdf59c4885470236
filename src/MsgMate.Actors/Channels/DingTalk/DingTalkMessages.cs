using System.Text.Json.Nodes;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>
/// DingTalk message bodies for a rendered message. The template's <c>relTemplateID</c> selects the type:
/// empty / "text" → text (subject line above the body), "markdown" → markdown (title: the subject), "actionCard" →
/// a whole-card jump action card (title: the subject, text: the body as markdown, the button from the template
/// values <c>singleURL</c> (or <c>url</c>) and <c>singleTitle</c>, default "查看详情").
/// </summary>
public static class DingTalkMessages
{
    public const string DefaultButtonTitle = "查看详情";

    /// <summary>The custom robot's body (<c>msgtype</c> text, markdown or actionCard), or why there is none.</summary>
    public static JsonObject? Robot(OutboundMessage message, out string error)
    {
        error = "";
        switch (MessageText.Kind(message.ProviderTemplateId))
        {
            case ChatMessageKind.Text:
                return new JsonObject
                {
                    ["msgtype"] = "text",
                    ["text"] = new JsonObject { ["content"] = MessageText.Combine(message.Subject, message.Body) },
                };
            case ChatMessageKind.Markdown:
                return new JsonObject
                {
                    ["msgtype"] = "markdown",
                    ["markdown"] = new JsonObject
                    {
                        ["title"] = MessageText.Title(message.Subject, message.Body),
                        ["text"] = MessageText.Markdown(message.Subject, message.Body),
                    },
                };
            case ChatMessageKind.ActionCard:
                if (!Button(message, out var url, out var buttonTitle, out error))
                {
                    return null;
                }
                return new JsonObject
                {
                    ["msgtype"] = "actionCard",
                    ["actionCard"] = new JsonObject
                    {
                        ["title"] = MessageText.Title(message.Subject, message.Body),
                        ["text"] = MessageText.Markdown(message.Subject, message.Body),
                        ["singleTitle"] = buttonTitle,
                        ["singleURL"] = url,
                    },
                };
            default:
                error = Unsupported(message.ProviderTemplateId);
                return null;
        }
    }

    /// <summary>The work notification's <c>msg</c> (<c>msgtype</c> text, markdown or action_card), or why there is none.</summary>
    public static JsonObject? App(OutboundMessage message, out string error)
    {
        error = "";
        switch (MessageText.Kind(message.ProviderTemplateId))
        {
            case ChatMessageKind.Text:
                return new JsonObject
                {
                    ["msgtype"] = "text",
                    ["text"] = new JsonObject { ["content"] = MessageText.Combine(message.Subject, message.Body) },
                };
            case ChatMessageKind.Markdown:
                return new JsonObject
                {
                    ["msgtype"] = "markdown",
                    ["markdown"] = new JsonObject
                    {
                        ["title"] = MessageText.Title(message.Subject, message.Body),
                        ["text"] = MessageText.Markdown(message.Subject, message.Body),
                    },
                };
            case ChatMessageKind.ActionCard:
                if (!Button(message, out var url, out var buttonTitle, out error))
                {
                    return null;
                }
                return new JsonObject
                {
                    ["msgtype"] = "action_card",
                    ["action_card"] = new JsonObject
                    {
                        ["title"] = MessageText.Title(message.Subject, message.Body),
                        ["markdown"] = MessageText.Markdown(message.Subject, message.Body),
                        ["single_title"] = buttonTitle,
                        ["single_url"] = url,
                    },
                };
            default:
                error = Unsupported(message.ProviderTemplateId);
                return null;
        }
    }

    private static bool Button(OutboundMessage message, out string url, out string title, out string error)
    {
        url = MessageText.Value(message.TemplateData, "singleURL", "url") ?? "";
        title = MessageText.Value(message.TemplateData, "singleTitle") ?? DefaultButtonTitle;
        error = "";
        if (!Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            error = "an actionCard template needs the button's link as the template value 'singleURL' (or 'url'), an absolute URL";
            return false;
        }
        return true;
    }

    private static string Unsupported(string relTemplateId) =>
        $"relTemplateID '{Truncate(relTemplateId)}' is not a DingTalk message type (empty or text, markdown, actionCard)";

    internal static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
