namespace MsgMate.Actors.Common;

/// <summary>Wall-clock instants are truncated to milliseconds: that is what every store keeps.</summary>
public static class Instants
{
    public static DateTimeOffset Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
    }
}
