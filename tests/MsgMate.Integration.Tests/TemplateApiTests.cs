using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>The template routes under /msg against a real node, once per database kind (concrete classes at the end).</summary>
public abstract class TemplateApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : NodeFixture
{
    private NodeHost Node => fixture.Node;

    /// <summary>Tests of a class share one node and database: every test works under a source id of its own.</summary>
    private static string NewSource() => $"src_{Guid.NewGuid():N}"[..24];

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private async Task<string> CreateAsync(object body)
    {
        var created = (await Node.PostAsync("/msg/create_template", body)).ShouldSucceed();
        var id = created["templateID"].GetString()!;
        Assert.Equal(36, id.Length);
        Assert.True(Guid.TryParseExact(id, "D", out _), $"templateID '{id}' is not a UUID");
        return id;
    }

    private async Task<JsonElement> GetAsync(string templateId) =>
        (await Node.GetAsync($"/msg/get_template?templateID={templateId}")).ShouldSucceed().Body;

    private async Task<Answer> ListAsync(string query) => (await Node.GetAsync($"/msg/list_templates?{query}")).ShouldSucceed();

    private static string[] Ids(Answer list) =>
        list["templates"].EnumerateArray().Select(t => t.GetProperty("TemplateID").GetString()!).ToArray();

    [Fact(DisplayName = "Create answers a 36-character UUID templateID; get answers every field in lowercase camel, status 2 and the placeholders")]
    public async Task Create_then_get()
    {
        var source = NewSource();
        var created = (await Node.PostAsync("/msg/create_template", new
        {
            sourceID = source, name = "欢迎", channel = 2, subject = "Welcome {{name}}",
            content = "Hello {{name}}, your code is {{ code }}. Bye {{name}}!", signName = "MsgMate", relTemplateID = "SMS_123",
        })).ShouldSucceed();
        Assert.Equal("ok", created.Msg);
        var id = created["templateID"].GetString()!;
        Assert.Equal(36, id.Length);
        Assert.True(Guid.TryParseExact(id, "D", out _), $"templateID '{id}' is not a UUID");

        var got = await GetAsync(id);
        Assert.Equal(0, got.GetProperty("code").GetInt32());
        Assert.Equal(id, got.GetProperty("templateID").GetString());
        Assert.Equal("欢迎", got.GetProperty("name").GetString());
        Assert.Equal("Welcome {{name}}", got.GetProperty("subject").GetString());
        Assert.Equal(2, got.GetProperty("channel").GetInt32());
        Assert.Equal("Hello {{name}}, your code is {{ code }}. Bye {{name}}!", got.GetProperty("content").GetString());
        Assert.Equal(source, got.GetProperty("sourceID").GetString());
        Assert.Equal("MsgMate", got.GetProperty("signName").GetString());
        Assert.Equal("SMS_123", got.GetProperty("relTemplateID").GetString());
        Assert.Equal(2, got.GetProperty("status").GetInt32());
        Assert.Equal(["name", "code"], Strings(got.GetProperty("placeholders")));
        // Top level, lowercase camel: not nested under data, not the list's PascalCase.
        Assert.False(got.TryGetProperty("data", out _));
        Assert.False(got.TryGetProperty("Name", out _));
        Assert.False(got.TryGetProperty("TemplateID", out _));
        var createTime = DateTimeOffset.Parse(got.GetProperty("createTime").GetString()!);
        Assert.True(DateTimeOffset.UtcNow - createTime < TimeSpan.FromMinutes(1));
    }

    [Fact(DisplayName = "Optional fields default to empty strings (never null); content without placeholders has an empty list")]
    public async Task Create_minimal()
    {
        var source = NewSource();
        var id = await CreateAsync(new { sourceID = source, name = "plain", channel = 1, content = "No placeholders here" });

        var got = await GetAsync(id);
        Assert.Equal("", got.GetProperty("subject").GetString());
        Assert.Equal("", got.GetProperty("signName").GetString());
        Assert.Equal("", got.GetProperty("relTemplateID").GetString());
        Assert.Equal(1, got.GetProperty("channel").GetInt32());
        Assert.Equal(2, got.GetProperty("status").GetInt32());
        Assert.Empty(Strings(got.GetProperty("placeholders")));

        var item = (await ListAsync($"source_id={source}"))["templates"][0];
        Assert.Equal(JsonValueKind.String, item.GetProperty("Subject").ValueKind);
        Assert.Equal("", item.GetProperty("Subject").GetString());
        Assert.Equal("", item.GetProperty("SignName").GetString());
        Assert.Equal("", item.GetProperty("RelTemplateID").GetString());
        Assert.Equal("No placeholders here", item.GetProperty("Content").GetString());
    }

