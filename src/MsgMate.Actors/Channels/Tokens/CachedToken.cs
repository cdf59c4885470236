namespace MsgMate.Actors.Channels.Tokens;

/// <summary>What a token request gave: a token and how long it lives, or why there is none (as a send outcome).</summary>
public sealed record TokenResult(string? Token, TimeSpan Lifetime, SendOutcome? Failure)
{
    public static TokenResult Granted(string token, TimeSpan lifetime) => new(token, lifetime, null);

    public static TokenResult Failed(SendOutcome failure) => new(null, TimeSpan.Zero, failure);
}

/// <summary>
/// One access token of one vendor app (DingTalk corp app, WeCom app), fetched when first needed and kept until
/// <c>margin</c> before it expires. Concurrent callers share one token request; a failed request is not cached (the
/// next caller asks again), except that a permanent refusal (wrong secret, address not allowed) is kept for a
/// minute so that a misconfigured app does not call the token endpoint for every message. <see cref="Invalidate"/> drops a token the vendor refused, so that the next
/// <see cref="GetAsync"/> fetches a new one (once, however many callers saw the refusal).
/// </summary>
public sealed class CachedToken
{
    private readonly Func<CancellationToken, Task<TokenResult>> _fetch;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _margin;
    private readonly TimeSpan _fetchTimeout;
    private readonly string _provider;
    private readonly object _gate = new();
    private string? _token;
    private DateTimeOffset _refreshAt;
    private Task<TokenResult>? _pending;
    private TokenResult? _refusal;
    private DateTimeOffset _refusedUntil;
    private int _fetches;

    /// <summary>How long a permanent refusal of the token request is answered without asking again.</summary>
    public static readonly TimeSpan RefusalPause = TimeSpan.FromMinutes(1);

    /// <param name="fetch">Asks the vendor for a token; returns a failure instead of throwing.</param>
    /// <param name="margin">How long before its expiry a token is replaced.</param>
    /// <param name="fetchTimeout">The token request's timeout. The request is shared, so no caller's cancellation stops it; it is
    /// stopped (as a backstop: the fetch applies the timeout itself) after twice this and a second.</param>
    public CachedToken(string provider, Func<CancellationToken, Task<TokenResult>> fetch, TimeProvider clock, TimeSpan margin, TimeSpan fetchTimeout)
    {
        _provider = provider;
        _fetch = fetch;
        _clock = clock;
        _margin = margin < TimeSpan.Zero ? TimeSpan.Zero : margin;
        _fetchTimeout = fetchTimeout;
    }

    /// <summary>Token requests made so far (for logs and tests).</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>The cached token, or a new one; a failure when the vendor gave none.</summary>
    public Task<TokenResult> GetAsync(CancellationToken ct)
    {
        Task<TokenResult> pending;
        lock (_gate)
        {
            if (_token is not null && _clock.GetUtcNow() < _refreshAt)
            {
                return Task.FromResult(TokenResult.Granted(_token, _refreshAt - _clock.GetUtcNow()));
            }
            if (_refusal is not null && _clock.GetUtcNow() < _refusedUntil)
            {
                return Task.FromResult(_refusal);
            }
            pending = _pending ??= FetchAsync();
        }
        return pending.WaitAsync(ct);
    }

    /// <summary>The vendor refused <paramref name="token"/>: forget it, unless a newer one has replaced it already.</summary>
    public void Invalidate(string token)
    {
        lock (_gate)
        {
            if (_token == token)
            {
                _token = null;
            }
        }
    }

    private async Task<TokenResult> FetchAsync()
    {
        // Off the caller's stack: the lock in GetAsync is held until _pending is set.
        await Task.Yield();
        Interlocked.Increment(ref _fetches);
        TokenResult result;
        // A backstop only: the fetch applies the request timeout itself.
        using var cts = new CancellationTokenSource(_fetchTimeout * 2 + TimeSpan.FromSeconds(1));
        try
        {
            result = await _fetch(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            result = TokenResult.Failed(SendOutcome.Retry(_provider, "token request timed out"));
        }
        catch (Exception ex)
        {
            result = TokenResult.Failed(SendOutcome.Retry(_provider, $"token request failed: {ex.GetType().Name}"));
        }
        lock (_gate)
        {
            if (result.Token is { Length: > 0 } token)
            {
                // Replace it `margin` before expiry, but never keep less than half of a short lifetime.
                var keep = result.Lifetime - _margin;
                if (keep < result.Lifetime / 2)
                {
                    keep = result.Lifetime / 2;
                }
                _token = token;
                _refreshAt = _clock.GetUtcNow() + keep;
                _refusal = null;
            }
            else if (result.Failure is { Result: SendResult.PermanentFailure })
            {
                _refusal = result;
                _refusedUntil = _clock.GetUtcNow() + RefusalPause;
            }
            _pending = null;
        }
        return result.Token is { Length: > 0 } || result.Failure is not null
            ? result
            : TokenResult.Failed(SendOutcome.Retry(_provider, "token request returned no token"));
    }
}
