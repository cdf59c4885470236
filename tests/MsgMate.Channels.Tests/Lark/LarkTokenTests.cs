using MsgMate.Actors.Channels;
using static MsgMate.Channels.Tests.Lark.LarkFake;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>The tenant_access_token: cached, shared, renewed before expiry, refreshed once when refused.</summary>
public sealed class LarkTokenTests : IDisposable
{
    private readonly LarkFake _lark = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _lark.Dispose();

    private static string Bearer(WireMock.IRequestMessage request) => Header(request, "Authorization");

    [Fact(DisplayName = "100 concurrent sends share one token request")]
    public async Task Concurrent_sends_one_token()
    {
        _lark.TokenOk("t-shared").MessageOk();
        var provider = _lark.Provider(_clock);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => provider.SendAsync(Message(msgId: $"m-{i}"), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        Assert.Single(_lark.Requests(TokenPath));
        Assert.Equal(100, _lark.Requests(MessagesPath).Count);
        Assert.All(_lark.Requests(MessagesPath), r => Assert.Equal("Bearer t-shared", Bearer(r)));
    }

    [Fact(DisplayName = "The token is cached until less than 30 min of its 2 h remain; then one new token is fetched")]
    public async Task Cached_until_refresh_margin()
    {
        _lark.TokenSequence("t-1", "t-2").MessageOk();
        var provider = _lark.Provider(_clock);

        for (var i = 0; i < 100; i++)
        {
            await provider.SendAsync(Message(msgId: $"m-{i}"), CancellationToken.None);
        }
        _clock.Advance(TimeSpan.FromMinutes(89));
        await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Single(_lark.Requests(TokenPath));

        _clock.Advance(TimeSpan.FromMinutes(2)); // 91 min: 29 min remain
        await provider.SendAsync(Message(), CancellationToken.None);
        await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(2, _lark.Requests(TokenPath).Count);
        Assert.Equal(["Bearer t-1", "Bearer t-2", "Bearer t-2"], _lark.Requests(MessagesPath).TakeLast(3).Select(Bearer));
    }

    [Fact(DisplayName = "TokenRefreshMargin is configurable (10 min: renewed after 110 min, not before)")]
    public async Task Configurable_margin()
    {
        _lark.TokenOk().MessageOk();
        var provider = _lark.Provider(_clock, margin: TimeSpan.FromMinutes(10));

        await provider.SendAsync(Message(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(109));
        await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Single(_lark.Requests(TokenPath));

        _clock.Advance(TimeSpan.FromMinutes(2));
        await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
    }

    [Fact(DisplayName = "A short expire is honoured: a 10 min token (under the margin) is renewed after half its life")]
    public async Task Short_expire()
    {
        _lark.TokenOk(expire: 600).MessageOk();
        var provider = _lark.Provider(_clock);

        await provider.SendAsync(Message(), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(4));
        await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Single(_lark.Requests(TokenPath));

        _clock.Advance(TimeSpan.FromMinutes(2));
        await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
    }

    [Fact(DisplayName = "A token refused once (99991663) → one new token, one resend, Sent; the new token is kept")]
    public async Task Refused_once_then_sent()
    {
        _lark.TokenSequence("t-old", "t-new")
            .MessageAnswers(400, new { code = 99991663, msg = "Invalid access token for authorization. Please make a request with token attached." }, token: "t-old")
            .MessageOk("om_after_refresh", token: "t-new");
        var provider = _lark.Provider(_clock);

        var outcome = await provider.SendAsync(Message(), CancellationToken.None);
        var next = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        Assert.Equal("om_after_refresh", outcome.ProviderMessageId);
        Assert.Equal(SendResult.Sent, next.Result);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
        Assert.Equal(["Bearer t-old", "Bearer t-new", "Bearer t-new"], _lark.Requests(MessagesPath).Select(Bearer));
        // The resend is the same message: same body, same uuid.
        var bodies = _lark.Requests(MessagesPath).Take(2).Select(r => r.Body).ToList();
        Assert.Equal(bodies[0], bodies[1]);
    }

    [Fact(DisplayName = "Refused again after the refresh → retryable, no loop (2 token requests, 2 sends)")]
    public async Task Refused_twice_retryable()
    {
        _lark.TokenOk("t-bad").MessageAnswers(400, new { code = 99991663, msg = "Invalid access token for authorization." });

        var outcome = await _lark.Provider(_clock).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("99991663", outcome.Error);
        Assert.Contains("refused again", outcome.Error);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
        Assert.Equal(2, _lark.Requests(MessagesPath).Count);
    }

    [Fact(DisplayName = "20 concurrent sends refused with the same token share one refresh")]
    public async Task Concurrent_refusals_one_refresh()
    {
        _lark.TokenSequence("t-old", "t-new")
            .MessageAnswers(400, new { code = 99991663, msg = "Invalid access token" }, token: "t-old")
            .MessageOk(token: "t-new");
        var provider = _lark.Provider(_clock);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => provider.SendAsync(Message(msgId: $"m-{i}"), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
    }

    [Fact(DisplayName = "Token endpoint HTTP 500 → retryable, no message call, no crash; the next send tries again")]
    public async Task Token_endpoint_500()
    {
        _lark.TokenAnswers(500, "<html>Internal Server Error</html>").MessageOk();
        var provider = _lark.Provider(_clock);

        var first = await provider.SendAsync(Message(), CancellationToken.None);
        var second = await provider.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, first.Result);
        Assert.Contains("token endpoint: HTTP 500", first.Error);
        Assert.Equal(SendResult.RetryableFailure, second.Result);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);
        Assert.Empty(_lark.Requests(MessagesPath));
    }

    [Fact(DisplayName = "Concurrent sends while the token endpoint fails share one failed token request")]
    public async Task Concurrent_token_failure_shared()
    {
        _lark.Token(_ => new FakeReply(503, null, TimeSpan.FromMilliseconds(300)));
        var provider = _lark.Provider(_clock);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => provider.SendAsync(Message(msgId: $"m-{i}"), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.RetryableFailure, o.Result));
        Assert.Single(_lark.Requests(TokenPath));
    }

