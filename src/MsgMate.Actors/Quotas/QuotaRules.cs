using System.Security.Cryptography;
using System.Text;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Quotas;

/// <summary>What a quota counts.</summary>
public enum QuotaScope
{
    /// <summary>Every message of a channel (the Go project's <c>t_global_quota</c>).</summary>
    Global,

    /// <summary>Per source id (<c>t_source_quota</c>).</summary>
    Source,

    /// <summary>Per source id and user id (<c>t_user_quota</c>).</summary>
    User,

    /// <summary>Per recipient address: no more than <c>num</c> messages to one address per unit.</summary>
    Recipient,

    /// <summary>HTTP requests per caller (key id, or source id for callers without a key).</summary>
    Api,
}

/// <summary>
/// <c>Num</c> per <c>UnitMs</c> milliseconds, the Go tables' meaning, for a channel (0: all channels together).
/// <c>Subject</c>: '' for global and recipient (every address alike); the source id; <c>source/user</c>; for api
/// the key id or source id, or '' for every caller alike.
/// </summary>
public sealed record QuotaRule(QuotaScope Scope, string Subject, int Channel, long Num, long UnitMs)
{
    public static string ScopeName(QuotaScope scope) => scope.ToString().ToLowerInvariant();

    public string Describe() =>
        $"{ScopeName(Scope)} quota{(Subject.Length > 0 ? $" of {InputText.Quote(Subject, 80)}" : "")}" +
        $"{(Channel == 0 ? "" : $" on channel {Channel}")}: {Num} per {UnitMs} ms";

    /// <summary>The rule's own problem, or null.</summary>
    public string? Problem() =>
        Num < 1 ? "num must be at least 1"
        : UnitMs < 1000 || UnitMs > 31L * 86_400_000 ? "unit must be between 1000 ms and 31 days (in milliseconds)"
        : Channel < 0 || (Channel != 0 && !KnownChannels.IsKnown(Channel)) ? $"channel must be 0 (all) or one of {KnownChannels.Range}"
        : Scope is QuotaScope.Source && Subject.Length == 0 ? "a source quota needs source_id"
        : Scope is QuotaScope.User && !Subject.Contains('/') ? "a user quota needs source_id and user_id"
        : Scope is QuotaScope.Global or QuotaScope.Recipient && Subject.Length > 0 ? "global and recipient quotas have no subject"
        : Subject.Length > 200 ? "source_id and user_id together must be at most 200 characters"
        : null;
}

/// <summary>One bucket to take tokens from: its key, its rule, and how many tokens this send takes.</summary>
public sealed record BucketDebit(string Key, QuotaRule Rule, long Cost)
{
    /// <summary>What gives the debits back: the same buckets, negative costs (taken by force, capped at full).</summary>
    public static IReadOnlyList<BucketDebit> Refunds(IReadOnlyList<BucketDebit> debits) => [.. debits.Select(d => d with { Cost = -d.Cost })];
}

/// <summary>Which buckets a send or a request takes from. Pure.</summary>
public static class QuotaPlan
{
    /// <summary>
    /// The buckets for the records of one send: only records that will be delivered count (not those failed at
    /// intake for a missing contact). Recipient addresses appear in bucket keys only as a hash prefix.
    /// </summary>
    public static IReadOnlyList<BucketDebit> ForRecords(IReadOnlyList<QuotaRule> rules, IEnumerable<MessageRecord> records)
    {
        if (rules.Count == 0)
        {
            return [];
        }
        var debits = new Dictionary<string, (QuotaRule Rule, long Cost)>(StringComparer.Ordinal);
        void Add(QuotaRule rule, string key)
        {
            debits[key] = debits.TryGetValue(key, out var d) ? (d.Rule, d.Cost + 1) : (rule, 1);
        }
        foreach (var record in records)
        {
            if (record.Status == MessageStatus.Failed)
            {
                continue;
            }
            foreach (var rule in rules)
            {
                if (rule.Channel != 0 && rule.Channel != record.Channel)
                {
                    continue;
                }
                var channel = rule.Channel;
                switch (rule.Scope)
                {
                    case QuotaScope.Global:
                        Add(rule, $"global::{channel}");
                        break;
                    case QuotaScope.Source when rule.Subject == record.SourceId:
                        Add(rule, $"source:{rule.Subject}:{channel}");
                        break;
                    case QuotaScope.User when record.UserId.Length > 0 && rule.Subject == $"{record.SourceId}/{record.UserId}":
                        Add(rule, $"user:{rule.Subject}:{channel}");
                        break;
                    case QuotaScope.Recipient:
                        Add(rule, $"recipient:{AddressHash(record.To)}:{channel}");
                        break;
                }
            }
        }
        return [.. debits.Select(d => new BucketDebit(d.Key, d.Value.Rule, d.Value.Cost))];
    }

    /// <summary>The bucket of one HTTP request: the caller's own rule if there is one, else the rule for every caller.</summary>
    public static IReadOnlyList<BucketDebit> ForRequest(IReadOnlyList<QuotaRule> rules, string caller)
    {
        var own = rules.FirstOrDefault(r => r.Scope == QuotaScope.Api && r.Subject == caller && r.Subject.Length > 0);
        var rule = own ?? rules.FirstOrDefault(r => r.Scope == QuotaScope.Api && r.Subject.Length == 0);
        return rule is null ? [] : [new BucketDebit($"api:{caller}", rule, 1)];
    }

    /// <summary>Addresses are personal data: keys hold 64 bits of their SHA-256, enough to tell them apart.</summary>
    public static string AddressHash(string address) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(address.Trim().ToLowerInvariant())))[..16];
}
