using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace MsgMate.Bench;

/// <summary>
/// Reads the node's record table directly (read-only, one small query a second) to show where the messages are
/// that the API does not break down: stored but not yet handed to Kafka (the outbox backlog), and not yet final.
/// </summary>
public sealed class DbProbe(string provider, string connectionString)
{
    /// <summary>(stored, not yet published to Kafka; not final yet), or null when the table cannot be read.</summary>
    public async Task<(long Unqueued, long Open)?> CountAsync()
    {
        try
        {
            await using var connection = Open();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT (SELECT COUNT(*) FROM mm_msg_records WHERE queued = 0 AND status IN (1, 4)), " +
                "(SELECT COUNT(*) FROM mm_msg_records WHERE status IN (1, 4))";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        catch (DbException)
        {
            return null;
        }
    }

    /// <summary>Schedule id → when its first record was stored (Unix ms), for the records of one source.</summary>
    public async Task<IReadOnlyDictionary<string, long>> FiringsAsync(string sourceId)
    {
        var fired = new Dictionary<string, long>();
        try
        {
            await using var connection = Open();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT schedule_id, MIN(create_time) FROM mm_msg_records WHERE source_id = @source AND schedule_id <> '' GROUP BY schedule_id";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "source";
            parameter.Value = sourceId;
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                fired[reader.GetString(0)] = reader.GetInt64(1);
            }
        }
        catch (DbException)
        {
            // Read again at the next poll.
        }
        return fired;
    }

    private DbConnection Open() => provider == "sqlite"
        ? new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString)
        : new NpgsqlConnection(connectionString);
}
