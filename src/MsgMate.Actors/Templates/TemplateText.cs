using System.Collections.Immutable;
using System.Net;
using System.Text;

namespace MsgMate.Actors.Templates;

/// <summary>The outcome of rendering: the text, or the placeholders that had no value, or that it grew too long.</summary>
public sealed record RenderResult(string? Text, ImmutableArray<string> Missing, bool TooLong = false)
{
    public bool IsOk => Text is not null;

    public string Error => $"missing template data for: {Common.InputText.QuoteAll(Missing)}";
}

/// <summary>
/// <c>{{name}}</c> placeholders: parsing and substitution. Plain text substitution only: a value is never
/// parsed again, so data can never inject placeholders, and templates never execute code.
/// </summary>
public static class TemplateText
{
    public const int MaxNameLength = 64;

    /// <summary>Distinct placeholders a template (content and subject) or an inline content may hold.</summary>
    public const int MaxPlaceholders = 100;

    /// <summary>The distinct placeholder names in order of first use, or a message for a malformed one.</summary>
    public static (ImmutableArray<string> Names, string? Error) Parse(string content)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var token in Scan(content))
        {
            if (token.Error is not null)
            {
                return (default, token.Error);
            }
            if (token.Name is not null && !names.Contains(token.Name))
            {
                names.Add(token.Name);
            }
        }
        return (names.ToImmutable(), null);
    }

    /// <summary>The first problem of a template text in words (malformed, too many placeholders), or null.</summary>
    public static string? Validate(string content)
    {
        var (names, error) = Parse(content);
        return error ?? (names.Length > MaxPlaceholders ? $"at most {MaxPlaceholders} distinct placeholders, not {names.Length}" : null);
    }

    /// <summary>
    /// Substitutes every placeholder. With <paramref name="htmlEncode"/> (email bodies) values are
    /// HTML-encoded: the template's own markup is trusted, the caller's data is not. Rendering stops once the text
    /// passes <paramref name="maxLength"/> characters (<see cref="RenderResult.TooLong"/>): a 64 KB template of one
    /// placeholder repeated, filled with a 16 KB value, would otherwise grow to gigabytes before any check.
    /// </summary>
    public static RenderResult Render(string content, IReadOnlyDictionary<string, string>? data, bool htmlEncode, int maxLength = int.MaxValue)
    {
        var text = new StringBuilder(Math.Min(content.Length + 64, maxLength));
        var missing = ImmutableArray.CreateBuilder<string>();
        foreach (var token in Scan(content))
        {
            if (token.Error is not null)
            {
                return new RenderResult(null, [token.Error]);
            }
            if (text.Length > maxLength)
            {
                return new RenderResult(null, [], TooLong: true);
            }
            if (token.Name is null)
            {
                text.Append(content, token.Start, token.Length);
            }
            else if (data is not null && data.TryGetValue(token.Name, out var value))
            {
                text.Append(htmlEncode ? WebUtility.HtmlEncode(value) : value);
            }
            else if (!missing.Contains(token.Name))
            {
                missing.Add(token.Name);
            }
        }
        return missing.Count > 0 ? new RenderResult(null, missing.ToImmutable())
            : text.Length > maxLength ? new RenderResult(null, [], TooLong: true)
            : new RenderResult(text.ToString(), []);
    }

    private readonly record struct Token(int Start, int Length, string? Name, string? Error);

    private static IEnumerable<Token> Scan(string content)
    {
        var pos = 0;
        while (pos < content.Length)
        {
            var open = content.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0)
            {
                yield return new Token(pos, content.Length - pos, null, null);
                yield break;
            }
            if (open > pos)
            {
                yield return new Token(pos, open - pos, null, null);
            }
            var close = content.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                yield return new Token(open, 0, null, $"placeholder opened at position {open} is not closed with }}}}");
                yield break;
            }
            var name = content.Substring(open + 2, close - open - 2).Trim();
            if (!IsValidName(name))
            {
                yield return new Token(open, 0, null,
                    $"placeholder '{{{{{Common.InputText.Quote(name, MaxNameLength + 16)}}}}}' at position {open} must be a name of letters, digits, _ . - (at most {MaxNameLength})");
                yield break;
            }
            yield return new Token(open, close + 2 - open, name, null);
            pos = close + 2;
        }
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && (char.IsLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '.' or '-');
}
