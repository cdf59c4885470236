using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// On SQLite the journal has a file of its own beside the database, so that entity events and record writes each
/// have their own write lock; a database from before that keeps working and has its events moved once.
/// </summary>
public sealed class JournalFileTests
{
    [Fact(DisplayName = "SQLite: the journal is a file of its own beside the database, unless configured otherwise")]
    public void Journal_file_is_derived_from_the_database_file()
    {
        var db = new SqlDatabase(new StorageOptions { Provider = "sqlite", ConnectionString = "Data Source=data/msgmate.db" });
        Assert.Equal(Path.Combine("data", "msgmate-journal.db"), new SqliteConnectionStringBuilder(db.JournalConnectionString).DataSource);

        var same = new SqlDatabase(new StorageOptions
        {
            Provider = "sqlite", ConnectionString = "Data Source=a.db", JournalConnectionString = "Data Source=a.db",
        });
        Assert.Equal(same.ConnectionString, same.JournalConnectionString);

        var server = new SqlDatabase(new StorageOptions { Provider = "postgresql", ConnectionString = "Host=h;Database=d" });
        Assert.Equal(server.ConnectionString, server.JournalConnectionString);
    }

    [Fact(DisplayName = "PostgreSQL: GSS session encryption is off unless the connection string asks for it, for the records and the journal alike")]
    public void Postgres_gss_encryption_off_by_default()
    {
        var plain = new SqlDatabase(new StorageOptions { Provider = "postgresql", ConnectionString = "Host=h;Database=d" });
        Assert.Equal(Npgsql.GssEncryptionMode.Disable, new Npgsql.NpgsqlConnectionStringBuilder(plain.ConnectionString).GssEncryptionMode);
        Assert.Equal(plain.ConnectionString, plain.JournalConnectionString);
        Assert.Equal("d", new Npgsql.NpgsqlConnectionStringBuilder(plain.ConnectionString).Database);

        var asked = new SqlDatabase(new StorageOptions { Provider = "postgresql", ConnectionString = "Host=h;Database=d;Gss Encryption Mode=Require" });
        Assert.Equal(Npgsql.GssEncryptionMode.Require, new Npgsql.NpgsqlConnectionStringBuilder(asked.ConnectionString).GssEncryptionMode);

        var sqlite = new SqlDatabase(new StorageOptions { Provider = "sqlite", ConnectionString = "Data Source=a.db" });
        Assert.Equal("Data Source=a.db", sqlite.ConnectionString);
    }

    [Fact(DisplayName = "The journal's breaker tolerates a burst of slow writes: a write waits up to 60 s, and only 1,000 failures in a row open it, for 5 s")]
    public async Task Journal_breaker_tolerates_slow_bursts()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        await using var node = await NodeHost.StartAsync(provider, connection);
        var config = node.Services.GetRequiredService<Akka.Actor.ActorSystem>().Settings.Config;
        Assert.Equal(
            (1000, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), 1),
            (config.GetInt("akka.persistence.journal.sql.circuit-breaker.max-failures"),
                config.GetTimeSpan("akka.persistence.journal.sql.circuit-breaker.call-timeout"),
                config.GetTimeSpan("akka.persistence.journal.sql.circuit-breaker.reset-timeout"),
                config.GetInt("akka.persistence.journal.sql.parallelism")));
    }

    [Fact(DisplayName = "SQLite: a database whose events are in its own file (an earlier layout) has them moved at start; entities and projections carry on")]
    public async Task Old_single_file_journal_moves()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        var singleFile = new Dictionary<string, string?> { ["MsgMate:Storage:JournalConnectionString"] = connection };
        await using (var old = await NodeHost.StartAsync(provider, connection, singleFile))
        {
            (await old.PostAsync("/user/create", new { user_id = "mover", name = "Before", tags = new[] { "t1" } })).ShouldSucceed();
            (await old.PostAsync("/user/update", new { user_id = "mover", name = "Renamed" })).ShouldSucceed();
        }
        var db = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connection });
        long events;
        await using (var main = await db.OpenAsync())
        {
            events = await main.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal WHERE persistence_id LIKE '%mover'");
        }
        Assert.True(events >= 2, $"the old layout stored the events in the main file ({events})");

        await using (var moved = await NodeHost.StartAsync(provider, connection))
        {
            // The entity replays its moved events: the update finds the user, and its sequence continues.
            (await moved.PostAsync("/user/update", new { user_id = "mover", tags = new[] { "t2" } })).ShouldSucceed();
            var user = (await moved.GetAsync("/user/list?user_id=mover")).ShouldSucceed()["users"][0];
            Assert.Equal("Renamed", user.GetProperty("name").GetString());
            (await moved.PostAsync("/user/create", new { user_id = "mover", name = "Again" })).ShouldFail(9001, 409);
        }

        await using (var main = await db.OpenAsync())
        {
            Assert.Equal(0L, await main.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('journal', 'tags', 'snapshot')"));
        }
        await using var journal = await db.OpenJournalAsync();
        Assert.Equal(events + 1, await journal.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal WHERE persistence_id LIKE '%mover'"));

        // A later start finds nothing left to move and changes nothing.
        await db.EnsureSchemaAsync();
        Assert.Equal(events + 1, await journal.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal WHERE persistence_id LIKE '%mover'"));
    }
}
