using System.Data.Common;
using Dapper;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>A database made by an earlier version gains the columns added since, on every supported server.</summary>
public abstract class SchemaUpgradeTests(Db db)
{
    [Fact(DisplayName = "An attempts table without retry_at (an earlier version's) gets the column at start; a second start changes nothing")]
    public async Task Added_columns_reach_old_tables()
    {
        var (provider, connectionString) = await TestDatabases.CreateAsync(db);
        var database = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connectionString });
        await using (var c = await database.OpenAsync())
        {
            // The table as the first release made it.
            await c.ExecuteAsync("""
                CREATE TABLE mm_msg_attempts (
                    msg_id VARCHAR(36) NOT NULL, attempt INTEGER NOT NULL, at BIGINT NOT NULL, channel INTEGER NOT NULL,
                    provider VARCHAR(64) NOT NULL, outcome INTEGER NOT NULL, error VARCHAR(1024) NOT NULL DEFAULT '',
                    duration_ms INTEGER NOT NULL, node VARCHAR(128) NOT NULL DEFAULT '', PRIMARY KEY (msg_id, attempt))
                """);
            await c.ExecuteAsync("INSERT INTO mm_msg_attempts (msg_id, attempt, at, channel, provider, outcome, duration_ms) VALUES ('m1', 1, 5, 1, 'p', 2, 3)");
        }

        await database.EnsureSchemaAsync();
        await database.EnsureSchemaAsync();

        await using var check = await database.OpenAsync();
        Assert.Equal(0L, await check.ExecuteScalarAsync<long>("SELECT retry_at FROM mm_msg_attempts WHERE msg_id = 'm1'"));
        await Assert.ThrowsAnyAsync<DbException>(() => check.ExecuteScalarAsync<long>("SELECT no_such_column FROM mm_msg_attempts"));
    }

    [Fact(DisplayName = "Eight nodes starting at once on an empty database all find the schema made (without the schema lock, PostgreSQL refused the losers)")]
    public async Task Concurrent_starts_make_the_schema_once()
    {
        var (provider, connectionString) = await TestDatabases.CreateAsync(db);
        var nodes = Enumerable.Range(0, 8)
            .Select(_ => new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connectionString }))
            .ToList();

        await Task.WhenAll(nodes.Select(x => x.EnsureSchemaAsync()));

        await using var check = await nodes[0].OpenAsync();
        Assert.Equal(0L, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM mm_msg_records"));
        Assert.Equal(0L, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM mm_msg_attempts WHERE retry_at > 0"));
    }
}

public sealed class SchemaUpgradeOnSqlite() : SchemaUpgradeTests(Db.Sqlite);

public sealed class SchemaUpgradeOnPostgreSql() : SchemaUpgradeTests(Db.PostgreSql);

public sealed class SchemaUpgradeOnMariaDb() : SchemaUpgradeTests(Db.MariaDb);
