namespace MsgMate.Actors;

// TEMPDBG
public static class TempDbg
{
    private static readonly object Gate = new();

    public static void W(string s)
    {
        lock (Gate)
        {
            File.AppendAllText("/tmp/dbg.log", $"{DateTime.UtcNow:HH:mm:ss.fff} [{Environment.CurrentManagedThreadId}] {s}\n");
        }
    }
}
