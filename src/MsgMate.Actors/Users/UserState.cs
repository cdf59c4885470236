using System.Collections.Immutable;

namespace MsgMate.Actors.Users;

/// <summary>A user's name and contacts. Absent values are empty strings, as the Go project stores them.</summary>
public sealed record UserProfile(
    string Name,
    string Nickname,
    string Mobile,
    string Email,
    string LarkId,
    string DingtalkId,
    string WechatId)
{
    public static readonly UserProfile Empty = new("", "", "", "", "", "", "");
}

/// <summary>
/// Everything a user entity owns. Pure: <see cref="Apply"/> folds events, <see cref="UserDecisions"/> decides.
/// </summary>
public sealed record UserState(
    string UserId,
    bool Exists,
    UserProfile Profile,
    ImmutableArray<string> Tags,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset ModifiedAt) : Common.IMsgMateMessage
{
    public static UserState Empty(string userId) =>
        new(userId, false, UserProfile.Empty, ImmutableArray<string>.Empty, false, default, default);

    /// <summary>1 enabled, 0 disabled: the Go project's status column.</summary>
    public int Status => Enabled ? 1 : 0;

    public UserState Apply(IUserEvent evt) => evt switch
    {
        UserEvents.Created e => this with
        {
            Exists = true,
            Profile = e.Profile,
            Tags = e.Tags,
            Enabled = true,
            CreatedAt = e.At,
            ModifiedAt = e.At,
        },
        UserEvents.Updated e => this with { Profile = e.Profile, Tags = e.Tags, ModifiedAt = e.At },
        UserEvents.Disabled e => this with { Enabled = false, ModifiedAt = e.At },
        UserEvents.Enabled e => this with { Enabled = true, ModifiedAt = e.At },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown user event"),
    };
}
