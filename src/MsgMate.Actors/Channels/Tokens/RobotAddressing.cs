namespace MsgMate.Actors.Channels.Tokens;

/// <summary>
/// Who takes a DingTalk or WeCom message: a recipient that is the name of a configured robot goes to that robot; a
/// robot webhook URL (when allowed) to the robot-URL provider; anything else is a user id for the corp app(s).
/// </summary>
public sealed class RobotAddressing
{
    private readonly HashSet<string> _robotNames;
    private readonly Uri _robotBase;
    private readonly string _robotPath;
    private readonly string _keyParameter;

    /// <param name="robotBase">The configured robot base URL: a recipient URL must have its scheme, host and port.</param>
    /// <param name="robotPath">The robot path under the base ("/robot/send", "/cgi-bin/webhook/send").</param>
    /// <param name="keyParameter">The query parameter holding the robot's key ("access_token", "key").</param>
    public RobotAddressing(IEnumerable<string> robotNames, Uri robotBase, string robotPath, string keyParameter, bool allowRobotUrls)
    {
        _robotNames = new HashSet<string>(robotNames, StringComparer.OrdinalIgnoreCase);
        _robotBase = robotBase;
        _robotPath = robotPath;
        _keyParameter = keyParameter;
        AllowRobotUrls = allowRobotUrls;
    }

    public bool AllowRobotUrls { get; }

    /// <summary>The recipient is the name of a configured robot (any case, surrounding spaces ignored).</summary>
    public bool IsRobot(string? to, string robotName) =>
        to is not null && string.Equals(to.Trim(), robotName, StringComparison.OrdinalIgnoreCase);

    public bool IsRobotName(string? to) => to is not null && _robotNames.Contains(to.Trim());

    /// <summary>The recipient is a robot webhook URL of the vendor's robot host (whether or not such URLs are allowed).</summary>
    public bool IsRobotUrl(string? to, out string key) => JsonApi.IsRobotUrl(to, _robotBase, _robotPath, _keyParameter, out key);

    /// <summary>The recipient is a robot webhook URL and such URLs are allowed.</summary>
    public bool IsAcceptedRobotUrl(string? to, out string key)
    {
        key = "";
        return AllowRobotUrls && IsRobotUrl(to, out key);
    }

    /// <summary>A user id: not empty, not a robot name, not a URL of any kind.</summary>
    public bool IsUserId(string? to) =>
        !string.IsNullOrWhiteSpace(to) && !IsRobotName(to) && !JsonApi.IsHttpUrl(to, out _) && !to.Contains("://", StringComparison.Ordinal);
}
