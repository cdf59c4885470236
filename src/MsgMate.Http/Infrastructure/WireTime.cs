using System.Globalization;

namespace MsgMate.Http.Infrastructure;

/// <summary>Reading times sent by clients: "YYYY-MM-DD HH:mm:ss" in the configured zone, or ISO 8601 with an offset.</summary>
public static class WireTime
{
    /// <summary>The longest time text read; anything longer is not a time (and is not parsed).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// An optional time field of a request body: absent or blank is none; otherwise Unix milliseconds (surrounding
    /// blanks ignored), or the clear error naming <paramref name="field"/>.
    /// </summary>
    public static (long? Ms, string? Error) ParseOptional(string? text, string field, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }
        return TryParse(text.Trim(), zone, out var instant)
            ? (instant.ToUnixTimeMilliseconds(), null)
            : (null, $"{field} must be \"YYYY-MM-DD HH:mm:ss\" or ISO 8601 with an offset");
    }

    public static bool TryParse(string text, TimeZoneInfo zone, out DateTimeOffset instant)
    {
        instant = default;
        if (text.Length > MaxLength)
        {
            return false;
        }
        if (DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var offset = zone.GetUtcOffset(local);
            // 0001-01-01 00:00:00 at +08:00 lies before the first instant a DateTimeOffset holds (and 9999-12-31 23:59:59
            // at -05:00 after the last): not a time, rather than an exception.
            var utcTicks = local.Ticks - offset.Ticks;
            if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
            {
                return false;
            }
            instant = new DateTimeOffset(local, offset);
            return true;
        }
        return DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
            CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }
}
