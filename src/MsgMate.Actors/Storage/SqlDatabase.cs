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
/// schema (embedded from <c>/sql</c>). Journals and snapshots (Akka.Persistence.Sql) use the same server database,
/// and on SQLite a file of their own beside it (<see cref="JournalConnectionString"/>).
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
        ConnectionString = WithDefaults(Provider, options.ConnectionString);
        JournalConnectionString = WithDefaults(Provider, JournalConnectionFor(Provider, options));
        Gate = Provider == SqlProvider.Sqlite ? new WriteGate() : null;
    }

    public SqlProvider Provider { get; }

    /// <summary>
    /// PostgreSQL: GSS session encryption off unless the connection string asks for it. Npgsql 10 tries it first by
    /// default, which loads the Kerberos library for every connection; a node killed or stopping while one was being
    /// opened aborted in Kerberos's teardown ("k5_mutex_lock: Received error 22", exit 134, seen in the rolling-restart
    /// test), and without Kerberos credentials every attempt is a caught exception. TLS (SSL Mode) is unaffected.
    /// </summary>
    private static string WithDefaults(SqlProvider provider, string connectionString)
    {
        if (provider != SqlProvider.PostgreSql || string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("Gss Encryption Mode") || given.ContainsKey("GssEncryptionMode"))
        {
            return connectionString;
        }
        return new NpgsqlConnectionStringBuilder(connectionString) { GssEncryptionMode = GssEncryptionMode.Disable }.ToString();
    }

    /// <summary>
    /// The writers of this process take turns here on SQLite (one write lock per file); other databases take
    /// concurrent writers and pass straight through.
    /// </summary>
    private WriteGate? Gate { get; }

    public string ConnectionString { get; }

    /// <summary>
    /// The journal's and snapshot store's database. On SQLite by default a second file: the plugin's writers open
    /// their own connections, outside <see cref="WriteGate"/>, and sharing one file's write lock with the record
    /// writers made both sides time out under load.
    /// </summary>
    public string JournalConnectionString { get; }

    private bool SeparateJournal => JournalConnectionString != ConnectionString;

    private static string JournalConnectionFor(SqlProvider provider, StorageOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.JournalConnectionString))
        {
            return options.JournalConnectionString;
        }
        if (provider != SqlProvider.Sqlite)
        {
            return options.ConnectionString;
        }
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        var file = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory || file is "" or ":memory:" || file.StartsWith("file:", StringComparison.Ordinal))
        {
            return options.ConnectionString;
        }
        builder.DataSource = Path.Combine(Path.GetDirectoryName(file) ?? "",
            Path.GetFileNameWithoutExtension(file) + "-journal" + Path.GetExtension(file));
        return builder.ToString();
    }

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

    public Task<DbConnection> OpenAsync(CancellationToken ct = default) => OpenAsync(ConnectionString, ct);

    /// <summary>A connection to the journal's database, for reading it (the plugin writes it).</summary>
    public Task<DbConnection> OpenJournalAsync(CancellationToken ct = default) => OpenAsync(JournalConnectionString, ct);

    private async Task<DbConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        DbConnection connection = Provider switch
        {
            SqlProvider.Sqlite => new SqliteConnection(connectionString),
            SqlProvider.PostgreSql => new NpgsqlConnection(connectionString),
            _ => new MySqlConnection(connectionString),
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
            // MariaDB/MySQL: read committed, as PostgreSQL's default. Their repeatable read locks the gaps an UPDATE or a
            // DELETE scans; the queue's claims, the group commits' inserts and the outcome writes then deadlocked on each
            // other's gaps (a lane stopped by one, in a test run). Every write here re-checks its conditions in the
            // statement itself, and none relies on a snapshot held across statements.
            var transaction = await connection.BeginTransactionAsync(
                Provider is SqlProvider.MariaDb or SqlProvider.MySql ? System.Data.IsolationLevel.ReadCommitted : System.Data.IsolationLevel.Unspecified, ct);
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

    /// <summary>Creates what is missing of the schema. Safe to run on every start, on every node.</summary>
    public async Task EnsureSchemaAsync(CancellationToken ct = default)
    {
        await using var schemaLock = await LockSchemaAsync(ct);
        await using (var journal = await OpenForSchemaAsync(JournalConnectionString, ct))
        {
            await RunAsync(journal, SchemaStatements(journal: true), ct);
            if (SeparateJournal && Provider == SqlProvider.Sqlite)
            {
                await MoveJournalOutOfMainFileAsync(journal, ct);
            }
        }
        await using var connection = await OpenForSchemaAsync(ConnectionString, ct);
        await RunAsync(connection, SchemaStatements(journal: false), ct);
        foreach (var (table, column, definition) in AddedColumns)
        {
            await EnsureColumnAsync(connection, table, column, definition, ct);
        }
        // Final records are marked queued (RecordStore.ApplyOutcomesAsync): nothing of them is left to publish. A database
        // from before kept them unqueued, in the outbox index's range that the relay walks in due order; they are marked
        // once here (afterwards a no-op: the range holds open records only).
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE mm_msg_records SET queued = 1 WHERE queued = 0 AND status IN (@sent, @failed, @cancelled)",
            new { sent = Delivery.MessageStatus.Sent, failed = Delivery.MessageStatus.Failed, cancelled = Delivery.MessageStatus.Cancelled },
            cancellationToken: ct));
    }

    /// <summary>
    /// Nodes that start together on an empty server database race on <c>CREATE TABLE IF NOT EXISTS</c> (PostgreSQL
    /// refuses the loser with a duplicate key in <c>pg_class</c>, and the node exits). One node at a time creates or
    /// upgrades the schema under a session lock of the database; the others wait for it and then find everything
    /// there. SQLite needs none: one file, one writer.
    /// </summary>
    private async Task<SchemaLock?> LockSchemaAsync(CancellationToken ct)
    {
        var (take, release) = Provider switch
        {
            SqlProvider.PostgreSql => ($"SELECT pg_advisory_lock({SchemaLockKey})", $"SELECT pg_advisory_unlock({SchemaLockKey})"),
            SqlProvider.MySql or SqlProvider.MariaDb => ("SELECT GET_LOCK('msgmate_schema', 120)", "SELECT RELEASE_LOCK('msgmate_schema')"),
            _ => (null, null),
        };
        if (take is null || release is null)
        {
            return null;
        }
        var connection = await OpenAsync(ConnectionString, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = take;
        command.CommandTimeout = 130;
        var granted = await command.ExecuteScalarAsync(ct);
        // pg_advisory_lock waits without a result; GET_LOCK answers 1 when granted, 0 after its timeout.
        if (Provider != SqlProvider.PostgreSql && Convert.ToInt64(granted, System.Globalization.CultureInfo.InvariantCulture) != 1)
        {
            await connection.DisposeAsync();
            throw new TimeoutException("another node held the schema lock for 120 s");
        }
        return new SchemaLock(connection, release);
    }

    /// <summary>Any 64-bit number of our own: the advisory-lock key of the schema.</summary>
    private const long SchemaLockKey = 0x4D73674D61746531; // "MsgMate1"

    private sealed class SchemaLock(DbConnection connection, string release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = release;
                await command.ExecuteScalarAsync();
            }
            finally
            {
                // Closing the session releases the lock too, if the release above failed.
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<DbConnection> OpenForSchemaAsync(string connectionString, CancellationToken ct)
    {
        if (Provider == SqlProvider.Sqlite)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }
        }
        var connection = await OpenAsync(connectionString, ct);
        if (Provider == SqlProvider.Sqlite)
        {
            // WAL lets readers run beside the single writer; the setting sticks to the file.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        return connection;
    }

    private static async Task RunAsync(DbConnection connection, IEnumerable<string> statements, CancellationToken ct)
    {
        foreach (var statement in statements)
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: ct));
        }
    }

    /// <summary>
    /// A SQLite database made before the journal had a file of its own keeps its events in the main file: they
    /// move, once, into the journal file (same orderings, so the projections' stored offsets stay valid), and the old
    /// tables are dropped. A start interrupted between the copy and the drop finds the copy complete and drops.
    /// </summary>
    private async Task MoveJournalOutOfMainFileAsync(DbConnection journal, CancellationToken ct)
    {
        const string tables = "('journal', 'tags', 'snapshot')";
        await using var main = await OpenAsync(ConnectionString, ct);
        var old = await main.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN {tables}");
        if (old == 0)
        {
            return;
        }
        var oldMax = await main.ExecuteScalarAsync<long?>("SELECT MAX(ordering) FROM journal") ?? 0;
        var oldSnapshots = await main.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM snapshot");
        var newMax = await journal.ExecuteScalarAsync<long?>("SELECT MAX(ordering) FROM journal") ?? 0;
        var newSnapshots = await journal.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM snapshot");
        if (newMax == 0 && newSnapshots == 0 && (oldMax > 0 || oldSnapshots > 0))
        {
            var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
            await journal.ExecuteAsync("ATTACH DATABASE @file AS old", new { file });
            try
            {
                await using var copy = await journal.BeginTransactionAsync(ct);
                const string journalColumns = "ordering, created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid";
                const string tagColumns = "ordering_id, tag, sequence_nr, persistence_id";
                const string snapshotColumns = "persistence_id, sequence_number, created, snapshot, manifest, serializer_id";
                await journal.ExecuteAsync($"INSERT INTO journal ({journalColumns}) SELECT {journalColumns} FROM old.journal", transaction: copy);
                await journal.ExecuteAsync($"INSERT INTO tags ({tagColumns}) SELECT {tagColumns} FROM old.tags", transaction: copy);
                await journal.ExecuteAsync($"INSERT INTO snapshot ({snapshotColumns}) SELECT {snapshotColumns} FROM old.snapshot", transaction: copy);
                await copy.CommitAsync(ct);
            }
            finally
            {
                await journal.ExecuteAsync("DETACH DATABASE old");
            }
            newMax = oldMax;
            newSnapshots = oldSnapshots;
        }
        if (newMax < oldMax || newSnapshots < oldSnapshots)
        {
            throw new InvalidOperationException(
                $"Both {ConnectionString} and {JournalConnectionString} hold journal events; expected them in one file only. " +
                "Set MsgMate:Storage:JournalConnectionString to the file that is current.");
        }
        await main.ExecuteAsync("DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS snapshot; DROP TABLE IF EXISTS journal;");
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

    /// <summary>The journal's statements (the <c>000_</c> files) or the read models' and records' (the others).</summary>
    private IEnumerable<string> SchemaStatements(bool journal)
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
            .Where(n => Path.GetFileName(n).StartsWith("000_", StringComparison.Ordinal) == journal)
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
