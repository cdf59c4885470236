namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// Runs a set-up that must be over before a due time it sets itself: create a future send or a schedule, see it
/// waiting, cancel it. The due time is a whole second at least a lead ahead; an answer that came back before it
/// was given before it, so what the set-up asserts is then exact. When the machine was too slow to finish before
/// the due time, the round proves nothing (a failure in it is not reported either) and runs again with twice the
/// lead, after <c>overran</c> has tidied up what it created.
/// </summary>
public static class BeforeDue
{
    /// <summary>Beyond this lead a set-up that still cannot finish in time fails the test.</summary>
    private static readonly TimeSpan MaxLead = TimeSpan.FromMinutes(2);

    /// <param name="setUp">Given the due time; may assert on what it sees.</param>
    /// <param name="overran">After a round that ended past its due time, before the next one.</param>
    /// <param name="margin">How long before the due time the set-up must be over (default: by the due time).</param>
    public static async Task<(DateTimeOffset Due, T Result)> RunAsync<T>(
        TimeSpan lead, Func<DateTimeOffset, Task<T>> setUp, Func<Task>? overran = null, TimeSpan margin = default)
    {
        for (; ; lead *= 2)
        {
            var due = WholeSecondAfter(DateTimeOffset.UtcNow + lead);
            var deadline = due - margin;
            try
            {
                var result = await setUp(due);
                if (DateTimeOffset.UtcNow < deadline)
                {
                    return (due, result);
                }
            }
            catch (Exception) when (DateTimeOffset.UtcNow >= deadline)
            {
                // Too slow for this lead: what the set-up saw may be the due time passing, not a fault.
            }
            Assert.True(lead < MaxLead, $"a set-up due {lead.TotalSeconds:0} s ahead did not finish before its due time");
            if (overran is not null)
            {
                await overran();
            }
        }
    }

    /// <summary>The next whole second after <paramref name="t"/> (schedules and sendTimestamp in seconds agree on it).</summary>
    public static DateTimeOffset WholeSecondAfter(DateTimeOffset t) => t.AddTicks(-(t.Ticks % TimeSpan.TicksPerSecond)).AddSeconds(1);
}
