using System.Collections.Immutable;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Users;

/// <summary>Every message for a user entity names its user; the shard extractor routes on it.</summary>
public interface IWithUserId : IMsgMateMessage
{
    string UserId { get; }
}

public interface IUserCommand : IWithUserId;

/// <summary>
/// A partial change. A null or empty string is left as it is, as the Go server ignored empty fields; a
/// string field is emptied only when it is named in <see cref="Clear"/>. <see cref="Tags"/>, when given,
/// replaces the set (an empty list clears it), as in the Go server.
/// </summary>
public sealed record UserPatch(
    string? Name = null,
    string? Nickname = null,
    string? Mobile = null,
    string? Email = null,
    string? LarkId = null,
    string? DingtalkId = null,
    string? WechatId = null,
    ImmutableArray<string>? Tags = null,
    bool? Enabled = null,
    ImmutableArray<string>? Clear = null)
{
    /// <summary>Field names (wire names) that <see cref="Clear"/> may hold.</summary>
    public static readonly ImmutableHashSet<string> ClearableFields =
        ["nickname", "mobile", "email", "lark_id", "dingtalk_id", "wechat_id", "tags"];

    /// <summary>Contacts masked, as in <see cref="UserProfile"/>: a patch in a log line shows no address.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Name = ").Append(string.IsNullOrEmpty(Name) ? "" : "***")
            .Append(", Nickname = ").Append(string.IsNullOrEmpty(Nickname) ? "" : "***")
            .Append(", Mobile = ").Append(PersonalData.Mask(Channel.Sms, Mobile))
            .Append(", Email = ").Append(PersonalData.Mask(Channel.Email, Email))
            .Append(", LarkId = ").Append(PersonalData.Mask(Channel.Lark, LarkId))
            .Append(", DingtalkId = ").Append(PersonalData.Mask(Channel.DingTalk, DingtalkId))
            .Append(", WechatId = ").Append(PersonalData.Mask(Channel.WeCom, WechatId))
            .Append(", Tags = ").Append(Tags is { IsDefault: false } t ? string.Join("|", t) : "")
            .Append(", Enabled = ").Append(Enabled)
            .Append(", Clear = ").Append(Clear is { IsDefault: false } c ? string.Join("|", c) : "");
        return true;
    }
}

public static class UserCommands
{
    public sealed record Create(string UserId, UserProfile Profile, ImmutableArray<string> Tags) : IUserCommand;

    public sealed record Update(string UserId, UserPatch Patch) : IUserCommand;

    /// <summary>The Go project's "delete": the user stays, disabled (status 0).</summary>
    public sealed record Disable(string UserId) : IUserCommand;

    public sealed record Enable(string UserId) : IUserCommand;

    public sealed record Get(string UserId) : IUserCommand;

    /// <summary>
    /// Forget the person: contacts, name, nickname and tags go; the id stays as a tombstone. Answered once the erased
    /// state is a snapshot and the earlier events are deleted from the journal. Repeating it is a success (the journal
    /// is compacted again), so a caller whose erase failed halfway simply sends it again.
    /// </summary>
    public sealed record Erase(string UserId) : IUserCommand;
}

/// <summary>Answer of a user entity: a code, never an exception across the actor boundary.</summary>
public sealed record UserReply(ResultCode Code, string Message, UserState? State, long Version) : IMsgMateMessage, IEntityReply<UserState>
{
    public bool IsOk => Code == ResultCode.Ok;

    public static UserReply Ok(UserState state, long version) => new(ResultCode.Ok, "ok", state, version);

    public static UserReply Fail(Rejection failure) => new(failure.Code, failure.Message, null, 0);
}
