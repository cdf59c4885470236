using System.Collections.Immutable;
using Akka.Actor;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Users;

/// <summary>One sharded, event-sourced actor per user id: the single writer of that user's profile.</summary>
public sealed class UserEntity(string userId, TimeProvider clock)
    : EventSourcedEntity<UserState, IUserCommand, IUserEvent, UserReply>("user-" + userId, UserState.Empty(userId), clock)
{
    public const string TypeName = "user";
    public const int ShardCount = 50;

    public static Props PropsFor(string userId, TimeProvider clock) => Props.Create(() => new UserEntity(userId, clock));

    public static EntityIdExtractor<IWithUserId> Extractor { get; } = new(m => m.UserId, ShardCount);

    protected override (Rejection? Rejection, ImmutableArray<IUserEvent> Events) Decide(UserState state, IUserCommand command, DateTimeOffset now)
    {
        var decision = UserDecisions.Decide(state, command, now);
        return (decision.Rejection, decision.Events);
    }

    protected override UserState Apply(UserState state, IUserEvent evt) => state.Apply(evt);

    /// <summary>An erase leaves no event with the person's contacts in the journal.</summary>
    protected override bool Compacts(IUserCommand command) => command is UserCommands.Erase;

    /// <summary>An erased user is answered only to its erase (every other command is refused by the decisions).</summary>
    protected override UserReply Ok(UserState state, long version) =>
        state.Exists || state.Erased
            ? UserReply.Ok(state, version)
            : UserReply.Fail(new Rejection(ResultCode.UserNotFound, $"user {InputText.Quote(state.UserId)} not found"));

    protected override UserReply Fail(Rejection failure) => UserReply.Fail(failure);
}
