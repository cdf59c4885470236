using MsgMate.Actors.Schedules;

namespace MsgMate.Actors.Tests.Schedules;

public class RecurrenceTests
{
    private static long Ms(string iso) => DateTimeOffset.Parse(iso).ToUnixTimeMilliseconds();

    [Fact(DisplayName = "An interval fires at start, start + i, start + 2i …, never before start")]
    public void Interval_steps_from_start()
    {
        var r = new Recurrence("", 60_000, "UTC", 0, 0);
        var start = Ms("2026-01-01T00:00:00Z");
        Assert.Equal(start, Recurrences.Next(r, start, start - 5_000, 0));
        Assert.Equal(start + 60_000, Recurrences.Next(r, start, start, 1));
        Assert.Equal(start + 180_000, Recurrences.Next(r, start, start + 125_000, 2));
    }

    [Fact(DisplayName = "A cron expression is evaluated in its time zone")]
    public void Cron_in_zone()
    {
        // 09:00 every day in Shanghai is 01:00 UTC.
        var r = new Recurrence("0 9 * * *", 0, "Asia/Shanghai", 0, 0);
        var after = Ms("2026-03-01T02:00:00Z");
        Assert.Equal(Ms("2026-03-02T01:00:00Z"), Recurrences.Next(r, 0, after, 0));
    }

    [Fact(DisplayName = "Six fields are a cron with seconds")]
    public void Cron_with_seconds()
    {
        var r = new Recurrence("*/10 * * * * *", 0, "UTC", 0, 0);
        Assert.Equal(Ms("2026-01-01T00:00:10Z"), Recurrences.Next(r, 0, Ms("2026-01-01T00:00:03Z"), 0));
    }

    [Fact(DisplayName = "End time and max count end a recurrence")]
    public void Ends()
    {
        var start = Ms("2026-01-01T00:00:00Z");
        Assert.Null(Recurrences.Next(new Recurrence("", 1000, "UTC", 0, 3), start, start + 5000, 3));
        Assert.Null(Recurrences.Next(new Recurrence("", 1000, "UTC", start + 2500, 0), start, start + 2000, 2));
        Assert.Equal(start + 2000, Recurrences.Next(new Recurrence("", 1000, "UTC", start + 2500, 0), start, start + 1000, 1));
    }

    [Theory(DisplayName = "Invalid recurrences are refused with a message")]
    [InlineData("", 0, "UTC", "either cron or interval_seconds")]
    [InlineData("* * *", 0, "UTC", "not a valid cron")]
    [InlineData("61 * * * *", 0, "UTC", "not a valid cron")]
    [InlineData("", 500, "UTC", "at least 1")]
    [InlineData("", 5000, "Mars/Olympus", "not a known time zone")]
    [InlineData("* * * * *", 5000, "UTC", "either cron or interval_seconds")]
    public void Invalid(string cron, long intervalMs, string zone, string expected)
    {
        Assert.Contains(expected, Recurrences.Validate(new Recurrence(cron, intervalMs, zone, 0, 0)));
    }

    [Fact(DisplayName = "A cron of 128 characters and a time zone name of 64 are read; one more character of either is refused")]
    public void Cron_and_zone_lengths()
    {
        var cron = "0 9 * * " + string.Join(",", Enumerable.Repeat("1", 60)); // 8 + 119 characters
        cron += new string(' ', 128 - cron.Length);
        Assert.Equal(128, cron.Length);
        Assert.Null(Recurrences.Validate(new Recurrence(cron, 0, "UTC", 0, 0)));
        Assert.Contains("cron must be at most 128", Recurrences.Validate(new Recurrence(cron + " ", 0, "UTC", 0, 0)));
        Assert.Contains("not a known time zone", Recurrences.Validate(new Recurrence("", 5000, new string('z', 64), 0, 0)));
        Assert.Contains("time_zone must be at most 64", Recurrences.Validate(new Recurrence("", 5000, new string('z', 65), 0, 0)));
    }

    [Fact(DisplayName = "Upcoming lists the next fire times for the list view")]
    public void Upcoming()
    {
        var start = Ms("2026-01-01T00:00:00Z");
        Assert.Equal<long>([start + 1000, start + 2000, start + 3000], Recurrences.Upcoming(new Recurrence("", 1000, "UTC", 0, 0), start, start, 1, 3));
        Assert.Equal<long>([start + 1000], Recurrences.Upcoming(new Recurrence("", 1000, "UTC", 0, 2), start, start, 1, 3));
    }
}
