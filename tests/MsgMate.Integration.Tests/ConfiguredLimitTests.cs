using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>A node whose <c>MsgMate:Limits</c> are set small, so that "at the limit" and "one past" are a few items.</summary>
public sealed class LimitedNode : IAsyncLifetime
{
    public NodeHost Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(Db.Sqlite);
        Node = await NodeHost.StartAsync(provider, connection, new Dictionary<string, string?>
        {
            ["MsgMate:Limits:MaxDirectRecipients"] = "3",
            ["MsgMate:Limits:MaxUserIds"] = "3",
            ["MsgMate:Limits:MaxTags"] = "2",
            ["MsgMate:Limits:MaxRecordsPerSend"] = "4",
            ["MsgMate:Limits:MaxTemplateDataEntries"] = "3",
            ["MsgMate:Limits:MaxTemplateDataKeyLength"] = "8",
            ["MsgMate:Limits:MaxTemplateDataValueLength"] = "16",
            ["MsgMate:Limits:MaxTemplateDataBytes"] = "60",
            ["MsgMate:Limits:Rendered:Email"] = "40",
            ["MsgMate:Limits:Rendered:Sms"] = "10",
            ["MsgMate:Limits:MaxTagStatistics"] = "2",
        });
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>
/// The configurable limits (<c>MsgMate:Limits:*</c>) end to end: each accepted at its configured value and refused one
/// past it with 8020/400, nothing stored (no record, no schedule); the OpenAPI document publishes the configured values.
/// </summary>
public sealed class ConfiguredLimitTests(LimitedNode fixture) : IClassFixture<LimitedNode>
{
    private NodeHost Node => fixture.Node;

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    private static IEnumerable<string> Addresses(int n) => Enumerable.Range(0, n).Select(i => $"r{i}@example.com");

    /// <summary>Sends <paramref name="body"/> under a Source-Id of its own; the records it stored.</summary>
    private async Task<(Answer Answer, long Records)> SendAsync(object body, string? idempotencyKey = null)
    {
        var source = NewId("lim");
        var headers = new Dictionary<string, string> { ["Source-Id"] = source };
        if (idempotencyKey is not null)
        {
            headers["Idempotency-Key"] = idempotencyKey;
        }
        var answer = await Node.PostAsync("/msg/send_msg", body, headers);
        var records = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}")).ShouldSucceed()["total"].GetInt64();
        return (answer, records);
    }

    private async Task AcceptedAsync(object body, long records)
    {
        var (answer, stored) = await SendAsync(body);
        answer.ShouldSucceed();
        Assert.Equal(records, stored);
    }

    private async Task RefusedAsync(object body, string message, string? idempotencyKey = null)
    {
        var schedules = await SchedulesAsync();
        var (answer, stored) = await SendAsync(body, idempotencyKey);
        answer.ShouldFail(8020, 400);
        Assert.Contains(message, answer.Msg);
        Assert.Equal(0, stored);
        Assert.Equal(schedules, await SchedulesAsync());
    }

    private async Task<long> SchedulesAsync() => (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64();

    /// <summary><paramref name="n"/> users carrying a tag of their own, with an email.</summary>
    private async Task<(string Tag, List<string> Ids)> UsersAsync(int n)
    {
        var tag = NewId("t");
        var ids = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var id = NewId("u");
            (await Node.PostAsync("/user/create", new { user_id = id, name = "Limited", email = $"{id}@example.com", tags = new[] { tag } })).ShouldSucceed();
            ids.Add(id);
        }
        return (tag, ids);
    }

    [Fact(DisplayName = "to: 3 addresses (MaxDirectRecipients 3) are sent, 4 refused and nothing stored")]
    public async Task Direct_recipients()
    {
        await AcceptedAsync(new { to = Addresses(3), channels = new[] { 1 }, content = "x" }, 3);
        await RefusedAsync(new { to = string.Join(",", Addresses(4)), channels = new[] { 1 }, content = "x" }, "at most 3 addresses, not 4");
    }

