using Cronos;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Schedules;

/// <summary>
/// How a recurring schedule repeats: a cron expression in a time zone (5 fields, or 6 with seconds), or a fixed
/// interval from its first time; optionally until an end time or for a number of firings.
/// </summary>
/// <param name="EndAtMs">Unix ms after which it fires no more (0 = never).</param>
/// <param name="MaxCount">Firings after which it is done (0 = no limit).</param>
public sealed record Recurrence(string Cron, long IntervalMs, string TimeZone, long EndAtMs, int MaxCount)
{
    public bool IsCron => Cron.Length > 0;
}

/// <summary>Next fire times; pure.</summary>
public static class Recurrences
{
    public const long MinIntervalMs = 1000;

    /// <summary>A cron expression of 6 fields with lists and ranges fits easily; longer is not a schedule.</summary>
    public const int MaxCronLength = 128;

    /// <summary>The longest IANA zone name is 32 characters (America/Argentina/ComodRivadavia).</summary>
    public const int MaxTimeZoneLength = 64;

    public static string? Validate(Recurrence r)
    {
        if (r.Cron.Length > MaxCronLength)
        {
            return $"cron must be at most {MaxCronLength} characters";
        }
        if (r.TimeZone.Length > MaxTimeZoneLength)
        {
            return $"time_zone must be at most {MaxTimeZoneLength} characters";
        }
        if (r.IsCron == (r.IntervalMs > 0))
        {
            return "a recurring schedule needs either cron or interval_seconds";
        }
        if (!r.IsCron && r.IntervalMs < MinIntervalMs)
        {
            return "interval_seconds must be at least 1";
        }
        if (r.MaxCount < 0)
        {
            return "max_count must not be negative";
        }
        if (!TryZone(r.TimeZone, out _))
        {
            return $"time_zone '{InputText.Quote(r.TimeZone)}' is not a known time zone";
        }
        return r.IsCron && !TryParse(r.Cron, out _) ? $"cron '{InputText.Quote(r.Cron)}' is not a valid cron expression (5 fields, or 6 with seconds)" : null;
    }

    /// <summary>
    /// The first fire time strictly after <paramref name="afterMs"/> (and not before <paramref name="startMs"/>),
    /// or null when the recurrence is over (end time passed or <paramref name="firedCount"/> reached max_count).
    /// </summary>
    public static long? Next(Recurrence r, long startMs, long afterMs, int firedCount)
    {
        if (r.MaxCount > 0 && firedCount >= r.MaxCount)
        {
            return null;
        }
        long next;
        if (r.IsCron)
        {
            TryParse(r.Cron, out var cron);
            TryZone(r.TimeZone, out var zone);
            var from = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(afterMs, startMs - 1)).UtcDateTime;
            var occurrence = cron!.GetNextOccurrence(from, zone!, inclusive: false);
            if (occurrence is null)
            {
                return null;
            }
            next = new DateTimeOffset(occurrence.Value).ToUnixTimeMilliseconds();
        }
        else
        {
            // start, start + i, start + 2i, … : the first one after `afterMs`.
            next = afterMs < startMs ? startMs : startMs + ((afterMs - startMs) / r.IntervalMs + 1) * r.IntervalMs;
        }
        return r.EndAtMs > 0 && next > r.EndAtMs ? null : next;
    }

    /// <summary>The next <paramref name="count"/> fire times after <paramref name="afterMs"/>, for the list.</summary>
    public static IReadOnlyList<long> Upcoming(Recurrence r, long startMs, long afterMs, int firedCount, int count)
    {
        var result = new List<long>(count);
        var after = afterMs;
        for (var fired = firedCount; result.Count < count && Next(r, startMs, after, fired) is { } next; fired++)
        {
            result.Add(next);
            after = next;
        }
        return result;
    }

    private static bool TryParse(string expression, out CronExpression? cron)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            cron = CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return fields is 5 or 6;
        }
        catch (CronFormatException)
        {
            cron = null;
            return false;
        }
    }

    private static bool TryZone(string id, out TimeZoneInfo? zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            zone = null;
            return false;
        }
    }
}
