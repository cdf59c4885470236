namespace MsgMate.Actors.Delivery;

/// <summary>Retry settings (the Go key max_retry_count maps to <see cref="MaxRetryCount"/>).</summary>
public sealed class RetryOptions
{
    /// <summary>Further attempts after the first one.</summary>
    public int MaxRetryCount { get; set; } = 4;

    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    public double Factor { get; set; } = 2.0;

    /// <summary>± fraction of the delay drawn at random, so that retries of one burst spread out.</summary>
    public double Jitter { get; set; } = 0.2;
}

/// <summary>Exponential backoff with jitter; pure apart from the random source it is given.</summary>
public static class RetryPolicy
{
    /// <summary>Whether a failed attempt may be retried, given the retries already made in this round.</summary>
    public static bool MayRetry(RetryOptions options, int retriesSoFar) => retriesSoFar < options.MaxRetryCount;

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based): min·factor^(retry-1), capped, ± jitter.</summary>
    public static TimeSpan Backoff(RetryOptions options, int retry, double random01)
    {
        var exponent = Math.Max(0, retry - 1);
        var baseMs = Math.Min(options.MaxBackoff.TotalMilliseconds, options.MinBackoff.TotalMilliseconds * Math.Pow(options.Factor, exponent));
        var jitter = 1 + options.Jitter * (2 * random01 - 1);
        return TimeSpan.FromMilliseconds(Math.Max(0, baseMs * jitter));
    }
}
