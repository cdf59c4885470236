using Microsoft.Data.Sqlite;
using MsgMate.Actors.Storage;
using MySqlConnector;
using Npgsql;

namespace MsgMate.Integration.Tests.Infrastructure;

public enum Db
{
    Sqlite,
    PostgreSql,
    MariaDb,
}

/// <summary>
/// A fresh, empty database per test class on a real server. PostgreSQL and MariaDB are the Debian servers that
/// <c>scripts/test.sh</c> starts on 127.0.0.1 and names in MSGMATE_TEST_POSTGRES / MSGMATE_TEST_MARIADB.
/// </summary>
public static class TestDatabases
{
    /// <summary>A fresh database with the node's schema, for tests of the stores themselves.</summary>
    public static async Task<SqlDatabase> CreateWithSchemaAsync(Db db)
    {
        var (provider, connectionString) = await CreateAsync(db);
        var database = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connectionString });
        await database.EnsureSchemaAsync();
        return database;
    }

    public static async Task<(string Provider, string ConnectionString)> CreateAsync(Db db)
    {
        var name = "mm_" + Guid.NewGuid().ToString("N")[..12];
        switch (db)
        {
            case Db.Sqlite:
                var file = Path.Combine(Path.GetTempPath(), "msgmate-tests", name + ".db");
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                return ("sqlite", new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30 }.ToString());

            case Db.PostgreSql:
                var pgAdmin = Required("MSGMATE_TEST_POSTGRES");
                await using (var c = new NpgsqlConnection(pgAdmin))
                {
                    await c.OpenAsync();
                    await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
                    await cmd.ExecuteNonQueryAsync();
                }
                return ("postgresql", new NpgsqlConnectionStringBuilder(pgAdmin) { Database = name }.ToString());

            default:
                var myAdmin = Required("MSGMATE_TEST_MARIADB");
                await using (var c = new MySqlConnection(myAdmin))
                {
                    await c.OpenAsync();
                    await using var cmd = new MySqlCommand($"CREATE DATABASE {name} CHARACTER SET utf8mb4", c);
                    await cmd.ExecuteNonQueryAsync();
                }
                return ("mariadb", new MySqlConnectionStringBuilder(myAdmin) { Database = name }.ToString());
        }
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: run the suite through scripts/test.sh, which starts the database servers.");
}
