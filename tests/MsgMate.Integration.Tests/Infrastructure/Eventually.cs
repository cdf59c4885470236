namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>Waits for a condition the system reaches asynchronously, polling it, with a hard deadline.</summary>
public static class Eventually
{
    public static Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        AssertAsync(condition, timeout, () => what);

    /// <param name="what">Evaluated at the deadline, so that it can say what was last seen.</param>
    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not reached within {timeout.TotalSeconds:0}s: {what()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits for a backlog to reach zero. The deadline is on progress, not on the whole: as long as the count keeps
    /// falling the wait goes on (a loaded machine drains slowly, not never); it fails when the count has not fallen
    /// for <paramref name="stall"/>.
    /// </summary>
    public static async Task DrainsAsync(Func<Task<long>> remaining, TimeSpan stall, string what)
    {
        var lowest = long.MaxValue;
        var lastProgress = DateTime.UtcNow;
        while (true)
        {
            var now = await remaining();
            if (now == 0)
            {
                return;
            }
            if (now < lowest)
            {
                lowest = now;
                lastProgress = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - lastProgress > stall)
            {
                Assert.Fail($"{what}: stuck at {now} for {stall.TotalSeconds:0}s");
            }
            await Task.Delay(250);
        }
    }
}
