namespace MsgMate.Http.Infrastructure;

/// <summary>Times on the wire: RFC 3339 with the offset of the configured zone, as Go's time.Time marshals.</summary>
public static class ApiTime
{
    public static string Format(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFzzz", System.Globalization.CultureInfo.InvariantCulture);
}
