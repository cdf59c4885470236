using System.Globalization;

namespace MsgMate.Http.Infrastructure;

/// <summary>Reading times sent by clients: "YYYY-MM-DD HH:mm:ss" in the configured zone, or ISO 8601 with an offset.</summary>
public static class WireTime
{
    public static bool TryParse(string text, TimeZoneInfo zone, out DateTimeOffset instant)
    {
        if (DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            instant = new DateTimeOffset(local, zone.GetUtcOffset(local));
            return true;
        }
        return DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
            CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }
}
