using System.Collections.Immutable;
using System.Text;
using MsgMate.Actors.Common;

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

    /// <summary>Contacts masked: a profile that ends up in a log line (an unhandled message, a dead letter) shows no address.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name.Length == 0 ? "" : "***")
            .Append(", Nickname = ").Append(Nickname.Length == 0 ? "" : "***")
            .Append(", Mobile = ").Append(PersonalData.Mask(Channel.Sms, Mobile))
            .Append(", Email = ").Append(PersonalData.Mask(Channel.Email, Email))
            .Append(", LarkId = ").Append(PersonalData.Mask(Channel.Lark, LarkId))
            .Append(", DingtalkId = ").Append(PersonalData.Mask(Channel.DingTalk, DingtalkId))
            .Append(", WechatId = ").Append(PersonalData.Mask(Channel.WeCom, WechatId));
        return true;
    }
}

/// <summary>
/// Everything a user entity owns. Pure: <see cref="Apply"/> folds events, <see cref="UserDecisions"/> decides.
/// </summary>
/// <param name="Erased">The person was erased (<see cref="UserEvents.Erased"/>): nothing is kept but the id, the user
/// does not exist for reads and sends, and a create with the same id starts a new user. Absent in snapshots taken before
/// erasing existed: false.</param>
public sealed record UserState(
    string UserId,
    bool Exists,
    UserProfile Profile,
    ImmutableArray<string> Tags,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset ModifiedAt,
    bool Erased = false) : Common.IMsgMateMessage
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
            Erased = false,
            Profile = e.Profile,
            Tags = e.Tags,
            Enabled = true,
            CreatedAt = e.At,
            ModifiedAt = e.At,
        },
        UserEvents.Updated e => this with { Profile = e.Profile, Tags = e.Tags, ModifiedAt = e.At },
        UserEvents.Disabled e => this with { Enabled = false, ModifiedAt = e.At },
        UserEvents.Enabled e => this with { Enabled = true, ModifiedAt = e.At },
        // Everything but the id is dropped: the snapshot taken after it holds no contact either.
        UserEvents.Erased e => Empty(UserId) with { Erased = true, ModifiedAt = e.At },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown user event"),
    };
}
