using System.Collections.Immutable;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Users;

/// <summary>Events of a user entity. Persisted: a schema; add fields with defaults, never rename.</summary>
public interface IUserEvent : IMsgMateMessage
{
    string UserId { get; }
    DateTimeOffset At { get; }
}

public static class UserEvents
{
    /// <summary>Tag under which every user event is written, for the read-model projection.</summary>
    public const string Tag = "user";

    public sealed record Created(string UserId, UserProfile Profile, ImmutableArray<string> Tags, DateTimeOffset At) : IUserEvent;

    /// <summary>Carries the whole profile and tag set after the change, so a replay never depends on a diff.</summary>
    public sealed record Updated(string UserId, UserProfile Profile, ImmutableArray<string> Tags, DateTimeOffset At) : IUserEvent;

    public sealed record Disabled(string UserId, DateTimeOffset At) : IUserEvent;

    public sealed record Enabled(string UserId, DateTimeOffset At) : IUserEvent;

    /// <summary>
    /// The tombstone of an erased person: it carries nothing but the id, and every earlier event of the entity (the
    /// ones that carried the contacts) is deleted from the journal once it is stored.
    /// </summary>
    public sealed record Erased(string UserId, DateTimeOffset At) : IUserEvent;
}