    [Fact(DisplayName = "Token endpoint throttled (99991400) → retryable with its reset pause")]
    public async Task Token_endpoint_throttled()
    {
        _lark.TokenAnswers(429, new { code = 99991400, msg = "request trigger frequency limit" }, ("x-ogw-ratelimit-reset", "4"));

        var outcome = await _lark.Provider(_clock).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Equal(TimeSpan.FromSeconds(4), outcome.RetryAfter);
    }

    [Theory(DisplayName = "Token endpoint refuses the app (10014 app secret invalid, 10003 invalid param) → permanent, secret not shown")]
    [InlineData(10014, "app secret invalid")]
    [InlineData(10003, "invalid param")]
    public async Task Bad_credentials_permanent(int code, string msg)
    {
        _lark.TokenAnswers(400, new { code, msg });

        var outcome = await _lark.Provider(_clock).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Contains($"Lark {code}: {msg}", outcome.Error);
        Assert.Contains("AppSecret", outcome.Error);
        Assert.DoesNotContain(AppSecret, outcome.Error);
        Assert.Empty(_lark.Requests(MessagesPath));
    }

    [Fact(DisplayName = "Another non-zero token code (e.g. 1500 internal error) → retryable")]
    public async Task Other_token_code_retryable()
    {
        _lark.TokenAnswers(200, new { code = 1500, msg = "internal error" });

        var outcome = await _lark.Provider(_clock).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("token endpoint: Lark 1500: internal error", outcome.Error);
    }

    [Fact(DisplayName = "Token endpoint slower than the timeout → retryable (timed out)")]
    public async Task Token_timeout()
    {
        _lark.Token(_ => new FakeReply(200, "{}", TimeSpan.FromSeconds(10)));

        var outcome = await _lark.Provider(_clock, timeout: TimeSpan.FromMilliseconds(300)).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("token endpoint: timed out", outcome.Error);
    }

    [Fact(DisplayName = "A failed renewal keeps the still-valid token in use (retried after 30 s) until it expires")]
    public async Task Failed_renewal_keeps_old_token()
    {
        _lark.Token(n => n == 0
                ? FakeReply.Json(200, new { code = 0, msg = "ok", tenant_access_token = "t-1", expire = 7200 })
                : new FakeReply(503, null))
            .MessageOk();
        var provider = _lark.Provider(_clock);
        await provider.SendAsync(Message(), CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(100)); // renewal due, token valid 20 more minutes
        var during = await provider.SendAsync(Message(), CancellationToken.None);
        var soonAfter = await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(SendResult.Sent, during.Result);
        Assert.Equal(SendResult.Sent, soonAfter.Result);
        Assert.Equal(2, _lark.Requests(TokenPath).Count);

        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(SendResult.Sent, (await provider.SendAsync(Message(), CancellationToken.None)).Result);
        Assert.Equal(3, _lark.Requests(TokenPath).Count);
        Assert.All(_lark.Requests(MessagesPath), r => Assert.Equal("Bearer t-1", Bearer(r)));

        _clock.Advance(TimeSpan.FromMinutes(20)); // expired
        var expired = await provider.SendAsync(Message(), CancellationToken.None);
        Assert.Equal(SendResult.RetryableFailure, expired.Result);
        Assert.Contains("token endpoint: HTTP 503", expired.Error);
        Assert.Equal(4, _lark.Requests(MessagesPath).Count);
    }
}