    [Fact(DisplayName = "List items are PascalCase as Go's table struct, with total and page; a new template is listed at once")]
    public async Task List_items_are_pascal_case()
    {
        var source = NewSource();
        var id = await CreateAsync(new
        {
            sourceID = source, name = "Pascal", channel = 3, subject = "Subj", content = "Body {{x}}", signName = "Sign", relTemplateID = "rel-1",
        });

        var list = await ListAsync($"source_id={source}&page=1&page_size=10");
        Assert.Equal(0, list.Code);
        Assert.Equal(1, list["total"].GetInt64());
        Assert.Equal(1, list["page"].GetInt32());
        var item = Assert.Single(list["templates"].EnumerateArray());
        Assert.Equal(id, item.GetProperty("TemplateID").GetString());
        Assert.Equal("Pascal", item.GetProperty("Name").GetString());
        Assert.Equal("Subj", item.GetProperty("Subject").GetString());
        Assert.Equal(JsonValueKind.Number, item.GetProperty("Channel").ValueKind);
        Assert.Equal(3, item.GetProperty("Channel").GetInt32());
        Assert.Equal(source, item.GetProperty("SourceID").GetString());
        Assert.Equal("Sign", item.GetProperty("SignName").GetString());
        Assert.Equal("Body {{x}}", item.GetProperty("Content").GetString());
        Assert.Equal("rel-1", item.GetProperty("RelTemplateID").GetString());
        Assert.Equal(2, item.GetProperty("Status").GetInt32());
        var createTime = DateTimeOffset.Parse(item.GetProperty("CreateTime").GetString()!);
        Assert.True(DateTimeOffset.UtcNow - createTime < TimeSpan.FromMinutes(1));
        Assert.False(item.TryGetProperty("templateID", out _));
        Assert.False(item.TryGetProperty("name", out _));
    }

    [Fact(DisplayName = "List is newest first, pages from 1, and filters by source_id and channel")]
    public async Task List_order_paging_and_filters()
    {
        var source = NewSource();
        var other = NewSource();
        var ids = new List<string>();
        foreach (var channel in new[] { 1, 2, 1 })
        {
            ids.Add(await CreateAsync(new { sourceID = source, name = $"t{ids.Count}", channel, content = $"c{ids.Count}" }));
            await Task.Delay(20); // distinct creation milliseconds, so that "newest first" is well defined
        }
        var foreign = await CreateAsync(new { sourceID = other, name = "foreign", channel = 1, content = "c" });

        var all = await ListAsync($"source_id={source}");
        Assert.Equal(3, all["total"].GetInt64());
        Assert.Equal([ids[2], ids[1], ids[0]], Ids(all));
        Assert.DoesNotContain(foreign, Ids(all));

        var page1 = await ListAsync($"source_id={source}&page=1&page_size=2");
        Assert.Equal(3, page1["total"].GetInt64());
        Assert.Equal(1, page1["page"].GetInt32());
        Assert.Equal([ids[2], ids[1]], Ids(page1));
        var page2 = await ListAsync($"source_id={source}&page=2&page_size=2");
        Assert.Equal(2, page2["page"].GetInt32());
        Assert.Equal([ids[0]], Ids(page2));
        var page3 = await ListAsync($"source_id={source}&page=3&page_size=2");
        Assert.Equal(3, page3["total"].GetInt64());
        Assert.Empty(Ids(page3));

        var email = await ListAsync($"source_id={source}&channel=1");
        Assert.Equal(2, email["total"].GetInt64());
        Assert.Equal([ids[2], ids[0]], Ids(email));
        Assert.All(email["templates"].EnumerateArray(), t => Assert.Equal(1, t.GetProperty("Channel").GetInt32()));

        var sms = await ListAsync($"source_id={source}&channel=2");
        Assert.Equal([ids[1]], Ids(sms));
        Assert.Equal(0, (await ListAsync($"source_id={source}&channel=5"))["total"].GetInt64());

        // Without a source filter the newest template of the whole node comes first.
        var newest = await ListAsync("page=1&page_size=1");
        Assert.Equal([foreign], Ids(newest));
        Assert.True(newest["total"].GetInt64() >= 4);
    }

