using MsgMate.Actors.Delivery;
using MsgMate.Actors.Quotas;
using MsgMate.Actors.Tests.Schedules;

namespace MsgMate.Actors.Tests.Quotas;

public sealed class QuotaTests
{
    private static readonly QuotaRule FivePerMinute = new(QuotaScope.Global, "", 1, 5, 60_000);

    private static MessageRecord Record(string to, int channel = 1, string source = "s", string user = "", int status = MessageStatus.Pending) => new()
    {
        MsgId = Guid.NewGuid().ToString(), BatchId = "b", To = to, Channel = channel, Priority = 2, SourceId = source, UserId = user, Status = status,
    };

    [Fact(DisplayName = "Token bucket: num at once, then one per unit/num; the wait says when")]
    public async Task Bucket_refills_continuously()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var counter = new MemoryQuotaCounter(clock);
        var debit = new[] { new BucketDebit("global::1", FivePerMinute, 1) };
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await counter.TakeAsync(debit, false)).Allowed);
        }
        var refused = await counter.TakeAsync(debit, false);
        Assert.False(refused.Allowed);
        Assert.Equal(12_000, refused.RetryAfterMs);
        Assert.Same(FivePerMinute, refused.Exhausted);
        clock.Advance(TimeSpan.FromMilliseconds(11_999));
        Assert.False((await counter.TakeAsync(debit, false)).Allowed);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True((await counter.TakeAsync(debit, false)).Allowed);
        // A whole minute never passes more than num plus what refilled in it: no fixed-window edge doubling.
        clock.Advance(TimeSpan.FromMinutes(10));
        var passed = 0;
        for (var i = 0; i < 100; i++)
        {
            passed += (await counter.TakeAsync(debit, false)).Allowed ? 1 : 0;
        }
        Assert.Equal(5, passed);
    }

    [Fact(DisplayName = "All or nothing: a send short on one bucket takes from none; a refund gives back; force goes below zero")]
    public async Task All_or_nothing()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(5_000_000));
        var counter = new MemoryQuotaCounter(clock);
        var small = new QuotaRule(QuotaScope.Source, "s", 0, 2, 60_000);
        var both = new[] { new BucketDebit("global::1", FivePerMinute, 3), new BucketDebit("source:s:0", small, 3) };
        var no = await counter.TakeAsync(both, false);
        Assert.False(no.Allowed);
        Assert.Equal(60_000, no.RetryAfterMs);
        Assert.True((await counter.TakeAsync([new BucketDebit("global::1", FivePerMinute, 5)], false)).Allowed);

        await counter.RefundAsync([new BucketDebit("global::1", FivePerMinute, 2)]);
        Assert.True((await counter.TakeAsync([new BucketDebit("global::1", FivePerMinute, 2)], false)).Allowed);
        Assert.True((await counter.TakeAsync([new BucketDebit("global::1", FivePerMinute, 3)], force: true)).Allowed);
        var after = await counter.TakeAsync([new BucketDebit("global::1", FivePerMinute, 1)], false);
        Assert.Equal(48_000, after.RetryAfterMs);
    }

    [Fact(DisplayName = "Plan: records count per rule and channel; failed records do not; addresses appear only hashed")]
    public void Plan()
    {
        QuotaRule[] rules =
        [
            FivePerMinute,
            new(QuotaScope.Global, "", 0, 100, 60_000),
            new(QuotaScope.Source, "s", 1, 10, 60_000),
            new(QuotaScope.User, "s/u1", 1, 10, 60_000),
            new(QuotaScope.Recipient, "", 2, 1, 3_600_000),
        ];
        var debits = QuotaPlan.ForRecords(rules,
        [
            Record("a@example.com"), Record("b@example.com", user: "u1"), Record("c@example.com", source: "other"),
            Record("13812348000", channel: 2), Record("13812348000", channel: 2), Record("no-contact", status: MessageStatus.Failed),
        ]).ToDictionary(d => d.Key, d => d.Cost);
        Assert.Equal(3, debits["global::1"]);
        Assert.Equal(5, debits["global::0"]);
        Assert.Equal(2, debits["source:s:1"]);
        Assert.Equal(1, debits["user:s/u1:1"]);
        var recipient = Assert.Single(debits, d => d.Key.StartsWith("recipient:", StringComparison.Ordinal));
        Assert.Equal(2, recipient.Value);
        Assert.DoesNotContain(debits.Keys, k => k.Contains("13812348000") || k.Contains('@'));
        Assert.Empty(QuotaPlan.ForRecords([], [Record("a@example.com")]));
    }

    [Theory(DisplayName = "Quota rules are checked: scope, subject, num, unit, channel")]
    [InlineData("weekly", "", "", 1, 1, 1000, "scope")]
    [InlineData("source", "", "", 1, 1, 1000, "source_id")]
    [InlineData("user", "s", "", 1, 1, 1000, "user_id")]
    [InlineData("global", "", "", 1, 0, 1000, "num")]
    [InlineData("global", "", "", 1, 1, 10, "unit")]
    [InlineData("global", "", "", 99, 1, 1000, "channel")]
    public void Rule_problems(string scope, string source, string user, int channel, long num, long unit, string mentioned)
    {
        var (rule, problem) = QuotaService.Parse(scope, source, user, null, channel, num, unit);
        Assert.Null(rule);
        Assert.Contains(mentioned, problem);
        Assert.NotNull(QuotaService.Parse("user", "s", "u", null, 0, 3, 60_000).Rule);
    }
}
