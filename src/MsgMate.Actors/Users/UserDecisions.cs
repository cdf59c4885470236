using System.Collections.Immutable;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Users;

/// <summary>What a command does to a user: a failure, or the events to persist (none for a no-op).</summary>
public sealed record UserDecision(Rejection? Rejection, ImmutableArray<IUserEvent> Events)
{
    public static UserDecision Fail(Rejection f) => new(f, ImmutableArray<IUserEvent>.Empty);

    public static UserDecision Persist(params IUserEvent[] events) => new(null, [.. events]);

    public static readonly UserDecision Nothing = new(null, ImmutableArray<IUserEvent>.Empty);
}

/// <summary>The business rules of a user, free of actors and I/O.</summary>
public static class UserDecisions
{
    public static UserDecision Decide(UserState state, IUserCommand command, DateTimeOffset now)
    {
        if (command is UserCommands.Erase && state.Erased)
        {
            // Erased already: nothing new to store; the entity compacts its journal again all the same.
            return UserDecision.Nothing;
        }
        if (command is not UserCommands.Create && !state.Exists)
        {
            return UserDecision.Fail(new Rejection(ResultCode.UserNotFound, $"user {InputText.Quote(command.UserId)} not found"));
        }

        switch (command)
        {
            case UserCommands.Create c:
                if (state.Exists)
                {
                    return UserDecision.Fail(new Rejection(ResultCode.UserExists, $"user {InputText.Quote(c.UserId)} already exists"));
                }
                var createError = UserId.Validate(c.UserId) ?? UserValidation.ValidateProfile(c.Profile);
                if (createError is not null)
                {
                    return UserDecision.Fail(Rejection.Invalid(createError));
                }
                var (tags, tagError) = UserValidation.NormalizeTags(c.Tags.IsDefault ? [] : c.Tags);
                return tagError is not null
                    ? UserDecision.Fail(Rejection.Invalid(tagError))
                    : UserDecision.Persist(new UserEvents.Created(c.UserId, c.Profile, tags, now));

            case UserCommands.Update u:
                return DecideUpdate(state, u.Patch, now);

            case UserCommands.Disable:
                return state.Enabled ? UserDecision.Persist(new UserEvents.Disabled(state.UserId, now)) : UserDecision.Nothing;

            case UserCommands.Enable:
                return state.Enabled ? UserDecision.Nothing : UserDecision.Persist(new UserEvents.Enabled(state.UserId, now));

            case UserCommands.Get:
                return UserDecision.Nothing;

            case UserCommands.Erase:
                return UserDecision.Persist(new UserEvents.Erased(state.UserId, now));

            default:
                return UserDecision.Fail(Rejection.Invalid($"unknown command {command.GetType().Name}"));
        }
    }

    private static UserDecision DecideUpdate(UserState state, UserPatch patch, DateTimeOffset now)
    {
        var clear = patch.Clear is { IsDefault: false } named ? named.ToImmutableHashSet() : ImmutableHashSet<string>.Empty;
        var unknown = clear.FirstOrDefault(f => !UserPatch.ClearableFields.Contains(f));
        if (unknown is not null)
        {
            return UserDecision.Fail(Rejection.Invalid(
                $"clear_fields: '{InputText.Quote(unknown, 64)}' cannot be cleared (allowed: {string.Join(", ", UserPatch.ClearableFields.Order())})"));
        }

        string Pick(string current, string? given, string field) =>
            clear.Contains(field) ? "" : string.IsNullOrEmpty(given) ? current : given;

        var p = state.Profile;
        var profile = new UserProfile(
            Pick(p.Name, patch.Name, "name"),
            Pick(p.Nickname, patch.Nickname, "nickname"),
            Pick(p.Mobile, patch.Mobile, "mobile"),
            Pick(p.Email, patch.Email, "email"),
            Pick(p.LarkId, patch.LarkId, "lark_id"),
            Pick(p.DingtalkId, patch.DingtalkId, "dingtalk_id"),
            Pick(p.WechatId, patch.WechatId, "wechat_id"));
        var profileError = UserValidation.ValidateProfile(profile);
        if (profileError is not null)
        {
            return UserDecision.Fail(Rejection.Invalid(profileError));
        }

        var tags = state.Tags;
        if (clear.Contains("tags"))
        {
            tags = [];
        }
        else if (patch.Tags is { IsDefault: false } given)
        {
            var (normalized, tagError) = UserValidation.NormalizeTags(given);
            if (tagError is not null)
            {
                return UserDecision.Fail(Rejection.Invalid(tagError));
            }
            tags = normalized;
        }

        var events = new List<IUserEvent>(2);
        if (profile != state.Profile || !tags.SequenceEqual(state.Tags))
        {
            events.Add(new UserEvents.Updated(state.UserId, profile, tags, now));
        }
        if (patch.Enabled is { } enabled && enabled != state.Enabled)
        {
            events.Add(enabled ? new UserEvents.Enabled(state.UserId, now) : new UserEvents.Disabled(state.UserId, now));
        }
        return new UserDecision(null, [.. events]);
    }
}
