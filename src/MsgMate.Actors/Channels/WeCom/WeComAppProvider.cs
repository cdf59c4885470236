using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels.Tokens;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>
/// A WeCom app sending app messages to one member (<c>wechat_id</c>, the WeCom UserID) per message:
/// <c>GET {BaseUrl}/cgi-bin/gettoken</c> (cached per app), then <c>POST {BaseUrl}/cgi-bin/message/send</c>.
/// The provider message id is the <c>msgid</c>. A recipient WeCom lists as <c>invaliduser</c> fails permanently.
/// </summary>
public sealed class WeComAppProvider : IProvider
{
    public const string TokenPath = "/cgi-bin/gettoken";
    public const string SendPath = "/cgi-bin/message/send";
    public const int DefaultTokenLifetimeSeconds = 7200;

    private readonly HttpClient _http;
    private readonly WeComAppOptions _app;
    private readonly RobotAddressing _addressing;
    private readonly TimeSpan _timeout;
    private readonly string _tokenUrl;
    private readonly string _sendUrl;
    private readonly ILogger _log;

    public WeComAppProvider(
        string name, WeComAppOptions app, WeComOptions options, RobotAddressing addressing, HttpClient http, TimeProvider clock, ILogger log)
    {
        Name = name;
        _app = app;
        _addressing = addressing;
        _http = http;
        _log = log;
        _timeout = options.Timeout;
        _tokenUrl = JsonApi.Join(options.BaseUrl, TokenPath);
        _sendUrl = JsonApi.Join(options.BaseUrl, SendPath);
        Token = new CachedToken(name, FetchTokenAsync, clock, options.TokenRefreshMargin, options.Timeout);
    }

    public string Name { get; }

    public Channel Channel => Channel.WeCom;

    /// <summary>The app's access token cache.</summary>
    public CachedToken Token { get; }

    /// <summary>User ids only: not a robot's name, not a URL.</summary>
    public bool CanSend(OutboundMessage message) => _addressing.IsUserId(message.To);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        var to = message.To.Trim();
        // "|" would list several members, "@all" everyone in the app's range: one UserID per message only.
        if (to.Length == 0 || to.Contains('|') || to.Contains(' ') || to.Equals("@all", StringComparison.OrdinalIgnoreCase))
        {
            return SendOutcome.Permanent(Name, "the recipient must be one WeCom UserID (wechat_id)");
        }
        var body = WeComMessages.App(message, to, _app.AgentId, _app.DuplicateCheckInterval, out var error);
        if (body is null)
        {
            return SendOutcome.Permanent(Name, error);
        }

        for (var attempt = 0; ; attempt++)
        {
            var token = await Token.GetAsync(ct);
            if (token.Failure is not null || token.Token is null)
            {
                return token.Failure ?? SendOutcome.Retry(Name, "no access token");
            }
            var reply = await JsonApi.SendAsync(
                _http, JsonApi.PostJson($"{_sendUrl}?access_token={Uri.EscapeDataString(token.Token)}", body.DeepClone()), _timeout, ct);
            if (reply.TransportFailure is { } failure)
            {
                return SendOutcome.Retry(Name, failure);
            }
            var verdict = WeComReplies.Classify(
                reply.Status, reply.Long("errcode"), PersonalData.Scrub(reply.String("errmsg"), to, token.Token, _app.CorpSecret),
                reply.String("invaliduser"), reply.String("unlicenseduser"));
            if (verdict.Kind == ReplyKind.TokenRejected)
            {
                Token.Invalidate(token.Token);
                if (attempt == 0)
                {
                    continue;
                }
                return SendOutcome.Retry(Name, $"the access token was refused again after a refresh: {verdict.Reason}");
            }
            return verdict.ToOutcome(Name, reply.String("msgid") ?? "");
        }
    }

    private async Task<TokenResult> FetchTokenAsync(CancellationToken ct)
    {
        var url = $"{_tokenUrl}?corpid={Uri.EscapeDataString(_app.CorpId.Trim())}&corpsecret={Uri.EscapeDataString(_app.CorpSecret)}";
        var reply = await JsonApi.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, url), _timeout, ct);
        TokenResult result;
        if (reply.TransportFailure is { } failure)
        {
            result = TokenResult.Failed(SendOutcome.Retry(Name, $"token request {(failure.StartsWith("request ", StringComparison.Ordinal) ? failure[8..] : failure)}"));
        }
        else
        {
            var verdict = WeComReplies.Classify(reply.Status, reply.Long("errcode"), PersonalData.Scrub(reply.String("errmsg"), null, _app.CorpSecret));
            var accessToken = reply.String("access_token");
            var expiresIn = reply.Long("expires_in");
            result = verdict.Kind switch
            {
                ReplyKind.Sent when !string.IsNullOrEmpty(accessToken) => TokenResult.Granted(
                    accessToken, TimeSpan.FromSeconds(expiresIn is > 0 ? expiresIn.Value : DefaultTokenLifetimeSeconds)),
                ReplyKind.Sent => TokenResult.Failed(SendOutcome.Retry(Name, "token request: the answer has no access_token")),
                ReplyKind.PermanentFailure => TokenResult.Failed(SendOutcome.Permanent(Name, $"token request refused: {verdict.Reason}")),
                _ => TokenResult.Failed(SendOutcome.Retry(Name, $"token request failed: {verdict.Reason}", verdict.RetryAfter)),
            };
        }
        if (result.Failure is { } f)
        {
            _log.LogWarning("{Provider}: no access token: {Reason}", Name, f.Error);
        }
        else
        {
            _log.LogDebug("{Provider}: new access token, valid for {Lifetime}", Name, result.Lifetime);
        }
        return result;
    }
}
