using System.Data.Common;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace MsgMate.Actors.Storage;

public enum SqlProvider
{
    Sqlite,
    PostgreSql,
    MySql,
    MariaDb,
}

/// <summary>
/// One configured SQL database: connections, the few dialect differences the read models need, and the
/// schema (embedded from <c>/sql</c>). Journals and snapshots use the same database through Akka.Persistence.Sql.
/// </summary>
public sealed class SqlDatabase
{
    static SqlDatabase()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public SqlDatabase(StorageOptions options)
    {
        Provider = Parse(options.Provider);
        ConnectionString = options.ConnectionString;
        Gate = Provider == SqlProvider.Sqlite ? new WriteGate() : null;
    }

    public SqlProvider Provider { get; }

    /// <summary>
    /// The writers of this process take turns here on SQLite (one write lock per file); other databases take
    /// concurrent writers and pass straight through.
    /// </summary>
    private WriteGate? Gate { get; }

    public string ConnectionString { get; }

    /// <summary>Provider name understood by Akka.Persistence.Sql (linq2db). The MySQL 8 name fails on MariaDB.</summary>
    public string AkkaProviderName => Provider switch
    {
        SqlProvider.Sqlite => "SQLite.MS",
        SqlProvider.PostgreSql => "PostgreSQL.15",
        SqlProvider.MySql => "MySql.8.0.MySqlConnector",
        _ => "MariaDB.10.MySqlConnector",
    };

    /// <summary>An INSERT that silently skips a row whose key exists: prefix and suffix.</summary>
    public (string Prefix, string Suffix) InsertIgnore => Provider switch
    {
        SqlProvider.Sqlite => ("INSERT OR IGNORE INTO", ""),
        SqlProvider.PostgreSql => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        _ => ("INSERT IGNORE INTO", ""),
    };

    /// <summary>
    /// "column is one of the list parameter". Dapper expands <c>IN @list</c> for most providers but hands Npgsql
    /// a native array, which PostgreSQL compares with <c>= ANY</c>.
    /// </summary>
    public string InList(string column, string parameter) =>
        Provider == SqlProvider.PostgreSql ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";

    /// <summary>Integer division of two BIGINT expressions (MySQL's <c>/</c> yields a decimal).</summary>
    public string IntDiv(string left, string right) =>
        Provider is SqlProvider.MySql or SqlProvider.MariaDb ? $"(({left}) DIV ({right}))" : $"(({left}) / ({right}))";

