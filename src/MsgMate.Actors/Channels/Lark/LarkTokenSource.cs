using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>A tenant_access_token, or why there is none.</summary>
internal readonly record struct LarkToken(string Value, LarkAnswer Failure)
{
    public bool Ok => Value.Length > 0;
}

/// <summary>
/// One app's tenant_access_token (auth/v3/tenant_access_token/internal): fetched on first use, cached until less
/// than the refresh margin remains of its <c>expire</c> (at most half its life given up), one fetch shared by all
/// the sends that need it at the same time. A token Lark refused is dropped and fetched anew (once per refusal:
/// the sends that held it share the fetch). When a renewal fails while the old token is still valid, the old one
/// goes on being used and the renewal is tried again after <see cref="RenewPause"/>. Time from the injected clock.
/// </summary>
internal sealed class LarkTokenSource
{
    /// <summary>After a failed renewal, the still-valid token is used this long before the next try.</summary>
    public static readonly TimeSpan RenewPause = TimeSpan.FromSeconds(30);

    /// <summary>A token is not used in its last minute (clock differences, the time a request travels).</summary>
    private static readonly TimeSpan ExpirySafety = TimeSpan.FromMinutes(1);

    private readonly LarkAppSettings _app;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Uri _url;
    private readonly byte[] _requestBody;
    private readonly object _gate = new();
    private Cached? _cached;
    private Task<LarkToken>? _fetch;
    private DateTimeOffset _renewNotBefore = DateTimeOffset.MinValue;

    public LarkTokenSource(LarkAppSettings app, HttpClient http, TimeProvider clock, ILogger? log = null)
    {
        _app = app;
        _http = http;
        _clock = clock;
        _log = log ?? NullLogger.Instance;
        _url = new Uri(app.BaseUrl, "open-apis/auth/v3/tenant_access_token/internal");
        _requestBody = JsonSerializer.SerializeToUtf8Bytes(new Request(app.AppId, app.AppSecret), LarkContent.Json);
    }

    /// <summary>
    /// A token to send with. <paramref name="refused"/>: the token Lark just refused (it is dropped if still cached).
    /// </summary>
    public async Task<LarkToken> GetAsync(string? refused, CancellationToken ct)
    {
        Task<LarkToken> fetch;
        lock (_gate)
        {
            if (refused is not null && _cached?.Value == refused)
            {
                _cached = null;
            }
            var now = _clock.GetUtcNow();
            if (_cached is { } cached && now < cached.ExpiresAt && (now < cached.RenewAt || now < _renewNotBefore))
            {
                return new LarkToken(cached.Value, default);
            }
            fetch = _fetch is { IsCompleted: false } running ? running : _fetch = Task.Run(FetchAsync, CancellationToken.None);
        }
        var token = await fetch.WaitAsync(ct).ConfigureAwait(false);
        if (token.Ok)
        {
            return token;
        }
        lock (_gate)
        {
            // The renewal failed, but the token in hand (Lark keeps the old one valid) still serves.
            if (_cached is { } cached && _clock.GetUtcNow() < cached.ExpiresAt)
            {
                return new LarkToken(cached.Value, default);
            }
        }
        return token;
    }

    private async Task<LarkToken> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(_app.Timeout);
        LarkAnswer failure;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(_requestBody) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            var reply = LarkReply.Parse((int)response.StatusCode, body, LarkProvider.Header(response, "x-ogw-ratelimit-reset"), LarkProvider.Header(response, "x-tt-logid"));
            reply = reply with { Msg = PersonalData.Scrub(reply.Msg, null, _app.AppSecret) };
            var answer = LarkAnswers.ClassifyToken(reply);
            if (answer.Kind == LarkAnswerKind.Ok)
            {
                var now = _clock.GetUtcNow();
                var life = TimeSpan.FromSeconds(Math.Clamp(reply.Expire, 0, 86_400));
                var renewAfter = life - _app.TokenRefreshMargin;
                if (renewAfter < life / 2)
                {
                    renewAfter = life / 2;
                }
                lock (_gate)
                {
                    _cached = new Cached(reply.Token, now + renewAfter, now + life - ExpirySafety);
                    _renewNotBefore = DateTimeOffset.MinValue;
                }
                _log.LogDebug("Lark {Provider}: new tenant_access_token, valid {Life}", _app.Name, life);
                return new LarkToken(reply.Token, default);
            }
            failure = answer;
        }
        catch (HttpRequestException ex)
        {
            failure = new LarkAnswer(LarkAnswerKind.Retryable, $"token endpoint: request failed: {ex.HttpRequestError}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = new LarkAnswer(LarkAnswerKind.Retryable, $"token endpoint: timed out after {_app.Timeout.TotalSeconds:0.###} s");
        }
        lock (_gate)
        {
            _renewNotBefore = _clock.GetUtcNow() + RenewPause;
        }
        _log.LogWarning("Lark {Provider}: no tenant_access_token: {Error}", _app.Name, failure.Error);
        return new LarkToken("", failure);
    }

    private sealed record Cached(string Value, DateTimeOffset RenewAt, DateTimeOffset ExpiresAt);

    private sealed record Request(
        [property: JsonPropertyName("app_id")] string AppId,
        [property: JsonPropertyName("app_secret")] string AppSecret);
}
