using MsgMate.Actors.Channels.Tokens;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>
/// A WeCom group robot: POST <c>{BaseUrl}/cgi-bin/webhook/send?key=…</c>. Either one configured robot
/// ("wecom-robot:&lt;name&gt;", takes the messages addressed to its name) or the robot-URL provider
/// ("wecom-robot-url", takes robot webhook URLs as recipients when <see cref="WeComOptions.AllowRobotUrls"/> is on;
/// only the URL's key is used). The robot gives no message id.
/// </summary>
public sealed class WeComRobotProvider : IProvider
{
    public const string RobotPath = "/cgi-bin/webhook/send";

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;
    private readonly string _sendUrl;
    private readonly RobotAddressing _addressing;
    private readonly string? _robotName;
    private readonly WeComRobotOptions? _robot;

    private WeComRobotProvider(string name, string? robotName, WeComRobotOptions? robot, WeComOptions options, RobotAddressing addressing, HttpClient http)
    {
        Name = name;
        _robotName = robotName;
        _robot = robot;
        _addressing = addressing;
        _http = http;
        _timeout = options.Timeout;
        _sendUrl = JsonApi.Join(options.BaseUrl, RobotPath);
    }

    public static WeComRobotProvider Named(string robotName, WeComRobotOptions robot, WeComOptions options, RobotAddressing addressing, HttpClient http) =>
        new($"wecom-robot:{robotName}", robotName, robot, options, addressing, http);

    public static WeComRobotProvider ForUrls(WeComOptions options, RobotAddressing addressing, HttpClient http) =>
        new("wecom-robot-url", null, null, options, addressing, http);

    public string Name { get; }

    public Channel Channel => Channel.WeCom;

    public bool CanSend(OutboundMessage message) => _robotName is not null
        ? _addressing.IsRobot(message.To, _robotName)
        : _addressing.IsAcceptedRobotUrl(message.To, out _);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        string key;
        if (_robot is not null)
        {
            key = _robot.Key.Trim();
        }
        else if (!_addressing.IsAcceptedRobotUrl(message.To, out key))
        {
            return SendOutcome.Permanent(Name, "the recipient is not an accepted WeCom robot URL");
        }
        var body = WeComMessages.Robot(message, out var error);
        if (body is null)
        {
            return SendOutcome.Permanent(Name, error);
        }
        var reply = await JsonApi.SendAsync(_http, JsonApi.PostJson($"{_sendUrl}?key={Uri.EscapeDataString(key)}", body), _timeout, ct);
        if (reply.TransportFailure is { } failure)
        {
            return SendOutcome.Retry(Name, failure);
        }
        var verdict = WeComReplies.Classify(reply.Status, reply.Long("errcode"), PersonalData.Scrub(reply.String("errmsg"), null, key));
        // A robot has no token to renew: a token complaint is its configuration.
        return verdict.Kind == ReplyKind.TokenRejected ? SendOutcome.Permanent(Name, verdict.Reason) : verdict.ToOutcome(Name);
    }
}
