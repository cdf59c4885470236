namespace MsgMate.Actors.Storage;

/// <summary>Where journals, snapshots and read models live. Bound from <c>MsgMate:Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (embedded default), <c>postgresql</c>, <c>mysql</c> or <c>mariadb</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    public string ConnectionString { get; set; } = "Data Source=data/msgmate.db";

    /// <summary>
    /// Where the event journal and snapshots live. Empty: on SQLite a file beside the database
    /// (<c>msgmate.db</c> → <c>msgmate-journal.db</c>), so that entity events and records each have a write lock
    /// of their own; on a server the same database.
    /// </summary>
    public string JournalConnectionString { get; set; } = "";
}