    [Fact(DisplayName = "user_ids: 3 (MaxUserIds 3) are sent, 4 refused; tags: 2 (MaxTags 2) are sent, 3 refused")]
    public async Task User_ids_and_tags()
    {
        var (tag, ids) = await UsersAsync(4);
        await AcceptedAsync(new { user_ids = ids.Take(3), channels = new[] { 1 }, content = "x" }, 3);
        await RefusedAsync(new { user_ids = ids, channels = new[] { 1 }, content = "x" }, "at most 3 ids, not 4");
        await AcceptedAsync(new { tags = new[] { tag, "other" }, channels = new[] { 1 }, content = "x" }, 4);
        await RefusedAsync(new { tags = new[] { tag, "other", "third" }, channels = new[] { 1 }, content = "x" }, "at most 2 tags, not 3");
    }

    [Fact(DisplayName = "MaxRecordsPerSend 4: a tag audience of 4 is sent; of 5 refused, nothing stored, now, with an Idempotency-Key and in the future (no schedule left)")]
    public async Task Records_per_send()
    {
        var (tag, _) = await UsersAsync(4);
        await AcceptedAsync(new { tags = new[] { tag }, channels = new[] { 1 }, content = "x" }, 4);
        // Two channels double the records: 8 > 4.
        await RefusedAsync(new { tags = new[] { tag }, channels = new[] { 1, 6 }, content = "x" }, "more than 4 recipients");
        (await Node.PostAsync("/user/create", new { user_id = NewId("u"), name = "Fifth", email = "fifth@example.com", tags = new[] { tag } })).ShouldSucceed();
        await RefusedAsync(new { tags = new[] { tag }, channels = new[] { 1 }, content = "x" }, "more than 4 recipients");
        await RefusedAsync(new { tags = new[] { tag }, channels = new[] { 1 }, content = "x" }, "more than 4 recipients", idempotencyKey: NewId("k"));
        var soon = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        await RefusedAsync(new { tags = new[] { tag }, channels = new[] { 1 }, content = "x", sendTimestamp = soon }, "more than 4 recipients");
    }

    [Fact(DisplayName = "templateData: 3 entries, keys of 8, values of 16 and 60 bytes in all are sent; one more of each is refused")]
    public async Task Template_data()
    {
        object Send(object data) => new { to = "a@example.com", channels = new[] { 1 }, content = "x", templateData = data };
        await AcceptedAsync(Send(new { a = "1", b = "2", c = "3" }), 1);
        await RefusedAsync(Send(new { a = "1", b = "2", c = "3", d = "4" }), "at most 3 entries, not 4");
        await AcceptedAsync(Send(new Dictionary<string, string> { ["kkkkkkkk"] = "v" }), 1);
        await RefusedAsync(Send(new Dictionary<string, string> { ["kkkkkkkkk"] = "v" }), "a key must be at most 8 characters");
        await AcceptedAsync(Send(new { k = new string('v', 16) }), 1);
        await RefusedAsync(Send(new { k = new string('v', 17) }), "must be at most 16 characters, not 17");
        // {"a":"…16…","b":"…16…","c":"…"}: 2 + 2 × 23 + (7 + n) − 1 bytes = 54 + n.
        await AcceptedAsync(Send(new { a = new string('v', 16), b = new string('v', 16), c = new string('v', 6) }), 1);
        await RefusedAsync(Send(new { a = new string('v', 16), b = new string('v', 16), c = new string('v', 7) }), "at most 60 bytes in all, not 61");
    }

    [Fact(DisplayName = "Rendered size: an email of 40 bytes (subject and body) and an SMS of 10 characters are sent; one more is refused")]
    public async Task Rendered_size()
    {
        // "Sub" and "Hi {{n}}{{n}}" with n = 15 × 'n' + 'é' (16 characters, 17 bytes): 3 + 3 + 2 × 17 = 40 bytes; "!" more is 41.
        await AcceptedAsync(new { to = "a@example.com", channels = new[] { 1 }, subject = "Sub", content = "Hi {{n}}{{n}}", templateData = new { n = new string('n', 15) + "é" } }, 1);
        await RefusedAsync(new { to = "a@example.com", channels = new[] { 1 }, subject = "Sub", content = "Hi {{n}}{{n}}!", templateData = new { n = new string('n', 15) + "é" } },
            "channel 1 (Email) is 41 bytes; it takes at most 40 bytes");
        var sms = (await Node.PostAsync("/msg/create_template", new { sourceID = "limits", name = "sms", channel = 2, content = "Code {{c}}", relTemplateID = "SMS_1" }))
            .ShouldSucceed()["templateID"].GetString()!;
        await AcceptedAsync(new { to = "13800138000", templateID = sms, templateData = new { c = "12345" } }, 1);
        await RefusedAsync(new { to = "13800138000", templateID = sms, templateData = new { c = "123456" } }, "takes at most 10 characters");
    }

