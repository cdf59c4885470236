using StackExchange.Redis;

namespace MsgMate.Actors.Quotas;

/// <summary>
/// Buckets in Redis, shared by every node: one Lua script takes all of a send's debits or none, atomically, on
/// Redis's own clock (so nodes' clocks do not matter). The arithmetic is <see cref="TokenBucket"/>'s. Keys are
/// <c>{msgmate}:q:…</c> — one hash tag, so a Redis Cluster keeps them in one slot — and expire once full again.
/// Unreachable Redis answers <see cref="QuotaOutcome.Down"/>; nothing is counted in memory meanwhile.
/// </summary>
public sealed class RedisQuotaCounter(IConnectionMultiplexer redis) : IQuotaCounter
{
    private const string Prefix = "{msgmate}:q:";

    // KEYS: buckets. ARGV[1]: force (1/0); then per bucket: num, unit_ms, cost.
    // Returns {1} when taken, {0, wait_ms, index} when a bucket is short (index of the one that waits longest).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local force = ARGV[1] == '1'
        local tokens = {}
        local wait, worst = 0, 0
        for i = 1, #KEYS do
          local num = tonumber(ARGV[2 + (i - 1) * 3])
          local unit = tonumber(ARGV[3 + (i - 1) * 3])
          local cost = tonumber(ARGV[4 + (i - 1) * 3])
          local s = redis.call('HMGET', KEYS[i], 't', 'u')
          local tk, up = tonumber(s[1]), tonumber(s[2])
          if tk == nil then tk, up = num, now end
          if now > up then tk = math.min(num, tk + (now - up) * num / unit) end
          tokens[i] = tk
          if tk < cost then
            local w
            if cost > num then w = unit else w = math.ceil((cost - tk) * unit / num) end
            if w > wait then wait, worst = w, i end
          end
        end
        if wait > 0 and not force then return {0, wait, worst} end
        for i = 1, #KEYS do
          local num = tonumber(ARGV[2 + (i - 1) * 3])
          local unit = tonumber(ARGV[3 + (i - 1) * 3])
          local cost = tonumber(ARGV[4 + (i - 1) * 3])
          local left = math.min(num, tokens[i] - cost)
          redis.call('HSET', KEYS[i], 't', tostring(left), 'u', tostring(now))
          redis.call('PEXPIRE', KEYS[i], math.ceil(math.max(0, num - left) * unit / num) + 1000)
        end
        return {1}
        """;

    public string Name => "redis (cluster-wide)";

    public async Task<QuotaOutcome> TakeAsync(IReadOnlyList<BucketDebit> debits, bool force, CancellationToken ct = default)
    {
        if (debits.Count == 0)
        {
            return QuotaOutcome.Yes;
        }
        var keys = debits.Select(d => (RedisKey)(Prefix + d.Key)).ToArray();
        var args = new List<RedisValue> { force ? 1 : 0 };
        foreach (var d in debits)
        {
            args.Add(d.Rule.Num);
            args.Add(d.Rule.UnitMs);
            args.Add(d.Cost);
        }
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, [.. args]))!;
            return (long)result[0] == 1
                ? QuotaOutcome.Yes
                : QuotaOutcome.No((long)result[1], debits[(int)(long)result[2] - 1].Rule);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            return QuotaOutcome.Down;
        }
    }

    public async Task RefundAsync(IReadOnlyList<BucketDebit> debits, CancellationToken ct = default) =>
        await TakeAsync(BucketDebit.Refunds(debits), force: true, ct);

    public async Task<bool> ReachableAsync(CancellationToken ct = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync();
            return true;
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            return false;
        }
    }
}
