namespace MsgMate.Actors.Common;

/// <summary>
/// Result codes of the MsgMate wire contract. The numbers are the Go project's and must not change:
/// existing clients branch on them.
/// </summary>
public enum ResultCode
{
    Ok = 0,
    InvalidArgument = 8020,
    BadJson = 8021,
    Internal = 8023,
    TemplateNotUsable = 8035,
    SendFailed = 8036,
    StoreFailed = 8037,
    RateLimited = 8038,

    /// <summary>Not a Go code (the Go server answered 8020 or even 0 for an unknown template).</summary>
    TemplateNotFound = 8048,

    /// <summary>Not a Go code: the request conflicts with the current state (e.g. an id already taken).</summary>
    Conflict = 8049,

    /// <summary>Not a Go code: no message record with that id.</summary>
    MessageNotFound = 8050,

    /// <summary>Not a Go code: no schedule with that id.</summary>
    ScheduleNotFound = 8051,

    /// <summary>Not a Go code: no API key (or quota) with that id.</summary>
    KeyNotFound = 8052,

    /// <summary>Not a Go code: no cluster member with that address, or no shard region of that type (admin API).</summary>
    MemberNotFound = 8053,

    /// <summary>Not a Go code: no key, an unknown, revoked or expired key, or a legacy source from a refused network (401).</summary>
    Unauthenticated = 8060,

    /// <summary>Not a Go code: the caller is known but lacks the route's scope, or names another source (403).</summary>
    Forbidden = 8061,

    /// <summary>Not a Go code: a quota or a per-recipient cap is used up (429 with Retry-After); nothing was stored.</summary>
    QuotaExceeded = 8062,

    /// <summary>Not a Go code: this node is leaving the cluster (503 with Retry-After); send to another node.</summary>
    NodeLeaving = 8070,

    UserExists = 9001,
    UserNotFound = 9002,
    UpdateFailed = 9003,
    DeleteFailed = 9004,
    QueryFailed = 9005,
}

/// <summary>What went wrong, in words a caller can act on, with the code the wire carries.</summary>
public sealed record Rejection(ResultCode Code, string Message)
{
    public static Rejection Invalid(string message) => new(ResultCode.InvalidArgument, message);
}
