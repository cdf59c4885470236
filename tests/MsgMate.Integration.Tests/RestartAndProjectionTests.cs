using Dapper;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Durability across node restarts, and the read-model projection: it rebuilds a wiped read model from the
/// journal and resumes from its stored offset without duplicating anything. Each test runs its own nodes.
/// </summary>
public abstract class RestartAndProjectionTests(Db kind)
{
    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    [Fact(DisplayName = "Users and templates written before a restart are all there after it (entities and read model)")]
    public async Task Survives_restart()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        var tag = NewId("t");
        var users = Enumerable.Range(0, 5).Select(_ => NewId("u")).ToList();
        string templateId;
        await using (var first = await NodeHost.StartAsync(provider, connection))
        {
            foreach (var id in users)
            {
                (await first.PostAsync("/user/create", new { user_id = id, name = "Before", email = $"{id}@example.com", tags = new[] { tag } })).ShouldSucceed();
            }
            (await first.PostAsync("/user/update", new { user_id = users[0], nickname = "changed" })).ShouldSucceed();
            (await first.PostAsync("/user/delete", new { user_id = users[1] })).ShouldSucceed();
            templateId = (await first.PostAsync("/msg/create_template", new { sourceID = "restart", name = "t", channel = 1, content = "Hi {{name}}" }))
                .ShouldSucceed()["templateID"].GetString()!;
        }

        await using var second = await NodeHost.StartAsync(provider, connection);
        var user0 = (await second.GetAsync($"/user/get?user_id={users[0]}")).ShouldSucceed()["user"];
        Assert.Equal("changed", user0.GetProperty("nickname").GetString());
        Assert.Equal(0, (await second.GetAsync($"/user/get?user_id={users[1]}")).ShouldSucceed()["user"].GetProperty("status").GetInt32());
        Assert.Equal(5, (await second.GetAsync($"/user/list?tag={tag}&page_size=100")).ShouldSucceed()["total"].GetInt64());
        Assert.Equal(4, (await second.PostAsync("/user/find_by_tags", new { tags = new[] { tag } })).ShouldSucceed()["count"].GetInt64());
        var template = (await second.GetAsync($"/msg/get_template?templateID={templateId}")).ShouldSucceed();
        Assert.Equal(["name"], template["placeholders"].EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(1, (await second.GetAsync("/msg/list_templates?source_id=restart")).ShouldSucceed()["total"].GetInt64());

        // The entity keeps deciding from its recovered state.
        (await second.PostAsync("/user/create", new { user_id = users[2], name = "Again" })).ShouldFail(9001, 409);
    }

    [Fact(DisplayName = "A schedule created before a restart and due after it fires once on the new node")]
    public async Task Schedule_survives_restart()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        // Created, and the first node stopped, before it is due; a round too slow for that (a loaded machine) is
        // run again on a new first node with a longer lead (its schedule fires later on, under another id).
        NodeHost? started = await NodeHost.StartAsync(provider, connection);
        var (_, id) = await BeforeDue.RunAsync(TimeSpan.FromSeconds(20), async due =>
        {
            await using var first = started ?? await NodeHost.StartAsync(provider, connection);
            started = null;
            return (await first.PostAsync("/scheduled/create", new
            {
                to = "restart@example.com", channels = new[] { 1 }, content = "x",
                scheduled_time = TimeZoneInfo.ConvertTime(due, zone).ToString("yyyy-MM-dd HH:mm:ss"),
            })).ShouldSucceed()["schedule_id"].GetString()!;
        });

