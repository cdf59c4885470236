namespace MsgMate.Actors.Common;

/// <summary>
/// User input inside an error message: shown as given up to <see cref="MaxShown"/> characters, beyond that cut
/// with an ellipsis and the original length, so that a 70 KB id never comes back whole in <c>msg</c>.
/// </summary>
public static class InputText
{
    public const int MaxShown = 200;

    /// <summary><paramref name="value"/> as is when short; else its first 200 characters, "…" and "(N characters)".</summary>
    public static string Quote(string? value, int max = MaxShown)
    {
        if (value is null)
        {
            return "";
        }
        if (value.Length <= max)
        {
            return value;
        }
        var cut = max;
        // Never split a surrogate pair: the message stays valid UTF-16 (and UTF-8 on the wire).
        if (cut > 0 && char.IsHighSurrogate(value[cut - 1]))
        {
            cut--;
        }
        return $"{value.AsSpan(0, cut)}… ({value.Length} characters)";
    }

    /// <summary>Several inputs joined with ", ", the whole bounded as by <see cref="Quote"/>.</summary>
    public static string QuoteAll(IEnumerable<string> values, int max = MaxShown) => Quote(string.Join(", ", values), max);
}
