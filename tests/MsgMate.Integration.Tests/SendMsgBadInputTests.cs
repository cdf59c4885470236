using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>send_msg refuses bad input with the documented code and status, and stores no record.</summary>
public sealed class SendMsgBadInputTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private NodeHost Node => fixture.Node;

    public static TheoryData<string, string, int, int> Cases()
    {
        var data = new TheoryData<string, string, int, int>
        {
            { "no recipient", """{"channels":[1],"content":"x"}""", 8020, 400 },
            { "template and content", """{"to":"a@example.com","templateID":"TEMPLATE","content":"x","channels":[1]}""", 8020, 400 },
            { "neither template nor content", """{"to":"a@example.com"}""", 8020, 400 },
            { "content without channels", """{"to":"a@example.com","content":"x"}""", 8020, 400 },
            { "unknown channel", """{"to":"a@example.com","content":"x","channels":[9]}""", 8020, 400 },
            { "priority out of range", """{"to":"a@example.com","content":"x","channels":[1],"priority":7}""", 8020, 400 },
            { "priority wrong type", """{"to":"a@example.com","content":"x","channels":[1],"priority":"high"}""", 8020, 400 },
            { "to wrong type", """{"to":5,"content":"x","channels":[1]}""", 8020, 400 },
            { "to not an email", """{"to":"not-an-address","templateID":"TEMPLATE","templateData":{"name":"n"}}""", 8020, 400 },
            { "to not a mobile", """{"to":"abc","content":"x","channels":[2]}""", 8020, 400 },
            { "templateData nested", """{"to":"a@example.com","content":"x","channels":[1],"templateData":{"a":{"b":1}}}""", 8020, 400 },
            { "templateData not an object", """{"to":"a@example.com","content":"x","channels":[1],"templateData":[1]}""", 8020, 400 },
            { "unknown template", """{"to":"a@example.com","templateID":"no-such-template"}""", 8048, 404 },
            { "missing template variable", """{"to":"a@example.com","templateID":"TEMPLATE","templateData":{}}""", 8020, 400 },
            { "missing inline variable", """{"to":"a@example.com","content":"Hi {{who}}","channels":[1]}""", 8020, 400 },
            { "malformed inline placeholder", """{"to":"a@example.com","content":"Hi {{who","channels":[1]}""", 8020, 400 },
            { "unknown user id", """{"user_ids":["nobody-here"],"content":"x","channels":[1]}""", 9002, 404 },
            { "bad user id", """{"user_ids":["a b"],"content":"x","channels":[1]}""", 8020, 400 },
            { "empty tag", """{"tags":[""],"content":"x","channels":[1]}""", 8020, 400 },
            { "negative sendTimestamp", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":-1}""", 8020, 400 },
            { "sendTimestamp wrong type", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":"soon"}""", 8020, 400 },
            { "channels wrong type", """{"to":"a@example.com","content":"x","channels":"email"}""", 8020, 400 },
            { "malformed JSON", """{"to":"a@example.com",""", 8021, 400 },
            { "not an object", """["a@example.com"]""", 8021, 400 },
            { "a tag nobody carries", """{"tags":["tag-nobody-carries"],"content":"x","channels":[1]}""", 8020, 400 },
        };
        return data;
    }

    [Theory(DisplayName = "send_msg refuses each invalid field with its code and stores nothing")]
    [MemberData(nameof(Cases))]
    public async Task Refused(string what, string body, int code, int status)
    {
        var template = (await Node.PostAsync("/msg/create_template", new { sourceID = "bad-input", name = "t", channel = 1, content = "Hi {{name}}" }))
            .ShouldSucceed()["templateID"].GetString()!;
        var source = $"bad_{Guid.NewGuid():N}"[..20];

        var answer = await Node.PostRawAsync("/msg/send_msg", body.Replace("TEMPLATE", template), headers: new Dictionary<string, string> { ["Source-Id"] = source });

        answer.ShouldFail(code, status);
        Assert.True(answer.Msg.Length > 5, $"{what}: the message says what is wrong ({answer.Msg})");
        Assert.Equal(0, (await Node.GetAsync($"/msg/list_msg_records?source_id={source}")).ShouldSucceed()["total"].GetInt64());
    }

    [Fact(DisplayName = "The same body with a valid field is accepted (the cases above fail for their one flaw)")]
    public async Task Control()
    {
        var template = (await Node.PostAsync("/msg/create_template", new { sourceID = "bad-input", name = "t", channel = 1, content = "Hi {{name}}" }))
            .ShouldSucceed()["templateID"].GetString()!;
        (await Node.PostRawAsync("/msg/send_msg", $$$"""{"to":"a@example.com","templateID":"{{{template}}}","templateData":{"name":"n"}}""")).ShouldSucceed();
        (await Node.PostRawAsync("/msg/send_msg", """{"to":"a@example.com","content":"x","channels":[1],"priority":3,"sendTimestamp":0}""")).ShouldSucceed();
    }

    [Fact(DisplayName = "Record routes refuse bad queries and unknown ids")]
    public async Task Record_routes()
    {
        (await Node.GetAsync("/msg/get_msg_record")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/get_msg_record?msgID=nope")).ShouldFail(8050, 404);
        (await Node.GetAsync("/msg/list_msg_records?status=9")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/list_msg_records?page_size=101")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/list_msg_records?start_time=yesterday")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/statistics?granularity=week")).ShouldFail(8020, 400);
        (await Node.PostAsync("/msg/cancel", new { msgID = "nope" })).ShouldFail(8050, 404);
        (await Node.PostAsync("/msg/cancel", new { })).ShouldFail(8020, 400);
        (await Node.PostAsync("/msg/resend", new { msgID = "nope" })).ShouldFail(8050, 404);
        (await Node.PostAsync("/msg/resend", new { msgID = "a", batchID = "b" })).ShouldFail(8020, 400);
    }

    [Fact(DisplayName = "list_msg_records filters by time range in the Go format and returns TemplateData as a string")]
    public async Task List_filters()
    {
        var source = $"list_{Guid.NewGuid():N}"[..20];
        var headers = new Dictionary<string, string> { ["Source-Id"] = source };
        var sent = (await Node.PostAsync("/msg/send_msg", new { to = "list@example.com", channels = new[] { 1 }, content = "x", templateData = new { k = "v" } }, headers))
            .ShouldSucceed();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var from = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(-5), zone).ToString("yyyy-MM-dd HH:mm:ss");
        var until = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(5), zone).ToString("yyyy-MM-dd HH:mm:ss");
        var page = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}&start_time={Uri.EscapeDataString(from)}&end_time={Uri.EscapeDataString(until)}&to=list@example.com"))
            .ShouldSucceed();
        Assert.Equal(1, page["total"].GetInt64());
        var item = page["records"][0];
        Assert.Equal(sent["msgID"].GetString(), item.GetProperty("MsgId").GetString());
        Assert.Equal("{\"k\":\"v\"}", item.GetProperty("TemplateData").GetString());
        var earlier = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(-10), zone).ToString("yyyy-MM-dd HH:mm:ss");
        Assert.Equal(0, (await Node.GetAsync($"/msg/list_msg_records?source_id={source}&end_time={Uri.EscapeDataString(earlier)}")).ShouldSucceed()["total"].GetInt64());
        Assert.Equal(1, (await Node.GetAsync($"/msg/list_msg_records?batch_id={sent["batchID"].GetString()}")).ShouldSucceed()["total"].GetInt64());
    }
}
