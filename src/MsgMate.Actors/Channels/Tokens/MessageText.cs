namespace MsgMate.Actors.Channels.Tokens;

/// <summary>The chat message types a template's <c>relTemplateID</c> selects (DingTalk, WeCom).</summary>
public enum ChatMessageKind
{
    Text,
    Markdown,
    ActionCard,
}

/// <summary>Turns a rendered subject and body into chat message parts (DingTalk, WeCom).</summary>
public static class MessageText
{
    public const string DefaultTitle = "Notification";

    /// <summary>
    /// The message type for a template's <c>relTemplateID</c>: empty or "text", "markdown", "actionCard" (also
    /// "action_card"), any case. Null for anything else.
    /// </summary>
    public static ChatMessageKind? Kind(string? relTemplateId) => (relTemplateId ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "text" => ChatMessageKind.Text,
        "markdown" => ChatMessageKind.Markdown,
        "actioncard" or "action_card" => ChatMessageKind.ActionCard,
        _ => null,
    };

    /// <summary>Plain text: the subject on its own line above the body; either alone when the other is empty.</summary>
    public static string Combine(string? subject, string? body)
    {
        subject = subject?.Trim() ?? "";
        body ??= "";
        return subject.Length == 0 ? body
            : body.Trim().Length == 0 ? subject
            : $"{subject}\n{body}";
    }

    /// <summary>
    /// A title (shown in the conversation list): the subject, else the body's first non-empty line without markdown
    /// heading marks, at most 64 characters; "Notification" when both are empty.
    /// </summary>
    public static string Title(string? subject, string? body)
    {
        if (!string.IsNullOrWhiteSpace(subject))
        {
            return subject.Trim();
        }
        var line = (body ?? "").Split('\n').Select(l => l.Trim().TrimStart('#', '>', ' ').Trim()).FirstOrDefault(l => l.Length > 0);
        return line is null ? DefaultTitle : line.Length <= 64 ? line : line[..64];
    }

    /// <summary>The markdown text: the body, or the subject when the body is empty.</summary>
    public static string Markdown(string? subject, string? body) => string.IsNullOrWhiteSpace(body) ? subject?.Trim() ?? "" : body;

    /// <summary>A template value by key, any case; null when absent or blank.</summary>
    public static string? Value(IReadOnlyDictionary<string, string>? data, params string[] keys)
    {
        if (data is null)
        {
            return null;
        }
        foreach (var key in keys)
        {
            if (data.TryGetValue(key, out var exact) && !string.IsNullOrWhiteSpace(exact))
            {
                return exact.Trim();
            }
            foreach (var (k, v) in data)
            {
                if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(v))
                {
                    return v.Trim();
                }
            }
        }
        return null;
    }
}
