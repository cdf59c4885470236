using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>
/// Channel 3 through one Lark / Feishu custom app: POST {BaseUrl}/open-apis/im/v1/messages?receive_id_type=… with
/// the app's tenant_access_token (<see cref="LarkTokenSource"/>), the body built by <see cref="LarkContent"/> (its
/// uuid is the msgID, so Lark itself drops the second copy of a message resent after a crash or a lost answer),
/// the answer classified by <see cref="LarkAnswers"/>. A refused token is renewed once and the message sent once
/// more. Sends once per call: throttling, breaker and failover are the router's. Thread-safe; never throws for a
/// delivery failure; errors carry Lark's code and msg, never the token, the secret or the message text.
/// </summary>
public sealed class LarkProvider : IProvider
{
    private readonly LarkAppSettings _app;
    private readonly HttpClient _http;
    private readonly LarkTokenSource _tokens;
    private readonly Uri _messages;

    /// <param name="http">From IHttpClientFactory; its own Timeout should not be shorter than the app's.</param>
    public LarkProvider(LarkAppSettings app, HttpClient http, TimeProvider clock, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(clock);
        _app = app;
        _http = http;
        _tokens = new LarkTokenSource(app, http, clock, log ?? NullLogger.Instance);
        _messages = new Uri(app.BaseUrl, "open-apis/im/v1/messages");
    }

    public string Name => _app.Name;

    public Channel Channel => Channel.Lark;

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!LarkContent.TryBuild(message, out var request, out var error))
        {
            return SendOutcome.Permanent(Name, error);
        }
        var to = message.To.Trim();
        var token = await _tokens.GetAsync(null, ct).ConfigureAwait(false);
        if (!token.Ok)
        {
            return token.Failure.ToOutcome(Name);
        }
        var answer = await PostAsync(request, token.Value, to, ct).ConfigureAwait(false);
        if (answer.Kind == LarkAnswerKind.RefreshToken)
        {
            token = await _tokens.GetAsync(token.Value, ct).ConfigureAwait(false);
            if (!token.Ok)
            {
                return token.Failure.ToOutcome(Name);
            }
            answer = await PostAsync(request, token.Value, to, ct).ConfigureAwait(false);
            if (answer.Kind == LarkAnswerKind.RefreshToken)
            {
                answer = new LarkAnswer(LarkAnswerKind.Retryable, answer.Error + "; refused again with a new tenant_access_token");
            }
        }
        return answer.ToOutcome(Name);
    }

    private async Task<LarkAnswer> PostAsync(LarkRequest request, string token, string to, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_app.Timeout);
        try
        {
            var url = new Uri($"{_messages}?receive_id_type={request.ReceiveIdType}");
            using var http = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(request.Body) };
            http.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            http.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _http.SendAsync(http, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            var reply = LarkReply.Parse((int)response.StatusCode, body, Header(response, "x-ogw-ratelimit-reset"), Header(response, "x-tt-logid"));
            return LarkAnswers.ClassifySend(reply with
            {
                Msg = PersonalData.Scrub(reply.Msg, to, token, _app.AppSecret),
                RateLimitReset = reply.RateLimitReset ?? response.Headers.RetryAfter?.Delta,
            });
        }
        catch (HttpRequestException ex)
        {
            return new LarkAnswer(LarkAnswerKind.Retryable, $"request failed: {ex.HttpRequestError}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new LarkAnswer(LarkAnswerKind.Retryable, $"timed out after {_app.Timeout.TotalSeconds:0.###} s");
        }
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
