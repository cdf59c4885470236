namespace MsgMate.Actors.Quotas;

/// <summary>
/// A token bucket per quota: it holds up to <c>num</c> tokens and refills at <c>num</c> per <c>unit</c>, continuously;
/// a message takes a token. Better than the Go project's fixed windows, which let 2×num through around a window's
/// edge: here no span of one unit ever passes more than num plus what refilled within it. An empty bucket's
/// answer says how long until enough tokens are back (Retry-After). Pure; the Redis script does the same arithmetic.
/// </summary>
public static class TokenBucket
{
    /// <summary>A bucket's state: tokens at <c>UpdatedMs</c>. A bucket never seen is full.</summary>
    public readonly record struct State(double Tokens, long UpdatedMs);

    public static State Refill(State? state, QuotaRule rule, long now)
    {
        if (state is not { } s)
        {
            return new State(rule.Num, now);
        }
        var elapsed = Math.Max(0, now - s.UpdatedMs);
        return new State(Math.Min(rule.Num, s.Tokens + elapsed * (double)rule.Num / rule.UnitMs), Math.Max(now, s.UpdatedMs));
    }

    /// <summary>How long until <paramref name="cost"/> tokens are there (0: now); a cost over the whole quota waits a full unit and never fits.</summary>
    public static long WaitMs(State refilled, QuotaRule rule, long cost) =>
        refilled.Tokens >= cost ? 0
        : cost > rule.Num ? rule.UnitMs
        : (long)Math.Ceiling((cost - refilled.Tokens) * rule.UnitMs / rule.Num);

    /// <summary>After taking (or, with a negative cost, giving back) tokens; never above the bucket's size.</summary>
    public static State Take(State refilled, QuotaRule rule, long cost) =>
        refilled with { Tokens = Math.Min(rule.Num, refilled.Tokens - cost) };

    /// <summary>How long until a bucket in this state is full again: after that it may be forgotten (the key's TTL).</summary>
    public static long FullAfterMs(State state, QuotaRule rule) =>
        (long)Math.Ceiling(Math.Max(0, rule.Num - state.Tokens) * rule.UnitMs / rule.Num) + 1000;
}

/// <summary>The answer of a quota check.</summary>
public sealed record QuotaOutcome(bool Allowed, long RetryAfterMs, QuotaRule? Exhausted, bool Unavailable)
{
    public static readonly QuotaOutcome Yes = new(true, 0, null, false);

    /// <summary>The wait as a Retry-After header says it: whole seconds, at least 1.</summary>
    public int RetryAfterSeconds => (int)Math.Max(1, Math.Ceiling(RetryAfterMs / 1000.0));

    public static QuotaOutcome No(long retryAfterMs, QuotaRule rule) => new(false, retryAfterMs, rule, false);

    /// <summary>The counter cannot be reached (Redis down): the caller decides (intake fails closed).</summary>
    public static readonly QuotaOutcome Down = new(false, 0, null, true);
}

/// <summary>Where buckets live: this process (no Redis configured) or Redis (shared by every node).</summary>
public interface IQuotaCounter
{
    /// <summary>
    /// Takes every debit or none. <paramref name="force"/> takes them even when a bucket runs short (the count
    /// goes below zero): for what must not be refused (a schedule's firing) but still counts.
    /// </summary>
    Task<QuotaOutcome> TakeAsync(IReadOnlyList<BucketDebit> debits, bool force, CancellationToken ct = default);

    /// <summary>Gives back what a send took when it was not stored after all.</summary>
    Task RefundAsync(IReadOnlyList<BucketDebit> debits, CancellationToken ct = default);

    /// <summary>Whether the counter answers (for /readyz).</summary>
    Task<bool> ReachableAsync(CancellationToken ct = default);

    string Name { get; }
}

/// <summary>Buckets in this process: the limits hold per node (documented). Bounded: idle full buckets are dropped.</summary>
public sealed class MemoryQuotaCounter(TimeProvider clock) : IQuotaCounter
{
    private const int MaxBuckets = 100_000;

    private readonly Dictionary<string, TokenBucket.State> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public string Name => "memory (per node)";

    public Task<QuotaOutcome> TakeAsync(IReadOnlyList<BucketDebit> debits, bool force, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            var refilled = debits.Select(d => TokenBucket.Refill(_buckets.TryGetValue(d.Key, out var s) ? s : null, d.Rule, now)).ToArray();
            if (!force)
            {
                var (wait, rule) = (0L, (QuotaRule?)null);
                for (var i = 0; i < debits.Count; i++)
                {
                    var w = TokenBucket.WaitMs(refilled[i], debits[i].Rule, debits[i].Cost);
                    if (w > wait)
                    {
                        (wait, rule) = (w, debits[i].Rule);
                    }
                }
                if (rule is not null)
                {
                    return Task.FromResult(QuotaOutcome.No(wait, rule));
                }
            }
            if (_buckets.Count > MaxBuckets)
            {
                Prune(now);
            }
            for (var i = 0; i < debits.Count; i++)
            {
                _buckets[debits[i].Key] = TokenBucket.Take(refilled[i], debits[i].Rule, debits[i].Cost);
            }
        }
        return Task.FromResult(QuotaOutcome.Yes);
    }

    public Task RefundAsync(IReadOnlyList<BucketDebit> debits, CancellationToken ct = default) =>
        TakeAsync(BucketDebit.Refunds(debits), force: true, ct);

    public Task<bool> ReachableAsync(CancellationToken ct = default) => Task.FromResult(true);

    private void Prune(long now)
    {
        // A bucket last touched more than a day ago is full again for every allowed unit (≤ 31 days would need
        // the rule; a day keeps this simple and bounded): drop those, then the oldest if still too many.
        foreach (var key in _buckets.Where(b => now - b.Value.UpdatedMs > 86_400_000).Select(b => b.Key).ToList())
        {
            _buckets.Remove(key);
        }
        if (_buckets.Count > MaxBuckets)
        {
            foreach (var key in _buckets.OrderBy(b => b.Value.UpdatedMs).Take(_buckets.Count - MaxBuckets / 2).Select(b => b.Key).ToList())
            {
                _buckets.Remove(key);
            }
        }
    }
}
