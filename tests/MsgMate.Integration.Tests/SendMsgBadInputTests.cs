using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>send_msg refuses bad input with the documented code and status, and stores no record.</summary>
public sealed class SendMsgBadInputTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private NodeHost Node => fixture.Node;

    /// <summary>"{{p0}}{{p1}}…": <paramref name="n"/> distinct placeholders.</summary>
    private static string Holders(int n) => string.Concat(Enumerable.Range(0, n).Select(i => "{{p" + i + "}}"));

    /// <summary>"p0":"v","p1":"v",…: values for them.</summary>
    private static string Data(int n) => string.Join(",", Enumerable.Range(0, n).Select(i => "\"p" + i + "\":\"v\""));

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
            { "a future send to a tag nobody carries", """{"tags":["tag-nobody-carries"],"content":"x","channels":[1],"sendTimestamp":SOON}""", 8020, 400 },
            { "a lone surrogate in to", """{"to":"\ud800","content":"x","channels":[1]}""", 8021, 400 },
            { "a lone surrogate in templateData", """{"to":"a@example.com","content":"x","channels":[1],"templateData":{"k":"\udc00"}}""", 8021, 400 },
            { "a NUL in content", """{"to":"a@example.com","content":"a\u0000b","channels":[1]}""", 8020, 400 },
            { "a NUL in a templateData key", """{"to":"a@example.com","content":"x","channels":[1],"templateData":{"\u0000":"v"}}""", 8020, 400 },
            { "sendTimestamp eleven years ahead", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":ELEVEN_YEARS}""", 8020, 400 },
            { "sendTimestamp long.MaxValue", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":9223372036854775807}""", 8020, 400 },
            { "sendTimestamp past long", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":9223372036854775808}""", 8020, 400 },
            { "templateID of 65 characters", $$"""{"to":"a@example.com","templateID":"{{new string('t', 65)}}"}""", 8020, 400 },
            { "a tag of 33 characters", $$"""{"tags":["{{new string('t', 33)}}"],"content":"x","channels":[1]}""", 8020, 400 },
            { "7 channels", """{"to":"a@example.com","content":"x","channels":[1,1,1,1,1,1,1]}""", 8020, 400 },
            { "a webhook URL of 255 characters", $$"""{"to":"http://127.0.0.1:1/{{new string('p', 255 - 19)}}","content":"x","channels":[6]}""", 8020, 400 },
            { "a rendered subject of 513 characters", $$$"""{"to":"a@example.com","content":"x","subject":"{{s}}","channels":[1],"templateData":{"s":"{{{new string('s', 513)}}}"}}""", 8020, 400 },
            { "101 placeholders in inline content", $$$"""{"to":"a@example.com","content":"{{{Holders(101)}}}","channels":[1],"templateData":{{{{Data(100)}}}}}""", 8020, 400 },
            { "templateData of 101 entries", """{"to":"a@example.com","content":"x","channels":[1],"templateData":{DATA101}}""", 8020, 400 },
            { "a templateData value of 16 KiB + 1", $$$"""{"to":"a@example.com","content":"x","channels":[1],"templateData":{"k":"{{{new string('v', 16 * 1024 + 1)}}}"}}""", 8020, 400 },
            { "a rendered WeCom text of 2049 bytes", $$"""{"to":"ops","content":"{{new string('w', 2049)}}","channels":[4]}""", 8020, 400 },
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

        body = body.Replace("TEMPLATE", template)
            .Replace("SOON", DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString())
            .Replace("ELEVEN_YEARS", DateTimeOffset.UtcNow.AddYears(11).ToUnixTimeSeconds().ToString())
            .Replace("DATA101", Data(101));
        var schedules = (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64();

        var answer = await Node.PostRawAsync("/msg/send_msg", body, headers: new Dictionary<string, string> { ["Source-Id"] = source });

        answer.ShouldFail(code, status);
        Assert.True(answer.Msg.Length > 5, $"{what}: the message says what is wrong ({answer.Msg})");
        Assert.Equal(0, (await Node.GetAsync($"/msg/list_msg_records?source_id={source}")).ShouldSucceed()["total"].GetInt64());
        // Not even a schedule for a future send (the schedule of a sendTimestamp is created only for a send that reaches someone).
        Assert.Equal(schedules, (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64());
    }

    [Fact(DisplayName = "At the limits a send is accepted: webhook URL of 254, rendered subject of 512, 100 placeholders, 16 KiB value, WeCom text of 2048 bytes")]
    public async Task At_the_limits()
    {
        var source = $"limit_{Guid.NewGuid():N}"[..20];
        var headers = new Dictionary<string, string> { ["Source-Id"] = source };
        // Future sends: stored (status 6) and never delivered, so that no request leaves for the addresses below.
        var soon = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        string[] bodies =
        [
            $$"""{"to":"http://127.0.0.1:1/{{new string('p', 254 - 19)}}","content":"x","channels":[6],"sendTimestamp":{{soon}}}""",
            $$$"""{"to":"a@example.com","content":"x","subject":"{{s}}","channels":[1],"templateData":{"s":"{{{new string('s', 512)}}}"},"sendTimestamp":{{{soon}}}}""",
            $$$"""{"to":"a@example.com","content":"{{{Holders(100)}}}","channels":[1],"templateData":{{{{Data(100)}}}},"sendTimestamp":{{{soon}}}}""",
            $$"""{"to":"a@example.com","content":"x","channels":[1],"templateData":{"k":"{{new string('v', 16 * 1024)}}"},"sendTimestamp":{{soon}}}""",
            $$"""{"to":"ops","content":"{{new string('w', 2048)}}","channels":[4],"sendTimestamp":{{soon}}}""",
        ];
        foreach (var body in bodies)
        {
            (await Node.PostRawAsync("/msg/send_msg", body, headers: headers)).ShouldSucceed();
        }
        var records = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}&page_size=100")).ShouldSucceed();
        Assert.Equal(bodies.Length, records["total"].GetInt64());
        Assert.Contains(records["records"].EnumerateArray(), r => r.GetProperty("To").GetString()!.Length == 254);
        Assert.Contains(records["records"].EnumerateArray(), r => r.GetProperty("Subject").GetString()!.Length == 512);
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
        (await Node.PostAsync("/msg/cancel", new { msgID = new string('m', 65) })).ShouldFail(8020, 400);
        (await Node.PostAsync("/msg/resend", new { batchID = new string('b', 65) })).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/get_msg_record?msgID=" + new string('m', 65))).ShouldFail(8020, 400);
        // Times whose instant lies before year 1 in UTC were a 500.
        (await Node.GetAsync("/msg/list_msg_records?start_time=0001-01-01%2000:00:00")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/statistics?end_time=0001-01-01%2000:00:00")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/list_msg_records?page=10001")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/list_msg_records?page=10000")).ShouldSucceed();
        (await Node.GetAsync("/msg/list_msg_records?to=a%00b")).ShouldFail(8020, 400);
        (await Node.GetAsync("/msg/list_msg_records?to=" + new string('t', 255))).ShouldFail(8020, 400);
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