    [Fact(DisplayName = "scheduled/create and update apply the same limits: nothing is created or changed past them")]
    public async Task Schedules()
    {
        var schedules = await SchedulesAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var at = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(1), zone).ToString("yyyy-MM-dd HH:mm:ss");
        (await Node.PostAsync("/scheduled/create", new { to = Addresses(4), channels = new[] { 1 }, content = "x", scheduled_time = at })).ShouldFail(8020, 400);
        (await Node.PostAsync("/scheduled/create", new { to = "a@example.com", channels = new[] { 1 }, content = "x", scheduled_time = at, template_data = new { k = new string('v', 17) } }))
            .ShouldFail(8020, 400);
        Assert.Equal(schedules, await SchedulesAsync());
        var id = (await Node.PostAsync("/scheduled/create", new { to = Addresses(3), channels = new[] { 1 }, content = "x", scheduled_time = at, template_data = new { k = "v" } }))
            .ShouldSucceed()["schedule_id"].GetString()!;
        (await Node.PostAsync("/scheduled/update", new { schedule_id = id, template_data = new { a = "1", b = "2", c = "3", d = "4" } })).ShouldFail(8020, 400);
        var stored = (await Node.GetAsync($"/scheduled/get?schedule_id={id}")).ShouldSucceed()["message"];
        Assert.Equal("{\"k\":\"v\"}", stored.GetProperty("template_data").GetString());
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = id })).ShouldSucceed();
    }

    [Fact(DisplayName = "tag_statistics answers the MaxTagStatistics (2) most used tags")]
    public async Task Tag_statistics()
    {
        await UsersAsync(3);
        await UsersAsync(3);
        await UsersAsync(3);
        var data = (await Node.GetAsync("/user/tag_statistics")).ShouldSucceed()["data"];
        Assert.Equal(2, data.GetArrayLength());
    }

    [Fact(DisplayName = "The OpenAPI document publishes the configured limits (user_ids, tags, to items; templateData entries, key and value lengths)")]
    public async Task Document_publishes_the_configured_limits()
    {
        var document = (await Node.GetAsync("/openapi/v1.json")).Body;
        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty("SendMsgRequest").GetProperty("properties");
        Assert.Equal(3, schema.GetProperty("user_ids").GetProperty("maxItems").GetInt32());
        Assert.Equal(2, schema.GetProperty("tags").GetProperty("maxItems").GetInt32());
        Assert.Contains(schema.GetProperty("to").GetProperty("oneOf").EnumerateArray(),
            s => s.TryGetProperty("maxItems", out var max) && max.GetInt32() == 3);
        var data = schema.GetProperty("templateData");
        Assert.Equal(3, data.GetProperty("maxProperties").GetInt32());
        Assert.Equal(8, data.GetProperty("propertyNames").GetProperty("maxLength").GetInt32());
        Assert.Contains(data.GetProperty("additionalProperties").GetProperty("oneOf").EnumerateArray(),
            s => s.TryGetProperty("maxLength", out var max) && max.GetInt32() == 16);
        var send = document.GetProperty("paths").GetProperty("/msg/send_msg").GetProperty("post").GetProperty("description").GetString()!;
        Assert.Contains("more than 4 recipients", send);
        Assert.Contains("email 40", send);
        Assert.Contains("SMS 10 characters", send);
        Assert.Equal(JsonValueKind.Object, document.GetProperty("components").GetProperty("schemas").GetProperty("CreateScheduleRequest").ValueKind);
    }
}