    [Fact(DisplayName = "Update replaces the given fields, keeps absent and empty ones, and re-derives the placeholders")]
    public async Task Update_semantics()
    {
        var source = NewSource();
        var id = await CreateAsync(new
        {
            sourceID = source, name = "Before", channel = 1, subject = "Old subject", content = "Old {{a}} {{b}}", signName = "OldSign", relTemplateID = "rel-old",
        });
        var before = await GetAsync(id);

        await Task.Delay(20);
        (await Node.PostAsync("/msg/update_template", new
        {
            templateID = id, name = "After", subject = "", content = "New {{c}} and {{ a }}", relTemplateID = "rel-new",
        })).ShouldSucceed();

        var got = await GetAsync(id);
        Assert.Equal("After", got.GetProperty("name").GetString());
        Assert.Equal("Old subject", got.GetProperty("subject").GetString());
        Assert.Equal("New {{c}} and {{ a }}", got.GetProperty("content").GetString());
        Assert.Equal("OldSign", got.GetProperty("signName").GetString());
        Assert.Equal("rel-new", got.GetProperty("relTemplateID").GetString());
        Assert.Equal(1, got.GetProperty("channel").GetInt32());
        Assert.Equal(source, got.GetProperty("sourceID").GetString());
        Assert.Equal(2, got.GetProperty("status").GetInt32());
        Assert.Equal(["c", "a"], Strings(got.GetProperty("placeholders")));
        Assert.Equal(before.GetProperty("createTime").GetString(), got.GetProperty("createTime").GetString());
        Assert.True(DateTimeOffset.Parse(got.GetProperty("modifyTime").GetString()!) > DateTimeOffset.Parse(before.GetProperty("modifyTime").GetString()!));

        var item = Assert.Single((await ListAsync($"source_id={source}"))["templates"].EnumerateArray());
        Assert.Equal("After", item.GetProperty("Name").GetString());
        Assert.Equal("Old subject", item.GetProperty("Subject").GetString());
        Assert.Equal("New {{c}} and {{ a }}", item.GetProperty("Content").GetString());
        Assert.Equal("rel-new", item.GetProperty("RelTemplateID").GetString());

        // Only the id: nothing changes.
        (await Node.PostAsync("/msg/update_template", new { templateID = id })).ShouldSucceed();
        Assert.Equal(got.GetRawText(), (await GetAsync(id)).GetRawText());

        // Channel and sourceID can be changed too; the list filters follow.
        var moved = NewSource();
        (await Node.PostAsync("/msg/update_template", new { templateID = id, channel = 4, sourceID = moved, signName = "NewSign" })).ShouldSucceed();
        got = await GetAsync(id);
        Assert.Equal(4, got.GetProperty("channel").GetInt32());
        Assert.Equal(moved, got.GetProperty("sourceID").GetString());
        Assert.Equal("NewSign", got.GetProperty("signName").GetString());
        Assert.Equal("After", got.GetProperty("name").GetString());
        Assert.Equal(0, (await ListAsync($"source_id={source}"))["total"].GetInt64());
        var movedList = await ListAsync($"source_id={moved}&channel=4");
        Assert.Equal([id], Ids(movedList));
        Assert.Equal("NewSign", movedList["templates"][0].GetProperty("SignName").GetString());
    }

    [Fact(DisplayName = "Delete makes get answer 8048/404 and removes the template from the list; a second delete or an update answers 8048/404")]
    public async Task Delete()
    {
        var source = NewSource();
        var keep = await CreateAsync(new { sourceID = source, name = "keep", channel = 1, content = "k" });
        var gone = await CreateAsync(new { sourceID = source, name = "gone", channel = 1, content = "g" });
        Assert.Equal(2, (await ListAsync($"source_id={source}"))["total"].GetInt64());

        (await Node.PostAsync("/msg/del_template", new { templateID = gone })).ShouldSucceed();

        (await Node.GetAsync($"/msg/get_template?templateID={gone}")).ShouldFail(8048, 404);
        var list = await ListAsync($"source_id={source}");
        Assert.Equal(1, list["total"].GetInt64());
        Assert.Equal([keep], Ids(list));
        Assert.Equal(0, (await ListAsync($"source_id={source}&channel=1&page_size=100"))["templates"].EnumerateArray()
            .Count(t => t.GetProperty("TemplateID").GetString() == gone));

        (await Node.PostAsync("/msg/del_template", new { templateID = gone })).ShouldFail(8048, 404);
        (await Node.PostAsync("/msg/update_template", new { templateID = gone, name = "revived" })).ShouldFail(8048, 404);
        (await Node.GetAsync($"/msg/get_template?templateID={gone}")).ShouldFail(8048, 404);
        Assert.Equal([keep], Ids(await ListAsync($"source_id={source}")));
        Assert.Equal("keep", (await GetAsync(keep)).GetProperty("name").GetString());
    }

    [Theory(DisplayName = "An unknown templateID answers 8048/404 on get, update and delete, and creates nothing")]
    [InlineData("uuid")]
    [InlineData("other")]
    public async Task Unknown_ids(string kind)
    {
        var id = kind == "uuid" ? Guid.NewGuid().ToString() : $"no-such-template-{Guid.NewGuid():N}";
        var totalBefore = (await ListAsync("page_size=1"))["total"].GetInt64();

        (await Node.GetAsync($"/msg/get_template?templateID={id}")).ShouldFail(8048, 404);
        (await Node.PostAsync("/msg/update_template", new { templateID = id, name = "x", channel = 1, content = "c", sourceID = NewSource() })).ShouldFail(8048, 404);
        (await Node.PostAsync("/msg/del_template", new { templateID = id })).ShouldFail(8048, 404);
        (await Node.GetAsync($"/msg/get_template?templateID={id}")).ShouldFail(8048, 404);

        Assert.Equal(totalBefore, (await ListAsync("page_size=1"))["total"].GetInt64());
    }
}

public sealed class TemplateApiOnSqlite(SqliteNode node) : TemplateApiTests<SqliteNode>(node);

public sealed class TemplateApiOnPostgres(PostgresNode node) : TemplateApiTests<PostgresNode>(node);

public sealed class TemplateApiOnMariaDb(MariaDbNode node) : TemplateApiTests<MariaDbNode>(node);
