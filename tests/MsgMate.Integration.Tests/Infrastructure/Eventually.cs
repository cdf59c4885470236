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
}
