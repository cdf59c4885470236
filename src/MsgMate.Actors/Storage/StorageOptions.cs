namespace MsgMate.Actors.Storage;

/// <summary>Where journals, snapshots and read models live. Bound from <c>MsgMate:Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (embedded default), <c>postgresql</c>, <c>mysql</c> or <c>mariadb</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    public string ConnectionString { get; set; } = "Data Source=data/msgmate.db";
}
