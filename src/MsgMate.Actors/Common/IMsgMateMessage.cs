namespace MsgMate.Actors.Common;

/// <summary>
/// Root marker for every message that crosses the wire or reaches the journal. All of them are bound to
/// <see cref="Serialization.MsgMateSerializer"/>: one explicit, versioned schema instead of the default serializer.
/// </summary>
public interface IMsgMateMessage;
