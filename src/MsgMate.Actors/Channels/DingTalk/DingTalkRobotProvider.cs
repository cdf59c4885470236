using MsgMate.Actors.Channels.Tokens;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>
/// A DingTalk custom group robot: POST <c>{RobotBaseUrl}/robot/send?access_token=…[&amp;timestamp=…&amp;sign=…]</c>.
/// Either one configured robot ("dingtalk-robot:&lt;name&gt;", takes the messages addressed to its name, signs when
/// it has a secret) or the robot-URL provider ("dingtalk-robot-url", takes robot webhook URLs as recipients when
/// <see cref="DingTalkOptions.AllowRobotUrls"/> is on; only the URL's access_token is used, and it cannot sign).
/// The robot gives no message id.
/// </summary>
public sealed class DingTalkRobotProvider : IProvider
{
    public const string RobotPath = "/robot/send";

    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _timeout;
    private readonly string _sendUrl;
    private readonly RobotAddressing _addressing;
    private readonly string? _robotName;
    private readonly DingTalkRobotOptions? _robot;

    private DingTalkRobotProvider(
        string name, string? robotName, DingTalkRobotOptions? robot, DingTalkOptions options, RobotAddressing addressing, HttpClient http, TimeProvider clock)
    {
        Name = name;
        _robotName = robotName;
        _robot = robot;
        _addressing = addressing;
        _http = http;
        _clock = clock;
        _timeout = options.Timeout;
        _sendUrl = JsonApi.Join(options.RobotBaseUrl, RobotPath);
    }

    /// <summary>The configured robot <paramref name="robotName"/>.</summary>
    public static DingTalkRobotProvider Named(
        string robotName, DingTalkRobotOptions robot, DingTalkOptions options, RobotAddressing addressing, HttpClient http, TimeProvider clock) =>
        new($"dingtalk-robot:{robotName}", robotName, robot, options, addressing, http, clock);

    /// <summary>The provider of robot webhook URLs given as recipients.</summary>
    public static DingTalkRobotProvider ForUrls(DingTalkOptions options, RobotAddressing addressing, HttpClient http, TimeProvider clock) =>
        new("dingtalk-robot-url", null, null, options, addressing, http, clock);

    public string Name { get; }

    public Channel Channel => Channel.DingTalk;

    public bool CanSend(OutboundMessage message) => _robotName is not null
        ? _addressing.IsRobot(message.To, _robotName)
        : _addressing.IsAcceptedRobotUrl(message.To, out _);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        string accessToken;
        var secret = "";
        if (_robot is not null)
        {
            accessToken = _robot.AccessToken.Trim();
            secret = _robot.Secret.Trim();
        }
        else if (!_addressing.IsAcceptedRobotUrl(message.To, out accessToken))
        {
            return SendOutcome.Permanent(Name, "the recipient is not an accepted DingTalk robot URL");
        }

        var body = DingTalkMessages.Robot(message, out var error);
        if (body is null)
        {
            return SendOutcome.Permanent(Name, error);
        }
        var url = $"{_sendUrl}?access_token={Uri.EscapeDataString(accessToken)}";
        if (secret.Length > 0)
        {
            var timestamp = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            url += $"&timestamp={timestamp}&sign={DingTalkSign.Compute(secret, timestamp)}";
        }

        var reply = await JsonApi.SendAsync(_http, JsonApi.PostJson(url, body), _timeout, ct);
        if (reply.TransportFailure is { } failure)
        {
            return SendOutcome.Retry(Name, failure);
        }
        var verdict = DingTalkReplies.Classify(
            reply.Status, reply.Long("errcode"), reply.String("sub_code"),
            PersonalData.Scrub(VendorMessage(reply), null, accessToken, secret));
        // A robot has no token to renew: a token complaint is its configuration.
        return verdict.Kind == ReplyKind.TokenRejected
            ? SendOutcome.Permanent(Name, verdict.Reason)
            : verdict.ToOutcome(Name);
    }

    internal static string? VendorMessage(JsonReply reply)
    {
        var errmsg = reply.String("errmsg");
        var subMsg = reply.String("sub_msg");
        return string.IsNullOrEmpty(subMsg) || subMsg == errmsg ? errmsg
            : string.IsNullOrEmpty(errmsg) ? subMsg
            : $"{errmsg} ({subMsg})";
    }
}