    /// <summary>
    /// Inserts many rows with multi-row VALUES statements (one round trip per chunk), inside the caller's
    /// transaction. <paramref name="columns"/> are the column names; <paramref name="values"/> gives each row's
    /// values in that order.
    /// </summary>
    public async Task InsertManyAsync<T>(
        DbConnection connection, DbTransaction transaction, string table, string[] columns,
        IReadOnlyList<T> rows, Func<T, object?[]> values, string prefix = "INSERT INTO", string suffix = "", CancellationToken ct = default)
    {
        if (Provider == SqlProvider.Sqlite)
        {
            // In-process: no round trips to save, so one prepared single-row INSERT run per row beats parsing a
            // large multi-row statement for every batch size.
            var names = columns.Select((_, i) => $"p{i}").ToArray();
            await using var insert = new RepeatedStatement(connection, transaction,
                $"{prefix} {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", names.Select(n => "@" + n))}){suffix}", names);
            foreach (var row in rows)
            {
                await insert.ExecuteAsync(ct, values(row));
            }
            return;
        }
        // Stay well under every driver's parameter limit (PostgreSQL and MySQL 65535).
        var perChunk = Math.Max(1, 2000 / columns.Length);
        var head = $"{prefix} {table} ({string.Join(", ", columns)}) VALUES ";
        for (var start = 0; start < rows.Count; start += perChunk)
        {
            var count = Math.Min(perChunk, rows.Count - start);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new StringBuilder(head, head.Length + count * columns.Length * 8);
            for (var r = 0; r < count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                var row = values(rows[start + r]);
                for (var c = 0; c < columns.Length; c++)
                {
                    var name = $"@p{r}_{c}";
                    sql.Append(c == 0 ? name : ", " + name);
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = row[c] ?? DBNull.Value;
                    command.Parameters.Add(parameter);
                }
                sql.Append(')');
            }
            command.CommandText = sql.Append(suffix).ToString();
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    public static SqlProvider Parse(string provider) => provider.Trim().ToLowerInvariant() switch
    {
        "sqlite" => SqlProvider.Sqlite,
        "postgresql" or "postgres" or "pg" => SqlProvider.PostgreSql,
        "mysql" => SqlProvider.MySql,
        "mariadb" => SqlProvider.MariaDb,
        _ => throw new ArgumentException(
            $"MsgMate:Storage:Provider '{provider}' is not supported (sqlite, postgresql, mysql, mariadb)"),
    };

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        DbConnection connection = Provider switch
        {
            SqlProvider.Sqlite => new SqliteConnection(ConnectionString),
            SqlProvider.PostgreSql => new NpgsqlConnection(ConnectionString),
            _ => new MySqlConnection(ConnectionString),
        };
        await connection.OpenAsync(ct);
        if (Provider == SqlProvider.Sqlite)
        {
            // Let SQLite wait for the single writer itself, in short steps: without it Microsoft.Data.Sqlite
            // retries a busy database with 150 ms sleeps, which the benchmark saw as latency spikes.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 10000;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    /// <summary>
    /// A connection and a transaction for writing records and read models: on SQLite only after this process's
    /// earlier writers are done (<see cref="WriteGate"/>), so that writers queue here, in order, instead of sleeping
    /// in SQLite's busy handler. Keep the turn short: no waiting on anything but this database inside it.
    /// </summary>
    public async Task<SqlWrite> BeginWriteAsync(WriteUrgency urgency = WriteUrgency.Normal, CancellationToken ct = default)
    {
        var turn = Gate is null ? WriteGate.Turn.None : await Gate.EnterAsync(urgency, ct);
        DbConnection? connection = null;
        try
        {
            connection = await OpenAsync(ct);
            var transaction = await connection.BeginTransactionAsync(ct);
            return new SqlWrite(connection, transaction, turn);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            turn.Dispose();
            throw;
        }
    }

    /// <summary>Creates what is missing of the read-model schema. Safe to run on every start, on every node.</summary>
    public async Task EnsureSchemaAsync(CancellationToken ct = default)
    {
        if (Provider == SqlProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            var dir = Path.GetDirectoryName(Path.GetFullPath(file));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
        }

        await using var connection = await OpenAsync(ct);
        if (Provider == SqlProvider.Sqlite)
        {
            // WAL lets readers run beside the single writer (journal, read models); the setting sticks to the file.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        foreach (var statement in SchemaStatements())
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: ct));
        }
        foreach (var (table, column, definition) in AddedColumns)
        {
            await EnsureColumnAsync(connection, table, column, definition, ct);
        }
    }

    /// <summary>
    /// Columns added after a table was first released. <c>CREATE TABLE IF NOT EXISTS</c> leaves an existing table as it
    /// is, so a database made by an earlier version gets them here, on every start, idempotently. New columns go
    /// here only (not into the CREATE TABLE files), so that one list says what a table has gained.
    /// </summary>
    private static readonly (string Table, string Column, string Definition)[] AddedColumns =
    [
        ("mm_msg_attempts", "retry_at", "BIGINT NOT NULL DEFAULT 0"),
        ("mm_msg_records", "provider_msg_id", "VARCHAR(128) NOT NULL DEFAULT ''"),
        ("mm_msg_attempts", "provider_msg_id", "VARCHAR(128) NOT NULL DEFAULT ''"),
    ];

    private static async Task EnsureColumnAsync(DbConnection connection, string table, string column, string definition, CancellationToken ct)
    {
        if (await HasColumnAsync(connection, table, column, ct))
        {
            return;
        }
        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} ADD COLUMN {column} {definition}", cancellationToken: ct));
        }
        catch (DbException)
        {
            // Another node may have added it in the meantime; anything else is a real failure.
            if (!await HasColumnAsync(connection, table, column, ct))
            {
                throw;
            }
        }
    }

    private static async Task<bool> HasColumnAsync(DbConnection connection, string table, string column, CancellationToken ct)
    {
        try
        {
            await connection.ExecuteScalarAsync(new CommandDefinition($"SELECT {column} FROM {table} WHERE 1 = 0", cancellationToken: ct));
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    private IEnumerable<string> SchemaStatements()
    {
        // SQLite and PostgreSQL share one schema (sql/shared) beside their own journal DDL; MySQL has its own
        // dialect throughout. Files run in the order of their names: 000 (journal) before 001, 002, ….
        string[] folders = Provider switch
        {
            SqlProvider.Sqlite => ["sqlite", "shared"],
            SqlProvider.PostgreSql => ["postgresql", "shared"],
            _ => ["mysql"],
        };
        var assembly = typeof(SqlDatabase).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => folders.Any(f => n.StartsWith($"sql/{f}/", StringComparison.Ordinal)))
            .OrderBy(Path.GetFileName, StringComparer.Ordinal);
        foreach (var name in scripts)
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var script = string.Join('\n', reader.ReadToEnd().Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal)));
            foreach (var statement in script.Split(';'))
            {
                if (!string.IsNullOrWhiteSpace(statement))
                {
                    yield return statement.Trim();
                }
            }
        }
    }
}

/// <summary>One write transaction with its turn at the write lock; disposing it without a commit rolls back.</summary>
public sealed class SqlWrite(DbConnection connection, DbTransaction transaction, WriteGate.Turn turn) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    public Task CommitAsync(CancellationToken ct = default) => Transaction.CommitAsync(ct);

    public Task RollbackAsync(CancellationToken ct = default) => Transaction.RollbackAsync(ct);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            turn.Dispose();
        }
    }
}
