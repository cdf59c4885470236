using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>The /user routes against a real node, once per database kind (concrete classes at the end).</summary>
public abstract class UserApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : NodeFixture
{
    private NodeHost Node => fixture.Node;

    private static string NewId(string prefix = "u") => $"{prefix}_{Guid.NewGuid():N}"[..20];

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact(DisplayName = "Create answers user_id; get answers every field in the Go project's snake_case")]
    public async Task Create_then_get()
    {
        var id = NewId();
        var created = await Node.PostAsync("/user/create", new
        {
            user_id = id, name = "张三", nickname = "小张", mobile = "13800138000", email = "zhang@example.com",
            lark_id = "ou_1", dingtalk_id = "dd_1", wechat_id = "wx_1", tags = new[] { "朋友", "同事", "朋友" },
        });
        created.ShouldSucceed();
        Assert.Equal("ok", created.Msg);
        Assert.Equal(id, created["user_id"].GetString());

        var user = (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"];
        Assert.Equal(id, user.GetProperty("user_id").GetString());
        Assert.Equal("张三", user.GetProperty("name").GetString());
        Assert.Equal("小张", user.GetProperty("nickname").GetString());
        Assert.Equal("13800138000", user.GetProperty("mobile").GetString());
        Assert.Equal("zhang@example.com", user.GetProperty("email").GetString());
        Assert.Equal("ou_1", user.GetProperty("lark_id").GetString());
        Assert.Equal("dd_1", user.GetProperty("dingtalk_id").GetString());
        Assert.Equal("wx_1", user.GetProperty("wechat_id").GetString());
        Assert.Equal(["朋友", "同事"], Strings(user.GetProperty("tags")));
        Assert.Equal(1, user.GetProperty("status").GetInt32());
        var created8 = DateTimeOffset.Parse(user.GetProperty("create_time").GetString()!);
        Assert.Equal(TimeSpan.FromHours(8), created8.Offset);
        Assert.True(DateTimeOffset.UtcNow - created8 < TimeSpan.FromMinutes(1));
    }

    [Fact(DisplayName = "A create is visible at once in list, search, find_by_tags and tag statistics (read your writes)")]
    public async Task Read_your_writes()
    {
        var tag = NewId("t");
        var id = NewId();
        (await Node.PostAsync("/user/create", new { user_id = id, name = "Reader", tags = new[] { tag } })).ShouldSucceed();

        var list = (await Node.GetAsync("/user/list?page=1&page_size=1")).ShouldSucceed();
        Assert.Equal(id, list["users"][0].GetProperty("user_id").GetString());
        Assert.Equal(1, list["page"].GetInt32());

        var byTag = (await Node.GetAsync($"/user/list?tag={tag}")).ShouldSucceed();
        Assert.Equal(1, byTag["total"].GetInt64());

        var found = (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { tag }, match_type = "all" })).ShouldSucceed();
        Assert.Equal(1, found["count"].GetInt64());
        Assert.Equal(id, found["users"][0].GetProperty("user_id").GetString());

        var stats = (await Node.GetAsync("/user/tag_statistics")).ShouldSucceed();
        var entry = stats["data"].EnumerateArray().Single(e => e.GetProperty("tag").GetString() == tag);
        Assert.Equal(1, entry.GetProperty("count").GetInt64());
    }

    [Fact(DisplayName = "List is newest first, pages from 1, and filters by keyword and status")]
    public async Task List_paging_and_filters()
    {
        var marker = NewId("k");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = NewId();
            ids.Add(id);
            (await Node.PostAsync("/user/create", new { user_id = id, name = $"{marker} {i}" })).ShouldSucceed();
        }
        (await Node.PostAsync("/user/delete", new { user_id = ids[0] })).ShouldSucceed();

        var page1 = (await Node.GetAsync($"/user/list?keyword={marker}&page=1&page_size=2")).ShouldSucceed();
        Assert.Equal(3, page1["total"].GetInt64());
        Assert.Equal([ids[2], ids[1]], page1["users"].EnumerateArray().Select(u => u.GetProperty("user_id").GetString()!));
        var page2 = (await Node.GetAsync($"/user/list?keyword={marker}&page=2&page_size=2")).ShouldSucceed();
        Assert.Equal([ids[0]], page2["users"].EnumerateArray().Select(u => u.GetProperty("user_id").GetString()!));

        var disabled = (await Node.GetAsync($"/user/list?keyword={marker}&status=0")).ShouldSucceed();
        Assert.Equal(1, disabled["total"].GetInt64());
        Assert.Equal(0, disabled["users"][0].GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "Update keeps empty fields, clear_fields empties them, tags replaces the set")]
    public async Task Update_semantics()
    {
        var id = NewId();
        (await Node.PostAsync("/user/create", new { user_id = id, name = "Ann", email = "ann@example.com", mobile = "13800000000", tags = new[] { "a", "b" } })).ShouldSucceed();

        (await Node.PostAsync("/user/update", new { user_id = id, name = "", nickname = "Annie", email = "", tags = new[] { "c" } })).ShouldSucceed();
        var user = (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"];
        Assert.Equal("Ann", user.GetProperty("name").GetString());
        Assert.Equal("Annie", user.GetProperty("nickname").GetString());
        Assert.Equal("ann@example.com", user.GetProperty("email").GetString());
        Assert.Equal(["c"], Strings(user.GetProperty("tags")));

        (await Node.PostAsync("/user/update", new { user_id = id, clear_fields = new[] { "email", "mobile" }, tags = Array.Empty<string>() })).ShouldSucceed();
        user = (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"];
        Assert.Equal("", user.GetProperty("email").GetString());
        Assert.Equal("", user.GetProperty("mobile").GetString());
        Assert.Empty(Strings(user.GetProperty("tags")));

        var listed = (await Node.GetAsync($"/user/list?user_id={id}")).ShouldSucceed()["users"][0];
        Assert.Equal("", listed.GetProperty("email").GetString());
        Assert.Equal("Annie", listed.GetProperty("nickname").GetString());
    }

    [Fact(DisplayName = "Delete disables (status 0) and drops the user from tag audiences; enable and status 1 bring it back")]
    public async Task Delete_and_reenable()
    {
        var tag = NewId("t");
        var id = NewId();
        (await Node.PostAsync("/user/create", new { user_id = id, name = "Dee", tags = new[] { tag } })).ShouldSucceed();

        (await Node.PostAsync("/user/delete", new { user_id = id })).ShouldSucceed();
        Assert.Equal(0, (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"].GetProperty("status").GetInt32());
        Assert.Equal(0, (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { tag } })).ShouldSucceed()["count"].GetInt64());
        Assert.DoesNotContain((await Node.GetAsync("/user/tag_statistics")).ShouldSucceed()["data"].EnumerateArray(),
            e => e.GetProperty("tag").GetString() == tag);

        (await Node.PostAsync("/user/enable", new { user_id = id })).ShouldSucceed();
        Assert.Equal(1, (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { tag } })).ShouldSucceed()["count"].GetInt64());

        (await Node.PostAsync("/user/update", new { user_id = id, status = 0 })).ShouldSucceed();
        (await Node.PostAsync("/user/update", new { user_id = id, status = 1 })).ShouldSucceed();
        Assert.Equal(1, (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"].GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "find_by_tags matches all or any of the tags")]
    public async Task Find_by_tags_all_and_any()
    {
        var (x, y) = (NewId("x"), NewId("y"));
        var both = NewId();
        var onlyX = NewId();
        (await Node.PostAsync("/user/create", new { user_id = both, name = "Both", tags = new[] { x, y } })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = onlyX, name = "OnlyX", tags = new[] { x } })).ShouldSucceed();

        var all = (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { x, y }, match_type = "all" })).ShouldSucceed();
        Assert.Equal([both], all["users"].EnumerateArray().Select(u => u.GetProperty("user_id").GetString()!));

        var any = (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { x, y } })).ShouldSucceed();
        Assert.Equal(2, any["count"].GetInt64());
        Assert.Equal(2, any["total"].GetInt64());
    }

    [Fact(DisplayName = "A duplicate user_id answers 9001/409; of two concurrent creates exactly one succeeds")]
    public async Task Duplicates_and_concurrency()
    {
        var id = NewId();
        (await Node.PostAsync("/user/create", new { user_id = id, name = "First" })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = id, name = "Second" })).ShouldFail(9001, 409);
        Assert.Equal("First", (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"].GetProperty("name").GetString());

        for (var round = 0; round < 5; round++)
        {
            var racing = NewId();
            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                Node.PostAsync("/user/create", new { user_id = racing, name = $"racer {i}" })));
            Assert.Equal(1, answers.Count(a => a.Status == 200 && a.Code == 0));
            Assert.Equal(7, answers.Count(a => a.Status == 409 && a.Code == 9001));
            Assert.Equal(1, (await Node.GetAsync($"/user/list?user_id={racing}")).ShouldSucceed()["total"].GetInt64());
        }
    }

    [Fact(DisplayName = "Unknown user ids answer 9002/404 on get, update, delete and enable")]
    public async Task Unknown_ids()
    {
        var id = NewId();
        (await Node.GetAsync($"/user/get?user_id={id}")).ShouldFail(9002, 404);
        (await Node.PostAsync("/user/update", new { user_id = id, name = "x" })).ShouldFail(9002, 404);
        (await Node.PostAsync("/user/delete", new { user_id = id })).ShouldFail(9002, 404);
        (await Node.PostAsync("/user/enable", new { user_id = id })).ShouldFail(9002, 404);
        Assert.Equal(0, (await Node.GetAsync($"/user/list?user_id={id}")).ShouldSucceed()["total"].GetInt64());
    }
}

public sealed class UserApiOnSqlite(SqliteNode node) : UserApiTests<SqliteNode>(node);

public sealed class UserApiOnPostgres(PostgresNode node) : UserApiTests<PostgresNode>(node);

public sealed class UserApiOnMariaDb(MariaDbNode node) : UserApiTests<MariaDbNode>(node);
