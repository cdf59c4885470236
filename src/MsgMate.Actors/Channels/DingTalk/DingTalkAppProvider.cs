using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels.Tokens;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>
/// A DingTalk corp app sending work notifications (工作通知) to one user id (<c>dingtalk_id</c>) per message:
/// <c>GET {ApiBaseUrl}/gettoken</c> (cached), then <c>POST {ApiBaseUrl}/topapi/message/corpconversation/asyncsend_v2</c>.
/// The provider message id is the <c>task_id</c>. The send is asynchronous at DingTalk: an accepted task can still
/// fail per user (unknown user, the daily limits), which only <c>getsendresult</c> would tell.
/// </summary>
public sealed class DingTalkAppProvider : IProvider
{
    public const string TokenPath = "/gettoken";
    public const string SendPath = "/topapi/message/corpconversation/asyncsend_v2";
    public const int DefaultTokenLifetimeSeconds = 7200;

    private readonly HttpClient _http;
    private readonly DingTalkAppOptions _app;
    private readonly RobotAddressing _addressing;
    private readonly TimeSpan _timeout;
    private readonly string _tokenUrl;
    private readonly string _sendUrl;
    private readonly ILogger _log;

    public DingTalkAppProvider(
        string name, DingTalkAppOptions app, DingTalkOptions options, RobotAddressing addressing, HttpClient http, TimeProvider clock, ILogger log)
    {
        Name = name;
        _app = app;
        _addressing = addressing;
        _http = http;
        _log = log;
        _timeout = options.Timeout;
        _tokenUrl = JsonApi.Join(options.ApiBaseUrl, TokenPath);
        _sendUrl = JsonApi.Join(options.ApiBaseUrl, SendPath);
        Token = new CachedToken(name, FetchTokenAsync, clock, options.TokenRefreshMargin, options.Timeout);
    }

    public string Name { get; }

    public Channel Channel => Channel.DingTalk;

    /// <summary>The app's access token cache.</summary>
    public CachedToken Token { get; }

    /// <summary>User ids only: not a robot's name, not a URL.</summary>
    public bool CanSend(OutboundMessage message) => _addressing.IsUserId(message.To);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        var to = message.To.Trim();
        if (to.Length == 0 || to.Contains(',') || to.Contains(' '))
        {
            return SendOutcome.Permanent(Name, "the recipient must be one DingTalk user id (dingtalk_id)");
        }
        var msg = DingTalkMessages.App(message, out var error);
        if (msg is null)
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
            var body = new JsonObject
            {
                ["agent_id"] = _app.AgentId,
                ["userid_list"] = to,
                ["msg"] = msg.DeepClone(),
            };
            var reply = await JsonApi.SendAsync(_http, JsonApi.PostJson($"{_sendUrl}?access_token={Uri.EscapeDataString(token.Token)}", body), _timeout, ct);
            if (reply.TransportFailure is { } failure)
            {
                return SendOutcome.Retry(Name, failure);
            }
            var verdict = DingTalkReplies.Classify(
                reply.Status, reply.Long("errcode"), reply.String("sub_code"),
                PersonalData.Scrub(DingTalkRobotProvider.VendorMessage(reply), to, token.Token, _app.AppSecret, _app.AppKey));
            if (verdict.Kind == ReplyKind.TokenRejected)
            {
                Token.Invalidate(token.Token);
                if (attempt == 0)
                {
                    continue;
                }
                return SendOutcome.Retry(Name, $"the access token was refused again after a refresh: {verdict.Reason}");
            }
            return verdict.ToOutcome(Name, reply.String("task_id") ?? "");
        }
    }

    private async Task<TokenResult> FetchTokenAsync(CancellationToken ct)
    {
        var url = $"{_tokenUrl}?appkey={Uri.EscapeDataString(_app.AppKey.Trim())}&appsecret={Uri.EscapeDataString(_app.AppSecret)}";
        var reply = await JsonApi.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, url), _timeout, ct);
        TokenResult result;
        if (reply.TransportFailure is { } failure)
        {
            result = TokenResult.Failed(SendOutcome.Retry(Name, $"token request {(failure.StartsWith("request ", StringComparison.Ordinal) ? failure[8..] : failure)}"));
        }
        else
        {
            var verdict = DingTalkReplies.Classify(
                reply.Status, reply.Long("errcode"), reply.String("sub_code"),
                PersonalData.Scrub(DingTalkRobotProvider.VendorMessage(reply), null, _app.AppSecret, _app.AppKey));
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
