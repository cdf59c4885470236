using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Form bodies (application/x-www-form-urlencoded, as Gin's ShouldBind took them) on every POST route of a real
/// node: each succeeds with the same answer and effect as its JSON equivalent, and bad form input answers the code
/// and status of the JSON equivalent.
/// </summary>
public sealed class FormBodyApiTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private const string FormType = "application/x-www-form-urlencoded";

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Every POST route of the node (grep MapPost in src/MsgMate.Http): each has a success test below.</summary>
    public static readonly IReadOnlyList<string> PostRoutes =
    [
        "/user/create", "/user/update", "/user/delete", "/user/enable", "/user/find_by_tags",
        "/msg/create_template", "/msg/update_template", "/msg/del_template",
        "/msg/send_msg", "/msg/cancel", "/msg/resend",
        "/scheduled/create", "/scheduled/cancel", "/scheduled/pause", "/scheduled/resume", "/scheduled/update",
        "/user/erase",
        "/admin/keys", "/admin/keys/rotate", "/admin/keys/revoke", "/admin/quotas", "/admin/quotas/delete",
        "/admin/cluster/leave", "/admin/cluster/down", "/admin/cluster/down-unreachable",
        "/admin/dead-letters/redrive",
    ];

    /// <summary>POST routes whose every field is optional: {} is a whole request there (down-unreachable downs nobody on one node).</summary>
    private static readonly IReadOnlySet<string> WithoutRequiredFields = new HashSet<string> { "/admin/cluster/down-unreachable" };

    private NodeHost Node => fixture.Node;

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    private static string Later(TimeSpan ahead) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow + ahead, Shanghai).ToString("yyyy-MM-dd HH:mm:ss");

    private static string Form(params (string Key, string Value)[] fields) =>
        string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));

    private Task<Answer> PostFormAsync(string route, string form, IReadOnlyDictionary<string, string>? headers = null) =>
        Node.PostRawAsync(route, form, FormType, headers);

    private Task<Answer> PostFormAsync(string route, params (string Key, string Value)[] fields) => PostFormAsync(route, Form(fields));

    private async Task<JsonElement> UserAsync(string id) => (await Node.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"];

    private async Task<JsonElement> TemplateAsync(string id) => (await Node.GetAsync($"/msg/get_template?templateID={id}")).ShouldSucceed().Body;

    private async Task<JsonElement> RecordAsync(string id) => (await Node.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed().Body;

    private async Task<JsonElement> ScheduleAsync(string id) => (await Node.GetAsync($"/scheduled/get?schedule_id={id}")).ShouldSucceed()["message"];

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private async Task<string> CreateTemplateAsync(string content = "Hi {{name}}, code {{code}}") =>
        (await Node.PostAsync("/msg/create_template", new { sourceID = "form", name = "t", channel = 1, subject = "S {{name}}", content }))
        .ShouldSucceed()["templateID"].GetString()!;

    private async Task<string> CreateUserAsync(string? tag = null, string? email = "u@example.com")
    {
        var id = NewId("u");
        (await Node.PostAsync("/user/create", new { user_id = id, name = "Before", email, tags = tag is null ? Array.Empty<string>() : [tag] }))
            .ShouldSucceed();
        return id;
    }

    private async Task<string> CreateScheduleAsync() =>
        (await Node.PostAsync("/scheduled/create", new { to = "s@example.com", channels = new[] { 1 }, content = "x", scheduled_time = Later(TimeSpan.FromHours(2)) }))
        .ShouldSucceed()["schedule_id"].GetString()!;

    [Fact(DisplayName = "Every POST route of the node is covered by a form success test in this class")]
    public void Every_post_route_is_covered()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MsgMate.sln")))
        {
            root = root.Parent;
        }
        Assert.True(root is not null, $"no MsgMate.sln above {AppContext.BaseDirectory}");
        var source = Path.Combine(root.FullName, "src", "MsgMate.Http");
        var mapped = Directory.EnumerateFiles(source, "*Api.cs", SearchOption.AllDirectories)
            .SelectMany(file =>
            {
                var text = File.ReadAllText(file);
                var group = System.Text.RegularExpressions.Regex.Match(text, "MapGroup\\(\"([^\"]+)\"\\)").Groups[1].Value;
                return System.Text.RegularExpressions.Regex.Matches(text, "MapPost\\(\"([^\"]+)\"").Select(m => group + m.Groups[1].Value);
            })
            .Order().ToList();
        Assert.NotEmpty(mapped);
        Assert.Equal(mapped, PostRoutes.Order().ToList());
    }

    // ---- users ------------------------------------------------------------------------------------------------

    [Fact(DisplayName = "/user/create by form: every field stored as by JSON, tags as repeated keys; get answers them")]
    public async Task User_create()
    {
        var id = NewId("u");
        var created = (await PostFormAsync("/user/create",
            ("user_id", id), ("name", "张 三"), ("nickname", "小张"), ("mobile", "13800138000"), ("email", "zhang@example.com"),
            ("lark_id", "ou_1"), ("dingtalk_id", "dd_1"), ("wechat_id", "wx_1"), ("tags", "朋友"), ("tags", "同事"))).ShouldSucceed();
        Assert.Equal("ok", created.Msg);
        Assert.Equal(id, created["user_id"].GetString());

        var user = await UserAsync(id);
        Assert.Equal("张 三", user.GetProperty("name").GetString());
        Assert.Equal("小张", user.GetProperty("nickname").GetString());
        Assert.Equal("13800138000", user.GetProperty("mobile").GetString());
        Assert.Equal("zhang@example.com", user.GetProperty("email").GetString());
        Assert.Equal("ou_1", user.GetProperty("lark_id").GetString());
        Assert.Equal("dd_1", user.GetProperty("dingtalk_id").GetString());
        Assert.Equal("wx_1", user.GetProperty("wechat_id").GetString());
        Assert.Equal(["朋友", "同事"], Strings(user.GetProperty("tags")));
    }

    [Fact(DisplayName = "/user/create by form: k[] array syntax and case-insensitive names work as in JSON")]
    public async Task User_create_brackets_and_case()
    {
        var id = NewId("u");
        (await PostFormAsync("/user/create", $"USER_ID={id}&Name=Bracket&tags[]=a&tags[]=b")).ShouldSucceed();
        var user = await UserAsync(id);
        Assert.Equal("Bracket", user.GetProperty("name").GetString());
        Assert.Equal(["a", "b"], Strings(user.GetProperty("tags")));
    }

    [Fact(DisplayName = "/user/update by form: fields, tags replaced, status 0 as a number, clear_fields empties email")]
    public async Task User_update()
    {
        var id = await CreateUserAsync("old");
        (await PostFormAsync("/user/update", $"user_id={id}&name=Changed&mobile=13900000000&tags=new1&tags=new2&status=0&clear_fields=email"))
            .ShouldSucceed();
        var user = await UserAsync(id);
        Assert.Equal("Changed", user.GetProperty("name").GetString());
        Assert.Equal("13900000000", user.GetProperty("mobile").GetString());
        Assert.Equal("", user.GetProperty("email").GetString());
        Assert.Equal(["new1", "new2"], Strings(user.GetProperty("tags")));
        Assert.Equal(0, user.GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "/user/update by form: tags= (all values empty) clears the tag set as JSON [] does")]
    public async Task User_update_clears_tags()
    {
        var id = await CreateUserAsync("old");
        (await PostFormAsync("/user/update", $"user_id={id}&tags=")).ShouldSucceed();
        Assert.Empty(Strings((await UserAsync(id)).GetProperty("tags")));
    }

    [Fact(DisplayName = "/user/delete and /user/enable by form: the user is disabled, then enabled again")]
    public async Task User_delete_and_enable()
    {
        var id = await CreateUserAsync();
        (await PostFormAsync("/user/delete", ("user_id", id))).ShouldSucceed();
        Assert.Equal(0, (await UserAsync(id)).GetProperty("status").GetInt32());
        (await PostFormAsync("/user/enable", ("user_id", id))).ShouldSucceed();
        Assert.Equal(1, (await UserAsync(id)).GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "/user/find_by_tags by form: tags array, match_type and numeric page/page_size answer as by JSON")]
    public async Task User_find_by_tags()
    {
        var (t1, t2) = (NewId("t"), NewId("t"));
        var both = NewId("u");
        (await Node.PostAsync("/user/create", new { user_id = both, name = "Both", tags = new[] { t1, t2 } })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = NewId("u"), name = "One", tags = new[] { t1 } })).ShouldSucceed();

        var byForm = (await PostFormAsync("/user/find_by_tags", $"tags[]={t1}&tags[]={t2}&match_type=all&page=1&page_size=10")).ShouldSucceed();
        var byJson = (await Node.PostAsync("/user/find_by_tags", new { tags = new[] { t1, t2 }, match_type = "all", page = 1, page_size = 10 })).ShouldSucceed();
        Assert.Equal(1, byForm["count"].GetInt64());
        Assert.Equal(both, byForm["users"][0].GetProperty("user_id").GetString());
        Assert.Equal(byJson.Body.GetRawText(), byForm.Body.GetRawText());
        Assert.Equal(2, (await PostFormAsync("/user/find_by_tags", $"tags={t1}")).ShouldSucceed()["count"].GetInt64());
    }

    // ---- templates --------------------------------------------------------------------------------------------

    [Fact(DisplayName = "/msg/create_template by form: channel as a number; get answers every field")]
    public async Task Template_create()
    {
        var source = NewId("s");
        var created = (await PostFormAsync("/msg/create_template",
            ("sourceID", source), ("name", "欢迎"), ("channel", "2"), ("subject", "Welcome {{name}}"), ("content", "Hello {{name}} & bye"),
            ("signName", "MsgMate"), ("relTemplateID", "SMS_1"))).ShouldSucceed();
        var id = created["templateID"].GetString()!;
        var got = await TemplateAsync(id);
        Assert.Equal(source, got.GetProperty("sourceID").GetString());
        Assert.Equal("欢迎", got.GetProperty("name").GetString());
        Assert.Equal(2, got.GetProperty("channel").GetInt32());
        Assert.Equal("Welcome {{name}}", got.GetProperty("subject").GetString());
        Assert.Equal("Hello {{name}} & bye", got.GetProperty("content").GetString());
        Assert.Equal("MsgMate", got.GetProperty("signName").GetString());
        Assert.Equal("SMS_1", got.GetProperty("relTemplateID").GetString());
    }

    [Fact(DisplayName = "/msg/update_template by form: name and channel change, absent fields are kept")]
    public async Task Template_update()
    {
        var id = await CreateTemplateAsync();
        (await PostFormAsync("/msg/update_template", ("templateID", id), ("name", "Changed"), ("channel", "2"))).ShouldSucceed();
        var got = await TemplateAsync(id);
        Assert.Equal("Changed", got.GetProperty("name").GetString());
        Assert.Equal(2, got.GetProperty("channel").GetInt32());
        Assert.Equal("Hi {{name}}, code {{code}}", got.GetProperty("content").GetString());
    }

    [Fact(DisplayName = "/msg/del_template by form: the template is gone (8048/404)")]
    public async Task Template_delete()
    {
        var id = await CreateTemplateAsync();
        (await PostFormAsync("/msg/del_template", ("templateID", id))).ShouldSucceed();
        (await Node.GetAsync($"/msg/get_template?templateID={id}")).ShouldFail(8048, 404);
    }

    // ---- messages ---------------------------------------------------------------------------------------------

    [Fact(DisplayName = "/msg/send_msg by form: templateData[name]=x is stored as the record's templateData, priority as a number")]
    public async Task Send_with_template_data()
    {
        var template = await CreateTemplateAsync();
        var sent = (await PostFormAsync("/msg/send_msg",
            ("to", "form@example.com"), ("templateID", template), ("templateData[name]", "x y"), ("templateData[code]", "4711"), ("priority", "3")))
            .ShouldSucceed();
        Assert.Equal(1, sent["count"].GetInt32());
        var record = await RecordAsync(sent["msgID"].GetString()!);
        Assert.Equal("form@example.com", record.GetProperty("to").GetString());
        Assert.Equal(template, record.GetProperty("templateID").GetString());
        Assert.Equal("x y", record.GetProperty("templateData").GetProperty("name").GetString());
        Assert.Equal("4711", record.GetProperty("templateData").GetProperty("code").GetString());
        Assert.Equal(3, record.GetProperty("priority").GetInt32());
        Assert.Equal("S x y", record.GetProperty("subject").GetString());
    }

    [Fact(DisplayName = "/msg/send_msg by form: to as repeated keys and to[], channels as a list, user_ids[]: one record per recipient")]
    public async Task Send_arrays()
    {
        var user = await CreateUserAsync();
        var source = NewId("src");
        var headers = new Dictionary<string, string> { ["Source-Id"] = source };
        var sent = (await PostFormAsync("/msg/send_msg",
            $"to=a@example.com&to=b@example.com&user_ids[]={user}&channels=1&content=Hello", headers)).ShouldSucceed();
        Assert.Equal(3, sent["count"].GetInt32());
        var brackets = (await PostFormAsync("/msg/send_msg", "to[]=c@example.com&to[]=d@example.com&channels[]=1&content=Hello", headers)).ShouldSucceed();
        Assert.Equal(2, brackets["count"].GetInt32());
        var list = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}&page_size=100")).ShouldSucceed();
        Assert.Equal(5, list["total"].GetInt64());
        Assert.Equal(["a@example.com", "b@example.com", "c@example.com", "d@example.com", "u@example.com"],
            list["records"].EnumerateArray().Select(r => r.GetProperty("To").GetString()!).Order().ToArray());
    }

    [Fact(DisplayName = "/msg/cancel by form: a message with a future sendTimestamp (a number) is cancelled")]
    public async Task Message_cancel()
    {
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var sent = (await PostFormAsync("/msg/send_msg", $"to=later@example.com&channels=1&content=later&sendTimestamp={future}")).ShouldSucceed();
        var id = sent["msgID"].GetString()!;
        Assert.Equal(6, (await RecordAsync(id)).GetProperty("status").GetInt32());
        (await PostFormAsync("/msg/cancel", ("msgID", id))).ShouldSucceed();
        Assert.Equal(5, (await RecordAsync(id)).GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "/msg/resend by form: a failed batch (a user without email) is re-driven, count as by JSON")]
    public async Task Message_resend()
    {
        var user = await CreateUserAsync(email: null);
        var sent = (await PostFormAsync("/msg/send_msg", $"user_ids={user}&channels=1&content=x")).ShouldSucceed();
        var id = sent["msgID"].GetString()!;
        Assert.Equal(3, (await RecordAsync(id)).GetProperty("status").GetInt32());
        var resent = (await PostFormAsync("/msg/resend", ("batchID", sent["batchID"].GetString()!))).ShouldSucceed();
        Assert.Equal(1, resent["count"].GetInt32());
    }

    // ---- schedules --------------------------------------------------------------------------------------------

    [Fact(DisplayName = "/scheduled/create by form: template_data map, channels and scheduled_time stored as by JSON")]
    public async Task Schedule_create()
    {
        var due = Later(TimeSpan.FromHours(3));
        var created = (await PostFormAsync("/scheduled/create",
            ("to", "sched@example.com"), ("channels", "1"), ("content", "Hi {{k}}"), ("template_data[k]", "v"), ("subject", "S"),
            ("priority", "3"), ("scheduled_time", due))).ShouldSucceed();
        var schedule = await ScheduleAsync(created["schedule_id"].GetString()!);
        Assert.Equal(["sched@example.com"], Strings(schedule.GetProperty("to")));
        Assert.Equal([1], schedule.GetProperty("channels").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("""{"k":"v"}""", schedule.GetProperty("template_data").GetString());
        Assert.Equal(due, schedule.GetProperty("scheduled_time").GetString());
        Assert.Equal(3, schedule.GetProperty("priority").GetInt32());
        Assert.Equal(1, schedule.GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "/scheduled/create by form: a recurring schedule with interval_seconds and max_count as numbers")]
    public async Task Schedule_create_recurring()
    {
        var created = (await PostFormAsync("/scheduled/create",
            ("to", "tick@example.com"), ("channels", "1"), ("content", "tick"), ("scheduled_time", Later(TimeSpan.FromHours(1))),
            ("interval_seconds", "3600"), ("max_count", "3"))).ShouldSucceed();
        var schedule = await ScheduleAsync(created["schedule_id"].GetString()!);
        Assert.Equal(3600, schedule.GetProperty("interval_seconds").GetInt64());
        Assert.Equal(3, schedule.GetProperty("max_count").GetInt32());
    }

    [Fact(DisplayName = "/scheduled/update by form: subject, priority and template_data[k] change; once=true (a boolean) ends recurrence")]
    public async Task Schedule_update()
    {
        var id = await CreateScheduleAsync();
        (await PostFormAsync("/scheduled/update", ("schedule_id", id), ("subject", "New"), ("priority", "1"), ("template_data[k]", "w")))
            .ShouldSucceed();
        var schedule = await ScheduleAsync(id);
        Assert.Equal("New", schedule.GetProperty("subject").GetString());
        Assert.Equal(1, schedule.GetProperty("priority").GetInt32());
        Assert.Equal("""{"k":"w"}""", schedule.GetProperty("template_data").GetString());

        var recurring = (await Node.PostAsync("/scheduled/create", new
        {
            to = "r@example.com", channels = new[] { 1 }, content = "x", scheduled_time = Later(TimeSpan.FromHours(1)), interval_seconds = 3600,
        })).ShouldSucceed()["schedule_id"].GetString()!;
        var due = Later(TimeSpan.FromHours(5));
        (await PostFormAsync("/scheduled/update", ("schedule_id", recurring), ("once", "true"), ("scheduled_time", due))).ShouldSucceed();
        var once = await ScheduleAsync(recurring);
        Assert.Equal(0, once.GetProperty("interval_seconds").GetInt64());
        Assert.Equal(due, once.GetProperty("scheduled_time").GetString());
    }

    [Fact(DisplayName = "/scheduled/pause, /scheduled/resume and /scheduled/cancel by form: status 5, 1, then 3")]
    public async Task Schedule_pause_resume_cancel()
    {
        var id = await CreateScheduleAsync();
        (await PostFormAsync("/scheduled/pause", ("schedule_id", id))).ShouldSucceed();
        Assert.Equal(5, (await ScheduleAsync(id)).GetProperty("status").GetInt32());
        (await PostFormAsync("/scheduled/resume", ("schedule_id", id))).ShouldSucceed();
        Assert.Equal(1, (await ScheduleAsync(id)).GetProperty("status").GetInt32());
        (await PostFormAsync("/scheduled/cancel", ("schedule_id", id))).ShouldSucceed();
        Assert.Equal(3, (await ScheduleAsync(id)).GetProperty("status").GetInt32());
    }

    [Fact(DisplayName = "/user/erase by form: the user is gone (9002/404) and the answer counts its records")]
    public async Task User_erase()
    {
        var id = await CreateUserAsync();
        var erased = (await PostFormAsync("/user/erase", ("user_id", id))).ShouldSucceed();
        Assert.Equal(id, erased["user_id"].GetString());
        (await Node.GetAsync($"/user/get?user_id={id}")).ShouldFail(9002, 404);
    }

    // ---- admin ----------------------------------------------------------------------------------------------

    [Fact(DisplayName = "/admin/keys, rotate and revoke by form: scopes as repeated keys; the key rotates and is revoked")]
    public async Task Admin_keys()
    {
        var created = (await PostFormAsync("/admin/keys", ("source_id", "form-src"), ("scopes", "send"), ("scopes", "read"), ("name", "by form"))).ShouldSucceed();
        Assert.Equal(["send", "read"], Strings(created["scopes"]));
        var id = created["key_id"].GetString()!;
        var rotated = (await PostFormAsync("/admin/keys/rotate", ("key_id", id))).ShouldSucceed();
        Assert.NotEqual(id, rotated["key_id"].GetString());
        (await PostFormAsync("/admin/keys/revoke", ("key_id", id))).ShouldSucceed();
        var listed = (await Node.GetAsync("/admin/keys")).ShouldSucceed()["keys"].EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == id);
        Assert.Equal("revoked", listed.GetProperty("status").GetString());
    }

    [Fact(DisplayName = "/admin/cluster/down-unreachable by form: dry_run as text lists nobody on a one-node cluster; leave and down read the address (a stranger is 8053/404, not a missing field)")]
    public async Task Admin_cluster()
    {
        var listed = (await PostFormAsync("/admin/cluster/down-unreachable", ("dry_run", "true"))).ShouldSucceed();
        Assert.Empty(listed["addresses"].EnumerateArray());
        const string stranger = "akka.tcp://msgmate@127.0.0.1:1";
        (await PostFormAsync("/admin/cluster/leave", ("address", stranger))).ShouldFail(8053, 404);
        (await PostFormAsync("/admin/cluster/down", ("address", stranger))).ShouldFail(8053, 404);
        (await PostFormAsync("/admin/cluster/down", ("address", ""))).ShouldFail(8020, 400);
        var members = (await Node.GetAsync("/admin/cluster")).ShouldSucceed()["members"].EnumerateArray().ToList();
        Assert.Equal("up", Assert.Single(members).GetProperty("status").GetString()!.ToLowerInvariant());
    }

    [Fact(DisplayName = "/admin/dead-letters/redrive by form: ids as repeated keys, numbers and booleans as text; a form that names nothing is refused (8020)")]
    public async Task Admin_dead_letters_redrive()
    {
        // Lark is not configured on this node: the message fails at once, for good, and becomes a dead letter.
        var id = (await Node.PostAsync("/msg/send_msg", new { to = "ou_form_dead", channels = new[] { 3 }, content = "fails" })).ShouldSucceed()["msgID"].GetString()!;
        await Eventually.AssertAsync(async () => (await RecordAsync(id)).GetProperty("status").GetInt32() == 3, TimeSpan.FromSeconds(60), "the Lark message failed");
        var redriven = (await PostFormAsync("/admin/dead-letters/redrive", ("msg_ids", id), ("msg_ids", "no-such-id"), ("limit", "5"))).ShouldSucceed();
        Assert.Equal((1, 0L), (redriven["count"].GetInt32(), redriven["remaining"].GetInt64()));
        Assert.StartsWith("name the dead letters", (await PostFormAsync("/admin/dead-letters/redrive", ("all", "false"), ("limit", "5"))).ShouldFail(8020, 400).Msg);
    }

    [Fact(DisplayName = "/admin/quotas and /admin/quotas/delete by form: numbers as text; the quota is listed, then gone")]
    public async Task Admin_quotas()
    {
        (await PostFormAsync("/admin/quotas", ("scope", "api"), ("caller", "form-caller"), ("channel", "0"), ("num", "1000"), ("unit", "60000"))).ShouldSucceed();
        bool Listed(Answer a) => a["quotas"].EnumerateArray().Any(q => q.GetProperty("subject").GetString() == "form-caller" && q.GetProperty("num").GetInt64() == 1000);
        Assert.True(Listed((await Node.GetAsync("/admin/quotas")).ShouldSucceed()));
        (await PostFormAsync("/admin/quotas/delete", ("scope", "api"), ("caller", "form-caller"), ("channel", "0"))).ShouldSucceed();
        Assert.False(Listed((await Node.GetAsync("/admin/quotas")).ShouldSucceed()));
    }

    // ---- other encodings ----------------------------------------------------------------------------------------

    [Fact(DisplayName = "multipart/form-data is a form too: a user created by multipart fields")]
    public async Task Multipart_create()
    {
        var id = NewId("u");
        using var content = new MultipartFormDataContent
        {
            { new StringContent(id), "user_id" },
            { new StringContent("Multi"), "name" },
            { new StringContent("a"), "tags" },
            { new StringContent("b"), "tags" },
        };
        using var response = await Node.Client.PostAsync("/user/create", content);
        (await Answer.ReadAsync(response)).ShouldSucceed();
        var user = await UserAsync(id);
        Assert.Equal("Multi", user.GetProperty("name").GetString());
        Assert.Equal(["a", "b"], Strings(user.GetProperty("tags")));
    }

    [Theory(DisplayName = "JSON stays the default: no Content-Type, text/plain, or JSON labelled as a form (curl -d '{…}') are read as JSON")]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData(FormType)]
    public async Task Json_stays_default(string? contentType)
    {
        var id = NewId("u");
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"user_id":"{{id}}","name":"Json"}"""));
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        using var response = await Node.Client.PostAsync("/user/create", content);
        (await Answer.ReadAsync(response)).ShouldSucceed();
        Assert.Equal("Json", (await UserAsync(id)).GetProperty("name").GetString());
    }

    // ---- bad input ----------------------------------------------------------------------------------------------

    /// <summary>A form and its JSON equivalent; <c>$uid</c>, <c>$tid</c>, <c>$sid</c> stand for an arranged user, template, schedule.</summary>
    public static TheoryData<string, string, string> BadPairs() => new()
    {
        { "/user/create", "name=x", """{"name":"x"}""" },
        { "/user/create", "user_id=a+b&name=x", """{"user_id":"a b","name":"x"}""" },
        { "/user/create", "user_id=$uid&name=a&name=b", """{"user_id":"$uid","name":["a","b"]}""" },
        { "/user/create", "user_id[x]=a&name=x", """{"user_id":{"x":"a"},"name":"x"}""" },
        { "/user/create", "user_id=$uid&name=x&tags[a]=x", """{"user_id":"$uid","name":"x","tags":{"a":"x"}}""" },
        { "/user/create", "user_id=$uid&name=x&tags=ok&tags=", """{"user_id":"$uid","name":"x","tags":["ok",""]}""" },
        { "/user/create", "foo=bar", "{}" },
        { "/user/update", "user_id=$uid&status=2", """{"user_id":"$uid","status":2}""" },
        { "/user/update", "user_id=$uid&status=on", """{"user_id":"$uid","status":"on"}""" },
        { "/user/update", "user_id=$uid&status=1.5", """{"user_id":"$uid","status":1.5}""" },
        { "/user/update", "user_id=$uid&clear_fields=name", """{"user_id":"$uid","clear_fields":["name"]}""" },
        { "/user/delete", "user_id=", """{"user_id":""}""" },
        { "/user/enable", "user_id[]=$uid", """{"user_id":["$uid"]}""" },
        { "/user/find_by_tags", "tags=", """{"tags":[]}""" },
        { "/user/find_by_tags", "tags=x&page=first", """{"tags":["x"],"page":"first"}""" },
        { "/user/find_by_tags", "tags=x&page_size=101", """{"tags":["x"],"page_size":101}""" },
        { "/msg/create_template", "sourceID=s&name=n&channel=abc&content=c", """{"sourceID":"s","name":"n","channel":"abc","content":"c"}""" },
        { "/msg/create_template", "sourceID=s&name=n&channel=99999999999&content=c", """{"sourceID":"s","name":"n","channel":99999999999,"content":"c"}""" },
        { "/msg/create_template", "sourceID=s&name=n&channel=9&content=c", """{"sourceID":"s","name":"n","channel":9,"content":"c"}""" },
        { "/msg/create_template", "sourceID=s&name=n&channel=1&content=Hi+%7B%7Bname", """{"sourceID":"s","name":"n","channel":1,"content":"Hi {{name"}""" },
        { "/msg/update_template", "templateID=$tid&channel=x", """{"templateID":"$tid","channel":"x"}""" },
        { "/msg/del_template", "templateID=", """{"templateID":""}""" },
        { "/msg/send_msg", "to=a@example.com&content=x&channels=email", """{"to":"a@example.com","content":"x","channels":["email"]}""" },
        { "/msg/send_msg", "to=a@example.com&content=x&channels=1&priority=high", """{"to":"a@example.com","content":"x","channels":[1],"priority":"high"}""" },
        { "/msg/send_msg", "to=a@example.com&content=x&channels=1&sendTimestamp=soon", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":"soon"}""" },
        { "/msg/send_msg", "to=a@example.com&content=x&channels=1&sendTimestamp=-1", """{"to":"a@example.com","content":"x","channels":[1],"sendTimestamp":-1}""" },
        { "/msg/send_msg", "to=a@example.com&templateID=$tid&templateData=x", """{"to":"a@example.com","templateID":"$tid","templateData":"x"}""" },
        { "/msg/send_msg", "to=a@example.com&templateID=$tid&templateData[name]=1&templateData[name]=2&templateData[code]=3", """{"to":"a@example.com","templateID":"$tid","templateData":{"name":["1","2"],"code":"3"}}""" },
        { "/msg/send_msg", "to=a@example.com&templateID=$tid&templateData[name]=n", """{"to":"a@example.com","templateID":"$tid","templateData":{"name":"n"}}""" },
        { "/msg/send_msg", "to[a]=a@example.com&content=x&channels=1", """{"to":{"a":"a@example.com"},"content":"x","channels":[1]}""" },
        { "/msg/send_msg", "to=not-an-address&content=x&channels=1", """{"to":"not-an-address","content":"x","channels":[1]}""" },
        { "/msg/send_msg", "to=a@example.com&templateID=no-such-template", """{"to":"a@example.com","templateID":"no-such-template"}""" },
        { "/msg/send_msg", "user_ids=nobody-here&content=x&channels=1", """{"user_ids":["nobody-here"],"content":"x","channels":[1]}""" },
        { "/msg/cancel", "msgID=", """{"msgID":""}""" },
        { "/msg/cancel", "msgID=nope", """{"msgID":"nope"}""" },
        { "/msg/resend", "msgID=a&batchID=b", """{"msgID":"a","batchID":"b"}""" },
        { "/msg/resend", "batchID=nope", """{"batchID":"nope"}""" },
        { "/scheduled/create", "to=a@example.com&channels=1&content=x&scheduled_time=tomorrow", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"tomorrow"}""" },
        { "/scheduled/create", "to=a@example.com&channels=1&content=x&interval_seconds=often", """{"to":"a@example.com","channels":[1],"content":"x","interval_seconds":"often"}""" },
        { "/scheduled/create", "to=a@example.com&channels=1&content=x&cron=every+day", """{"to":"a@example.com","channels":[1],"content":"x","cron":"every day"}""" },
        { "/scheduled/cancel", "schedule_id=nope", """{"schedule_id":"nope"}""" },
        { "/scheduled/pause", "schedule_id=", """{"schedule_id":""}""" },
        { "/scheduled/resume", "schedule_id=nope", """{"schedule_id":"nope"}""" },
        { "/scheduled/update", "schedule_id=$sid&once=maybe", """{"schedule_id":"$sid","once":"maybe"}""" },
        { "/scheduled/update", "schedule_id=$sid&priority=7", """{"schedule_id":"$sid","priority":7}""" },
        { "/scheduled/update", "schedule_id=$sid&template_data[a]=1&template_data[a]=2", """{"schedule_id":"$sid","template_data":{"a":["1","2"]}}""" },
    };

    [Theory(DisplayName = "Bad form input answers the same code, status and message as its JSON equivalent, and changes nothing")]
    [MemberData(nameof(BadPairs))]
    public async Task Bad_form_same_as_json(string route, string form, string json)
    {
        var user = await CreateUserAsync();
        var template = await CreateTemplateAsync();
        var schedule = await CreateScheduleAsync();
        string Fill(string s) => s.Replace("$uid", user).Replace("$tid", template).Replace("$sid", schedule);
        var before = await SnapshotAsync(user, template, schedule);

        var byJson = await Node.PostRawAsync(route, Fill(json));
        var byForm = await PostFormAsync(route, Fill(form));

        Assert.True(byJson.Code != 0, $"the JSON equivalent must fail: {byJson.Body}");
        Assert.Equal((byJson.Status, byJson.Code, byJson.Msg), (byForm.Status, byForm.Code, byForm.Msg));
        Assert.Equal(before, await SnapshotAsync(user, template, schedule));
    }

    private async Task<string> SnapshotAsync(string user, string template, string schedule)
    {
        var parts = new List<string>();
        foreach (var read in new[] { $"/user/get?user_id={user}", $"/msg/get_template?templateID={template}", $"/scheduled/get?schedule_id={schedule}" })
        {
            var answer = await Node.GetAsync(read);
            parts.Add(answer.Body.GetRawText());
        }
        return string.Join('\n', parts);
    }

    [Theory(DisplayName = "An empty form body answers 8021/400 'request body is empty' on every POST route")]
    [MemberData(nameof(Routes))]
    public async Task Empty_form(string route)
    {
        var answer = (await PostFormAsync(route, "")).ShouldFail(8021, 400);
        Assert.StartsWith("request body is empty", answer.Msg);
    }

    [Theory(DisplayName = "A form without any field the route knows answers as the empty JSON object {} does, on every POST route")]
    [MemberData(nameof(Routes))]
    public async Task No_known_field(string route)
    {
        var byJson = await Node.PostRawAsync(route, "{}");
        var byForm = await PostFormAsync(route, "unknown=1&&other[x]=2");
        Assert.True(byJson.Code != 0 || WithoutRequiredFields.Contains(route), $"{{}} must fail on {route}: {byJson.Body}");
        Assert.Equal((byJson.Status, byJson.Code, byJson.Msg), (byForm.Status, byForm.Code, byForm.Msg));
    }

    [Theory(DisplayName = "A broken percent-escape or escapes that are not UTF-8 answer 8021/400 with a clear message, on every POST route")]
    [MemberData(nameof(Routes))]
    public async Task Malformed_form(string route)
    {
        Assert.Contains("percent-encoding", (await PostFormAsync(route, "user_id=%zz&name=x")).ShouldFail(8021, 400).Msg);
        Assert.Contains("UTF-8", (await PostFormAsync(route, "user_id=%C3%28&name=x")).ShouldFail(8021, 400).Msg);
    }

    [Fact(DisplayName = "Raw bytes that are not UTF-8 in a form body answer 8021/400, as in a JSON body")]
    public async Task Invalid_utf8_bytes()
    {
        using var content = new ByteArrayContent([.. "user_id=x&name="u8.ToArray(), 0xC3, 0x28, 0xFF]);
        content.Headers.ContentType = new MediaTypeHeaderValue(FormType);
        using var response = await Node.Client.PostAsync("/user/create", content);
        Assert.Contains("UTF-8", (await Answer.ReadAsync(response)).ShouldFail(8021, 400).Msg);
    }

    [Fact(DisplayName = "A form key the syntax does not allow (templateData[a][b], or both k[x] and k) answers 8020/400, as a nested object in JSON")]
    public async Task Unsupported_keys()
    {
        var template = await CreateTemplateAsync();
        (await PostFormAsync("/msg/send_msg", $"to=a@example.com&templateID={template}&templateData[name][x]=1&templateData[code]=2")).ShouldFail(8020, 400);
        (await PostFormAsync("/msg/send_msg", $"to=a@example.com&templateID={template}&templateData[name]=1&templateData=2")).ShouldFail(8020, 400);
        (await Node.PostRawAsync("/msg/send_msg", $$$"""{"to":"a@example.com","templateID":"{{{template}}}","templateData":{"name":{"x":"1"},"code":"2"}}""")).ShouldFail(8020, 400);
    }

    [Fact(DisplayName = "A form body of 1 MiB + 1 byte answers 413 with code 8020; exactly 1 MiB is read")]
    public async Task Too_large_form()
    {
        const int max = 1024 * 1024;
        var id = NewId("u");
        var head = $"user_id={id}&name=Big&padding=";
        (await PostFormAsync("/user/create", head + new string('x', max + 1 - head.Length))).ShouldFail(8020, 413);
        (await Node.GetAsync($"/user/get?user_id={id}")).ShouldFail(9002, 404);
        (await PostFormAsync("/user/create", head + new string('x', max - head.Length))).ShouldSucceed();
    }

    public static TheoryData<string> Routes()
    {
        var data = new TheoryData<string>();
        foreach (var route in PostRoutes)
        {
            data.Add(route);
        }
        return data;
    }
}
