using Akka.TestKit.Xunit2;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using MsgMate.Actors.Tests.Schedules;

namespace MsgMate.Actors.Tests.Channels;

/// <summary>A channel's route of providers: order, failover, breakers and rates, with scripted providers.</summary>
public sealed class ProviderRouterSpecs : TestKit
{
    private sealed class Scripted(string name, Func<int, SendOutcome> answer, Channel channel = Channel.Sms) : IProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string Name => name;

        public Channel Channel => channel;

        public Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct) =>
            Task.FromResult(answer(Interlocked.Increment(ref _calls)));
    }

    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z"));

    private ProviderRouter Router(int tripAfter, params (IProvider Provider, ProviderPolicy Policy)[] providers) =>
        new(Sys, providers.Select(p => new ProviderRegistration(p.Provider, p.Policy)), _clock, tripAfter, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));

    private static OutboundMessage Message(int i, Channel channel = Channel.Sms) => new($"m{i}", channel, "13800138000", "", "body", false);

    private static Task<RouteResult> Send(ProviderRouter router, int i, Channel channel = Channel.Sms) =>
        router.SendAsync(Message(i, channel), TimeSpan.FromSeconds(10));

    [Fact(DisplayName = "Provider A answers 5xx: B sends in the same attempt, and both calls are in the result")]
    public async Task Fails_over_on_retryable()
    {
        var a = new Scripted("a", _ => SendOutcome.Retry("a", "HTTP 503"));
        var b = new Scripted("b", _ => SendOutcome.Ok("b", "biz-1"));
        var router = Router(100, (a, new ProviderPolicy(Priority: 0)), (b, new ProviderPolicy(Priority: 1)));

        var result = await Send(router, 1);

        Assert.Equal(["a", "b"], result.Tries.Select(t => t.Provider));
        Assert.Equal(SendResult.RetryableFailure, result.Tries[0].Result);
        Assert.Equal("HTTP 503", result.Tries[0].Error);
        Assert.Equal(SendResult.Sent, result.Last.Result);
        Assert.Equal("biz-1", result.Last.ProviderMessageId);
    }

    [Fact(DisplayName = "A permanent failure does not fail over: the message itself is refused")]
    public async Task Permanent_does_not_fail_over()
    {
        var a = new Scripted("a", _ => SendOutcome.Permanent("a", "isv.MOBILE_NUMBER_ILLEGAL"));
        var b = new Scripted("b", _ => SendOutcome.Ok("b"));
        var router = Router(100, (a, new ProviderPolicy(Priority: 0)), (b, new ProviderPolicy(Priority: 1)));

        var result = await Send(router, 1);

        Assert.Equal(["a"], result.Tries.Select(t => t.Provider));
        Assert.Equal(SendResult.PermanentFailure, result.Last.Result);
        Assert.Equal(0, b.Calls);
    }

    [Fact(DisplayName = "A backed-off provider is skipped without a call: B takes new messages at once, and the history shows only B")]
    public async Task Backed_off_provider_is_skipped()
    {
        var a = new Scripted("a", _ => SendOutcome.Retry("a", "HTTP 502"));
        var b = new Scripted("b", _ => SendOutcome.Ok("b"));
        var router = Router(2, (a, new ProviderPolicy(Priority: 0)), (b, new ProviderPolicy(Priority: 1)));

        await Send(router, 1);
        await Send(router, 2);
        // A tripped after two failures in a row; its supervisor backs it off for 30 s (of the real scheduler).
        await AwaitAssertAsync(async () =>
        {
            var calls = a.Calls;
            var result = await Send(router, 3);
            Assert.Equal(["b"], result.Tries.Select(t => t.Provider));
            Assert.Equal(calls, a.Calls);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
    }

    [Fact(DisplayName = "Every provider backed off: one retryable answer saying so, nothing called")]
    public async Task All_backed_off()
    {
        var a = new Scripted("a", _ => SendOutcome.Retry("a", "timeout"));
        var router = Router(1, (a, new ProviderPolicy()));
        await Send(router, 1);
        await AwaitAssertAsync(async () =>
        {
            var result = await Send(router, 2);
            Assert.Single(result.Tries);
            Assert.True(ProviderWorker.IsBackingOff(new SendOutcome(result.Last.Result, result.Last.Provider, result.Last.Error)));
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
    }

    [Fact(DisplayName = "Over A's rate, B (lower priority) takes the message at once; over both, it is deferred to A's reserved slot with no call")]
    public async Task Rate_spills_over_then_defers()
    {
        var a = new Scripted("a", _ => SendOutcome.Ok("a"));
        var b = new Scripted("b", _ => SendOutcome.Ok("b"));
        var router = Router(100, (a, new ProviderPolicy(Priority: 0, RatePerSecond: 1)), (b, new ProviderPolicy(Priority: 1, RatePerSecond: 1)));

        Assert.Equal("a", (await Send(router, 1)).Last.Provider);
        Assert.Equal("b", (await Send(router, 2)).Last.Provider);
        var deferred = await Send(router, 3);

        Assert.True(deferred.Deferred);
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeMilliseconds() + 1000, deferred.DeferredUntil);
        Assert.Equal(1, a.Calls);
        Assert.Equal(1, b.Calls);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a", (await Send(router, 3)).Last.Provider);
    }

    [Fact(DisplayName = "Providers of one priority share the traffic by weight; a channel without providers fails permanently as not configured")]
    public async Task Weights_and_not_configured()
    {
        var a = new Scripted("a", _ => SendOutcome.Ok("a"));
        var b = new Scripted("b", _ => SendOutcome.Ok("b"));
        var router = Router(100, (a, new ProviderPolicy(Weight: 3)), (b, new ProviderPolicy(Weight: 1)));

        for (var i = 0; i < 400; i++)
        {
            await Send(router, i);
        }
        // Expected 300 / 100; the bounds are many standard deviations wide.
        Assert.InRange(a.Calls, 240, 360);
        Assert.Equal(400, a.Calls + b.Calls);

        var none = await Send(router, 1, Channel.Lark);
        Assert.Equal(SendResult.PermanentFailure, none.Last.Result);
        Assert.Contains("not configured", none.Last.Error);
        Assert.Equal(["a", "b"], router.Route(Channel.Sms).Order());
    }
}