        await using var second = await NodeHost.StartAsync(provider, connection);
        await Eventually.AssertAsync(
            async () => (await second.GetAsync($"/scheduled/get?schedule_id={id}")).ShouldSucceed()["message"].GetProperty("status").GetInt32() == 2,
            TimeSpan.FromSeconds(30), "the schedule fired on the restarted node");
        Assert.Equal(1, (await second.GetAsync($"/msg/list_msg_records?schedule_id={id}")).ShouldSucceed()["total"].GetInt64());
    }

    [Fact(DisplayName = "A wiped read model is rebuilt from the journal by the projection, exactly")]
    public async Task Projection_rebuilds_wiped_read_model()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        var db = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connection });
        var tag = NewId("t");
        await using (var first = await NodeHost.StartAsync(provider, connection))
        {
            for (var i = 0; i < 20; i++)
            {
                (await first.PostAsync("/user/create", new { user_id = $"{tag}_{i}", name = $"User {i}", tags = new[] { tag, "common" } })).ShouldSucceed();
            }
            (await first.PostAsync("/user/update", new { user_id = $"{tag}_0", tags = new[] { tag } })).ShouldSucceed();
            (await first.PostAsync("/user/delete", new { user_id = $"{tag}_1" })).ShouldSucceed();
        }
        await using (var c = await db.OpenAsync())
        {
            await c.ExecuteAsync("DELETE FROM mm_user_tags");
            await c.ExecuteAsync("DELETE FROM mm_users");
            await c.ExecuteAsync("DELETE FROM mm_projection_offsets");
        }

        await using var second = await NodeHost.StartAsync(provider, connection);
        await Eventually.AssertAsync(
            async () => (await second.GetAsync($"/user/list?tag={tag}")).ShouldSucceed()["total"].GetInt64() == 20,
            TimeSpan.FromSeconds(30), "the projection rebuilt all 20 users");
        await WaitForProjectionAsync(db);

        var stats = (await second.GetAsync("/user/tag_statistics")).ShouldSucceed()["data"].EnumerateArray()
            .ToDictionary(e => e.GetProperty("tag").GetString()!, e => e.GetProperty("count").GetInt64());
        Assert.Equal(19, stats[tag]);
        Assert.Equal(18, stats["common"]);
        var user0 = (await second.GetAsync($"/user/list?user_id={tag}_0")).ShouldSucceed()["users"][0];
        Assert.Equal([tag], user0.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await using var check = await db.OpenAsync();
        Assert.Equal(39, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM mm_user_tags"));
    }

    [Fact(DisplayName = "After a restart the projection resumes from its stored offset; replayed events change nothing")]
    public async Task Projection_resumes_without_duplicates()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        var db = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connection });
        var tag = NewId("t");
        await using (var first = await NodeHost.StartAsync(provider, connection))
        {
            for (var i = 0; i < 10; i++)
            {
                (await first.PostAsync("/user/create", new { user_id = $"{tag}_{i}", name = $"User {i}", tags = new[] { tag } })).ShouldSucceed();
            }
            await WaitForProjectionAsync(db);
        }
        long before;
        await using (var c = await db.OpenAsync())
        {
            before = await c.ExecuteScalarAsync<long>("SELECT offset_value FROM mm_projection_offsets WHERE projection = 'users'");
            // As if the node had died after applying events but before saving the offset: everything replays.
            await c.ExecuteAsync("UPDATE mm_projection_offsets SET offset_value = 0 WHERE projection = 'users'");
        }

        await using var second = await NodeHost.StartAsync(provider, connection);
        (await second.PostAsync("/user/create", new { user_id = $"{tag}_new", name = "After", tags = new[] { tag } })).ShouldSucceed();
        await WaitForProjectionAsync(db);

        await using var check = await db.OpenAsync();
        var after = await check.ExecuteScalarAsync<long>("SELECT offset_value FROM mm_projection_offsets WHERE projection = 'users'");
        Assert.True(after > before, $"offset moved on ({before} → {after})");
        Assert.Equal(11, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM mm_user_tags WHERE tag = @tag", new { tag }));
        Assert.Equal(11, (await second.GetAsync($"/user/list?tag={tag}")).ShouldSucceed()["total"].GetInt64());
        var stats = (await second.GetAsync("/user/tag_statistics")).ShouldSucceed()["data"].EnumerateArray()
            .Single(e => e.GetProperty("tag").GetString() == tag);
        Assert.Equal(11, stats.GetProperty("count").GetInt64());
    }

    /// <summary>Until the stored offset covers every user event in the journal.</summary>
    private static Task WaitForProjectionAsync(SqlDatabase db) => Eventually.AssertAsync(async () =>
    {
        await using var journal = await db.OpenJournalAsync();
        var last = await journal.ExecuteScalarAsync<long?>("SELECT MAX(ordering_id) FROM tags WHERE tag = 'user'") ?? 0;
        await using var c = await db.OpenAsync();
        var saved = await c.ExecuteScalarAsync<long?>("SELECT offset_value FROM mm_projection_offsets WHERE projection = 'users'") ?? 0;
        return saved >= last;
    }, TimeSpan.FromSeconds(30), "the user projection's offset reaches the last user event");
}

public sealed class RestartAndProjectionOnSqlite() : RestartAndProjectionTests(Db.Sqlite);

public sealed class RestartAndProjectionOnPostgres() : RestartAndProjectionTests(Db.PostgreSql);

public sealed class RestartAndProjectionOnMariaDb() : RestartAndProjectionTests(Db.MariaDb);
