using Dapper;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Quotas;

/// <summary>Quotas from configuration, <c>MsgMate:Quotas</c>; more come from <c>/admin/quotas</c> (stored in SQL).</summary>
public sealed class QuotaOptions
{
    public QuotaRuleOptions[] Rules { get; set; } = [];

    /// <summary>How long a node trusts what it read of the stored rules (a change on another node holds within this).</summary>
    public TimeSpan RuleCacheTtl { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>One quota in configuration, with the Go tables' fields.</summary>
public sealed class QuotaRuleOptions
{
    /// <summary>global, source, user, recipient or api.</summary>
    public string Scope { get; set; } = "global";

    public string SourceId { get; set; } = "";

    public string UserId { get; set; } = "";

    /// <summary>For api: a key id (or a source id of callers without a key); empty: every caller alike.</summary>
    public string Caller { get; set; } = "";

    public int Channel { get; set; }

    public long Num { get; set; }

    /// <summary>Milliseconds, as the Go tables' <c>unit</c>.</summary>
    public long Unit { get; set; }
}

/// <summary>Redis, when configured (<c>MsgMate:Redis</c>).</summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>; empty: no Redis (limits per node).</summary>
    public string Configuration { get; set; } = "";
}

/// <summary>
/// The quotas: which rules hold (configuration, then the stored ones, a stored rule replacing a configured one of
/// the same scope, subject and channel) and whether a send or a request is within them.
/// </summary>
public sealed class QuotaService(SqlDatabase db, QuotaOptions options, IQuotaCounter counter, TimeProvider clock)
{
    private sealed record CachedRules(IReadOnlyList<QuotaRule> Rules, long ReadAt);

    // Swapped as one reference: readers on other threads see an old or a new list, never half of each.
    private volatile CachedRules? _cached;

    public IQuotaCounter Counter => counter;

    public static (QuotaRule? Rule, string? Problem) Parse(string? scope, string? sourceId, string? userId, string? caller, int channel, long num, long unit)
    {
        if (!Enum.TryParse<QuotaScope>(scope?.Trim(), ignoreCase: true, out var s) || !Enum.IsDefined(s) || int.TryParse(scope, out _))
        {
            return (null, $"scope must be one of {string.Join(", ", Enum.GetValues<QuotaScope>().Select(QuotaRule.ScopeName))}");
        }
        var subject = s switch
        {
            QuotaScope.Source => sourceId?.Trim() ?? "",
            QuotaScope.User => string.IsNullOrWhiteSpace(sourceId) && string.IsNullOrWhiteSpace(userId) ? "" : $"{sourceId?.Trim()}/{userId?.Trim()}",
            QuotaScope.Api => caller?.Trim() ?? "",
            _ => "",
        };
        if (s == QuotaScope.User && (string.IsNullOrWhiteSpace(sourceId) || string.IsNullOrWhiteSpace(userId)))
        {
            return (null, "a user quota needs source_id and user_id");
        }
        var rule = new QuotaRule(s, subject, channel, num, unit);
        return rule.Problem() is { } problem ? (null, problem) : (rule, null);
    }

    public async Task<IReadOnlyList<QuotaRule>> RulesAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_cached is { } c && now - c.ReadAt < options.RuleCacheTtl.TotalMilliseconds)
        {
            return c.Rules;
        }
        var configured = options.Rules
            .Select(r => Parse(r.Scope, r.SourceId, r.UserId, r.Caller, r.Channel, r.Num, r.Unit).Rule)
            .OfType<QuotaRule>();
        var rules = configured.ToDictionary(r => (r.Scope, r.Subject, r.Channel));
        foreach (var stored in await StoredAsync(ct))
        {
            rules[(stored.Scope, stored.Subject, stored.Channel)] = stored;
        }
        IReadOnlyList<QuotaRule> all = [.. rules.Values];
        _cached = new CachedRules(all, now);
        return all;
    }

    /// <summary>The configured rules' first problem, checked at start.</summary>
    public static string? ConfigurationProblem(QuotaOptions options)
    {
        for (var i = 0; i < options.Rules.Length; i++)
        {
            var r = options.Rules[i];
            if (Parse(r.Scope, r.SourceId, r.UserId, r.Caller, r.Channel, r.Num, r.Unit).Problem is { } problem)
            {
                return $"MsgMate:Quotas:Rules:{i}: {problem}";
            }
        }
        return null;
    }

    /// <summary>Takes a send's records from its quotas (all or nothing).</summary>
    public async Task<(QuotaOutcome Outcome, IReadOnlyList<BucketDebit> Taken)> TakeAsync(
        IReadOnlyList<MessageRecord> records, bool force, CancellationToken ct = default)
    {
        var debits = QuotaPlan.ForRecords(await RulesAsync(ct), records);
        if (debits.Count == 0)
        {
            return (QuotaOutcome.Yes, []);
        }
        var outcome = await counter.TakeAsync(debits, force, ct);
        if (outcome.Unavailable && force)
        {
            // What must not be refused is not refused for want of a counter either.
            return (QuotaOutcome.Yes, []);
        }
        return (outcome, outcome.Allowed ? debits : []);
    }

    /// <summary>One HTTP request of a caller, against the api rules.</summary>
    public async Task<QuotaOutcome> TakeRequestAsync(string caller, CancellationToken ct = default)
    {
        var debits = QuotaPlan.ForRequest(await RulesAsync(ct), caller);
        return debits.Count == 0 ? QuotaOutcome.Yes : await counter.TakeAsync(debits, force: false, ct);
    }

    public Task RefundAsync(IReadOnlyList<BucketDebit> taken, CancellationToken ct = default) =>
        taken.Count == 0 ? Task.CompletedTask : counter.RefundAsync(taken, ct);

    public async Task<IReadOnlyList<QuotaRule>> StoredAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string Scope, string Subject, int Channel, long Num, long UnitMs)>(new CommandDefinition(
            "SELECT scope, subject, channel, num, unit_ms FROM mm_quotas ORDER BY scope, subject, channel", cancellationToken: ct));
        return [.. rows
            .Select(r => Enum.TryParse<QuotaScope>(r.Scope, true, out var s) ? new QuotaRule(s, r.Subject, r.Channel, r.Num, r.UnitMs) : null)
            .OfType<QuotaRule>()];
    }

    /// <summary>Creates or replaces a stored rule.</summary>
    public async Task SetAsync(QuotaRule rule, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var key = new { scope = QuotaRule.ScopeName(rule.Scope), subject = rule.Subject, channel = rule.Channel };
        await w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mm_quotas WHERE scope = @scope AND subject = @subject AND channel = @channel", key, w.Transaction, cancellationToken: ct));
        await w.Connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO mm_quotas (scope, subject, channel, num, unit_ms, modify_time) VALUES (@scope, @subject, @channel, @num, @unit, @now)",
            new { key.scope, key.subject, key.channel, num = rule.Num, unit = rule.UnitMs, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
        _cached = null;
    }

    public async Task<bool> DeleteAsync(QuotaScope scope, string subject, int channel, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var n = await w.Connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mm_quotas WHERE scope = @scope AND subject = @subject AND channel = @channel",
            new { scope = QuotaRule.ScopeName(scope), subject, channel }, w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
        _cached = null;
        return n > 0;
    }
}
