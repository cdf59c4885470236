using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace MsgMate.Actors.Channels.Email;

/// <summary>
/// Derives the text/plain alternative of an HTML email: drops invisible elements, turns block ends and
/// <c>&lt;br&gt;</c> into line breaks, keeps link targets, strips the remaining tags and decodes entities.
/// Good enough for mail readers that prefer text; it is not a layout engine.
/// </summary>
public static partial class HtmlText
{
    public static string ToPlainText(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var text = Comment().Replace(html, "");
        text = Invisible().Replace(text, "");
        text = Link().Replace(text, m =>
        {
            var target = m.Groups["href"].Value.Trim();
            var label = m.Groups["label"].Value;
            var visible = WebUtility.HtmlDecode(Tag().Replace(label, "")).Trim();
            var keepTarget = target.Length > 0 && !target.StartsWith('#') && visible != target
                && !target.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase);
            return keepTarget ? $"{label} ({target})" : label;
        });
        text = LineBreak().Replace(text, "\n");
        text = ListItem().Replace(text, "\n- ");
        text = BlockBoundary().Replace(text, "\n");
        text = Tag().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        return Normalize(text);
    }

    /// <summary>Collapses runs of blanks per line, trims lines, keeps at most one empty line between paragraphs.</summary>
    private static string Normalize(string text)
    {
        var result = new StringBuilder(text.Length);
        var blankLines = 0;
        foreach (var raw in text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n'))
        {
            var line = Blanks().Replace(raw, " ").Trim();
            if (line.Length == 0)
            {
                blankLines++;
                continue;
            }
            if (result.Length > 0)
            {
                result.Append(blankLines > 0 ? "\n\n" : "\n");
            }
            result.Append(line);
            blankLines = 0;
        }
        return result.ToString();
    }

    [GeneratedRegex("<!--.*?(-->|$)", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"<(?<name>script|style|head|title|template)\b[^>]*>.*?</\k<name>\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Invisible();

    [GeneratedRegex(@"<a\b[^>]*?\bhref\s*=\s*(?:""(?<href>[^""]*)""|'(?<href>[^']*)'|(?<href>[^\s>]+))[^>]*>(?<label>.*?)</a\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Link();

    [GeneratedRegex(@"<br\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex(@"<li\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ListItem();

    [GeneratedRegex(@"</?(?:p|div|h[1-6]|ul|ol|tr|table|thead|tbody|tfoot|blockquote|pre|section|article|header|footer|nav|aside|main|hr|dl|dt|dd|center|form|fieldset|address)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBoundary();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t\f\v\u00A0]+")]
    private static partial Regex Blanks();
}
