using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Channels.Tests.DingTalk;

/// <summary>The token cache shared by the DingTalk and WeCom apps.</summary>
public sealed class CachedTokenTests
{
    private readonly StepClock _clock = StepClock.At(1_767_225_600_000);

    private CachedToken Cache(Func<CancellationToken, Task<TokenResult>> fetch) =>
        new("app", fetch, _clock, TimeSpan.FromMinutes(5), TestSupport.Patience);

    [Fact(DisplayName = "Callers arriving while the token request is under way share it: one request, one token for all")]
    public async Task Shares_one_request()
    {
        var gate = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var cache = Cache(_ => { Interlocked.Increment(ref calls); return gate.Task; });

        var waiting = Enumerable.Range(0, 10).Select(_ => cache.GetAsync(CancellationToken.None)).ToList();
        gate.SetResult(TokenResult.Granted("tok", TimeSpan.FromHours(2)));
        var results = await Task.WhenAll(waiting);

        Assert.All(results, r => Assert.Equal("tok", r.Token));
        Assert.Equal(1, calls);
        Assert.Equal("tok", (await cache.GetAsync(CancellationToken.None)).Token);
        Assert.Equal(1, calls);
    }

    [Fact(DisplayName = "A caller that gives up does not stop the shared request: the token is still cached for the next one")]
    public async Task Caller_cancellation()
    {
        var gate = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var cache = Cache(_ => { Interlocked.Increment(ref calls); return gate.Task; });
        using var cts = new CancellationTokenSource();

        var first = cache.GetAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        gate.SetResult(TokenResult.Granted("tok", TimeSpan.FromHours(2)));

        Assert.Equal("tok", (await cache.GetAsync(CancellationToken.None)).Token);
        Assert.Equal(1, calls);
    }

    [Fact(DisplayName = "A retryable token failure is not cached; a permanent refusal is kept for a minute")]
    public async Task Failures()
    {
        var answers = new Queue<TokenResult>([
            TokenResult.Failed(SendOutcome.Retry("app", "down")),
            TokenResult.Failed(SendOutcome.Permanent("app", "bad secret")),
            TokenResult.Granted("tok", TimeSpan.FromHours(2)),
        ]);
        var cache = Cache(_ => Task.FromResult(answers.Dequeue()));

        Assert.Equal("down", (await cache.GetAsync(CancellationToken.None)).Failure!.Error);
        Assert.Equal("bad secret", (await cache.GetAsync(CancellationToken.None)).Failure!.Error);
        Assert.Equal("bad secret", (await cache.GetAsync(CancellationToken.None)).Failure!.Error);
        Assert.Equal(2, cache.Fetches);
        _clock.Advance(CachedToken.RefusalPause);

        Assert.Equal("tok", (await cache.GetAsync(CancellationToken.None)).Token);
        Assert.Equal(3, cache.Fetches);
    }

    [Fact(DisplayName = "Invalidate drops only the token it names: a stale refusal does not discard a newer token")]
    public async Task Invalidate_only_matching()
    {
        var n = 0;
        var cache = Cache(_ => Task.FromResult(TokenResult.Granted($"tok-{++n}", TimeSpan.FromHours(2))));

        Assert.Equal("tok-1", (await cache.GetAsync(CancellationToken.None)).Token);
        cache.Invalidate("tok-1");
        Assert.Equal("tok-2", (await cache.GetAsync(CancellationToken.None)).Token);
        cache.Invalidate("tok-1");
        Assert.Equal("tok-2", (await cache.GetAsync(CancellationToken.None)).Token);
        Assert.Equal(2, cache.Fetches);
    }

    [Fact(DisplayName = "A token living less than twice the margin is kept for half its life")]
    public async Task Short_lifetime()
    {
        var n = 0;
        var cache = Cache(_ => Task.FromResult(TokenResult.Granted($"tok-{++n}", TimeSpan.FromMinutes(6))));

        await cache.GetAsync(CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(2.9));
        Assert.Equal("tok-1", (await cache.GetAsync(CancellationToken.None)).Token);
        _clock.Advance(TimeSpan.FromMinutes(0.2));
        Assert.Equal("tok-2", (await cache.GetAsync(CancellationToken.None)).Token);
    }

    [Fact(DisplayName = "A fetch that throws becomes a retryable failure, not an exception")]
    public async Task Fetch_throws()
    {
        var cache = Cache(_ => throw new InvalidOperationException("boom"));

        var result = await cache.GetAsync(CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, result.Failure!.Result);
        Assert.Null(result.Token);
    }
}
