using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The rows of the bad-input tests. Bodies are JSON text in which <c>$uid</c>, <c>$tid</c>, <c>$src</c> and <c>$tag</c>
/// stand for the ids the test arranged (a user, a template, a source id, a tag of its own).
/// </summary>
public static partial class BadInputCases
{
    public static readonly IReadOnlyList<string> PostRoutes =
    [
        "/user/create", "/user/update", "/user/delete", "/user/enable", "/user/erase", "/user/find_by_tags",
        "/msg/create_template", "/msg/update_template", "/msg/del_template",
    ];

    /// <summary>A body each route accepts (Valid_bodies_are_accepted proves it): the bad variants differ only in the flaw.</summary>
    public static readonly IReadOnlyDictionary<string, string> ValidBodies = new Dictionary<string, string>
    {
        ["/user/create"] = """{"user_id":"$uid","name":"Created","email":"new@example.com","tags":["$tag"]}""",
        ["/user/update"] = """{"user_id":"$uid","name":"Changed","mobile":"13900000000","tags":["changed"]}""",
        ["/user/delete"] = """{"user_id":"$uid"}""",
        ["/user/enable"] = """{"user_id":"$uid"}""",
        ["/user/erase"] = """{"user_id":"$uid"}""",
        ["/user/find_by_tags"] = """{"tags":["$tag"],"match_type":"all"}""",
        ["/msg/create_template"] = """{"sourceID":"$src","name":"Created","channel":1,"content":"Hi {{name}}"}""",
        ["/msg/update_template"] = """{"templateID":"$tid","name":"Changed","channel":2,"content":"Changed {{x}}"}""",
        ["/msg/del_template"] = """{"templateID":"$tid"}""",
    };

    public static readonly IReadOnlyList<string> MalformedVariants =
        ["truncated", "single-quotes", "unquoted-keys", "trailing-comma", "trailing-garbage", "comment", "form-encoded", "bare-word"];

    /// <summary>Syntactically valid JSON (or nothing at all) that is not an object.</summary>
    public static readonly IReadOnlyList<string> NotAnObjectBodies =
        ["", "   ", "[]", "[$valid]", "null", "\"text\"", "42", "true"];

    public static TheoryData<string> Routes
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var route in PostRoutes)
            {
                data.Add(route);
            }
            return data;
        }
    }

    public static TheoryData<string, string> Malformed => Cross(MalformedVariants);

    public static TheoryData<string, string> NotAnObject => Cross(NotAnObjectBodies);

    /// <summary>Breaks a valid body in the named way; every result is rejected by a strict JSON parser.</summary>
    public static string Malform(string valid, string variant) => variant switch
    {
        "truncated" => valid[..^1],
        "single-quotes" => valid.Replace('"', '\''),
        "unquoted-keys" => QuotedKey().Replace(valid, "$1:"),
        "trailing-comma" => valid[..^1] + ",}",
        "trailing-garbage" => valid + "}",
        "comment" => "/* a comment */" + valid,
        "form-encoded" => "user_id=someone&templateID=something&name=x",
        "bare-word" => "hello",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "unknown variant"),
    };

    private static TheoryData<string, string> Cross(IEnumerable<string> seconds)
    {
        var data = new TheoryData<string, string>();
        foreach (var route in PostRoutes)
        {
            foreach (var second in seconds)
            {
                data.Add(route, second);
            }
        }
        return data;
    }

    [GeneratedRegex("\"(\\w+)\":")]
    private static partial Regex QuotedKey();
}

/// <summary>
/// Bad input on every route against a real node, once per database kind (concrete classes at the end): each bad
/// request gets the documented code and HTTP status with a message, and changes nothing.
/// </summary>
public abstract class BadInputTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : NodeFixture
{
    private const int MaxBody = 1024 * 1024;

    private NodeHost Node => fixture.Node;

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    /// <summary>What a test works on; <see cref="Fill"/> puts its ids into a body.</summary>
    private sealed record Target(string UserId, string TemplateId, string SourceId, string Tag)
    {
        public string Fill(string body) => body
            .Replace("$uid", UserId).Replace("$tid", TemplateId).Replace("$src", SourceId).Replace("$tag", Tag)
            .Replace("SIGN129", new string('g', 129)).Replace("REL129", new string('r', 129))
            .Replace("PLACEHOLDERS101", string.Concat(Enumerable.Range(0, 101).Select(i => "{{p" + i + "}}")));
    }

    /// <summary>
    /// A user (disabled for /user/enable) and a template for every route, except that a create route finds its id
    /// (and, for templates, its source id) still free.
    /// </summary>
    private async Task<Target> ArrangeAsync(string route)
    {
        var userId = NewId("u");
        var source = NewId("s");
        var tag = NewId("t");
        var templateId = Guid.NewGuid().ToString();
        if (route != "/user/create")
        {
            (await Node.PostAsync("/user/create", new
            {
                user_id = userId, name = "Before", email = "before@example.com", mobile = "13800000000", tags = new[] { tag },
            })).ShouldSucceed();
            if (route == "/user/enable")
            {
                (await Node.PostAsync("/user/delete", new { user_id = userId })).ShouldSucceed();
            }
        }
        if (route != "/msg/create_template")
        {
            templateId = (await Node.PostAsync("/msg/create_template", new
            {
                sourceID = source, name = "Before", channel = 1, subject = "Subject {{a}}", content = "Before {{a}}", signName = "Sign",
            })).ShouldSucceed()["templateID"].GetString()!;
        }
        return new Target(userId, templateId, source, tag);
    }

    /// <summary>Everything a bad request could have touched, as the API answers it.</summary>
    private async Task<string> SnapshotAsync(Target t)
    {
        string[] reads =
        [
            $"/user/get?user_id={t.UserId}",
            $"/user/list?user_id={t.UserId}",
            $"/user/list?tag={t.Tag}",
            "/user/list?page=1&page_size=1",
            $"/msg/get_template?templateID={t.TemplateId}",
            $"/msg/list_templates?source_id={t.SourceId}",
            "/msg/list_templates?page=1&page_size=1",
        ];
        var lines = new List<string>();
        foreach (var read in reads)
        {
            var answer = await Node.GetAsync(read);
            lines.Add($"{read} → HTTP {answer.Status} {answer.Body.GetRawText()}");
        }
        return string.Join('\n', lines);
    }

    private async Task RejectedWithoutEffectAsync(string route, Func<Target, string> body, int code, int status)
    {
        var target = await ArrangeAsync(route);
        var before = await SnapshotAsync(target);
        (await Node.PostRawAsync(route, body(target))).ShouldFail(code, status);
        Assert.Equal(before, await SnapshotAsync(target));
    }

    private async Task<Answer> PostContentAsync(string route, HttpContent content)
    {
        using var response = await Node.Client.PostAsync(route, content);
        return await Answer.ReadAsync(response);
    }

    private static string Valid(string route) => BadInputCases.ValidBodies[route];

    /// <summary>A valid (ASCII) body padded with whitespace to exactly <paramref name="size"/> bytes.</summary>
    private static string Sized(string body, int size)
    {
        var sized = body[..^1] + new string(' ', size - body.Length) + "}";
        Assert.Equal(size, Encoding.UTF8.GetByteCount(sized));
        return sized;
    }

    [Theory(DisplayName = "Sanity: the valid body of each POST route succeeds (so the bad variants fail for their flaw only)")]
    [MemberData(nameof(BadInputCases.Routes), MemberType = typeof(BadInputCases))]
    public async Task Valid_bodies_are_accepted(string route)
    {
        var target = await ArrangeAsync(route);
        var before = await SnapshotAsync(target);
        (await Node.PostRawAsync(route, target.Fill(Valid(route)))).ShouldSucceed();
        var after = await SnapshotAsync(target);
        if (route == "/user/find_by_tags")
        {
            Assert.Equal(before, after);
        }
        else
        {
            Assert.NotEqual(before, after);
        }
    }

    [Theory(DisplayName = "Malformed JSON answers 8021/400 and changes nothing")]
    [MemberData(nameof(BadInputCases.Malformed), MemberType = typeof(BadInputCases))]
    public async Task Malformed_json(string route, string variant) =>
        await RejectedWithoutEffectAsync(route, t => BadInputCases.Malform(t.Fill(Valid(route)), variant), 8021, 400);

    [Theory(DisplayName = "An empty body or JSON that is not an object answers 8021/400 and changes nothing")]
    [MemberData(nameof(BadInputCases.NotAnObject), MemberType = typeof(BadInputCases))]
    public async Task Not_an_object(string route, string body) =>
        await RejectedWithoutEffectAsync(route, t => t.Fill(body.Replace("$valid", Valid(route))), 8021, 400);

    [Theory(DisplayName = "A field of the wrong JSON type answers 8020/400 and changes nothing")]
    [InlineData("/user/create", """{"user_id":5,"name":"x"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","tags":"x"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":["x"]}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","email":{"a":"b"}}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","tags":[1,2]}""")]
    [InlineData("/user/create", """{"user_id":true,"name":"x"}""")]
    [InlineData("/user/update", """{"user_id":5,"name":"x"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","name":5}""")]
    [InlineData("/user/update", """{"user_id":"$uid","tags":"x"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","status":"1"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","status":1.5}""")]
    [InlineData("/user/update", """{"user_id":"$uid","clear_fields":"email"}""")]
    [InlineData("/user/delete", """{"user_id":5}""")]
    [InlineData("/user/delete", """{"user_id":["$uid"]}""")]
    [InlineData("/user/enable", """{"user_id":5}""")]
    [InlineData("/user/enable", """{"user_id":{"id":"$uid"}}""")]
    [InlineData("/user/erase", """{"user_id":5}""")]
    [InlineData("/user/erase", """{"user_id":["$uid"]}""")]
    [InlineData("/user/find_by_tags", """{"tags":"x"}""")]
    [InlineData("/user/find_by_tags", """{"tags":[5]}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag"],"match_type":1}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag"],"page":"1"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":"abc","content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":"1","content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1.5,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":99999999999,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":5,"name":"n","channel":1,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":["c"]}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","channel":"abc"}""")]
    [InlineData("/msg/update_template", """{"templateID":5,"name":"x"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","content":{"text":"x"}}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","sourceID":false}""")]
    [InlineData("/msg/del_template", """{"templateID":5}""")]
    [InlineData("/msg/del_template", """{"templateID":["$tid"]}""")]
    public async Task Wrong_type(string route, string body) =>
        await RejectedWithoutEffectAsync(route, t => t.Fill(body), 8020, 400);

    [Theory(DisplayName = "A missing required field answers 8020/400 and changes nothing")]
    [InlineData("/user/create", "{}")]
    [InlineData("/user/create", """{"name":"x"}""")]
    [InlineData("/user/create", """{"user_id":"$uid"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":""}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"   "}""")]
    [InlineData("/user/create", """{"user_id":"","name":"x"}""")]
    [InlineData("/user/create", """{"user_id":null,"name":"x"}""")]
    [InlineData("/user/update", "{}")]
    [InlineData("/user/update", """{"name":"x"}""")]
    [InlineData("/user/update", """{"user_id":"","name":"x"}""")]
    [InlineData("/user/delete", "{}")]
    [InlineData("/user/delete", """{"user_id":""}""")]
    [InlineData("/user/delete", """{"user_id":"   "}""")]
    [InlineData("/user/enable", "{}")]
    [InlineData("/user/enable", """{"user_id":null}""")]
    [InlineData("/user/find_by_tags", "{}")]
    [InlineData("/user/find_by_tags", """{"tags":[]}""")]
    [InlineData("/user/find_by_tags", """{"tags":null,"match_type":"all"}""")]
    [InlineData("/msg/create_template", "{}")]
    [InlineData("/msg/create_template", """{"name":"n","channel":1,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","channel":1,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":""}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"  ","channel":1,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"   ","name":"n","channel":1,"content":"c"}""")]
    [InlineData("/msg/update_template", "{}")]
    [InlineData("/msg/update_template", """{"name":"x","content":"c"}""")]
    [InlineData("/msg/update_template", """{"templateID":"","name":"x"}""")]
    [InlineData("/msg/del_template", "{}")]
    [InlineData("/msg/del_template", """{"templateID":""}""")]
    [InlineData("/msg/del_template", """{"templateID":"  "}""")]
    public async Task Missing_required(string route, string body) =>
        await RejectedWithoutEffectAsync(route, t => t.Fill(body), 8020, 400);

    [Theory(DisplayName = "A field that breaks a rule (id charset and length, email, mobile, channel, placeholders, …) answers 8020/400 and changes nothing")]
    [InlineData("/user/create", """{"user_id":"a b","name":"x"}""")]
    [InlineData("/user/create", """{"user_id":"$uid/x","name":"x"}""")]
    [InlineData("/user/create", """{"user_id":"$uid-0123456789012345678901234567890123456789abcd","name":"x"}""")] // 65 characters
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","email":"not-an-email"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","email":"a@b"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","mobile":"12ab5678"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","mobile":"1234"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","mobile":"+86 13800138000"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","tags":["ok",""]}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","tags":[null]}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"x","tags":["012345678901234567890123456789012"]}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"01234567890123456789012345678901234567890123456789012345678901234"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","email":"not-an-email"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","mobile":"12ab5678"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","status":2}""")]
    [InlineData("/user/update", """{"user_id":"$uid","clear_fields":["name"]}""")]
    [InlineData("/user/update", """{"user_id":"$uid","tags":[""]}""")]
    [InlineData("/user/update", """{"user_id":"a b","name":"x"}""")]
    [InlineData("/user/delete", """{"user_id":"a b"}""")]
    [InlineData("/user/delete", """{"user_id":"$uid-0123456789012345678901234567890123456789abcd"}""")]
    [InlineData("/user/enable", """{"user_id":"a b"}""")]
    [InlineData("/user/enable", """{"user_id":"$uid-0123456789012345678901234567890123456789abcd"}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag"],"match_type":"some"}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag",""]}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag"],"page":0}""")]
    [InlineData("/user/find_by_tags", """{"tags":["$tag"],"page_size":101}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":0,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":9,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":-1,"content":"c"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":"Hello {{name"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":"Hello {{1st}}"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":"Hello {{}}"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"subject":"Hi {{name","content":"c"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","channel":9}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","channel":-1}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","content":"Hello {{name"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","subject":"Hi {{name"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid-0123456789012345678901234567","name":"x"}""")] // 65 characters
    [InlineData("/msg/del_template", """{"templateID":"$tid-0123456789012345678901234567"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":2,"content":"c","signName":"SIGN129"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":2,"content":"c","relTemplateID":"REL129"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","signName":"SIGN129"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","relTemplateID":"REL129"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"n","channel":1,"content":"PLACEHOLDERS101"}""")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"a\u0000b"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","nickname":"\u0000"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","content":"a\u0000b"}""")]
    public async Task Invalid_field(string route, string body) =>
        await RejectedWithoutEffectAsync(route, t => t.Fill(body), 8020, 400);

    [Theory(DisplayName = "A body of 1 MiB + 1 byte answers 413 with code 8020 and changes nothing")]
    [MemberData(nameof(BadInputCases.Routes), MemberType = typeof(BadInputCases))]
    public async Task Too_large(string route) =>
        await RejectedWithoutEffectAsync(route, t => Sized(t.Fill(Valid(route)), MaxBody + 1), 8020, 413);

    /// <summary>
    /// 2 MiB announced with Content-Length and Expect: 100-continue: the server answers 413 without asking for the
    /// body. (Without Expect the server answers before reading and closes the connection, and .NET's HttpClient
    /// reports the broken pipe instead of the answer.)
    /// </summary>
    [Theory(DisplayName = "A 2 MiB body (Expect: 100-continue) answers 413 with code 8020 and changes nothing")]
    [MemberData(nameof(BadInputCases.Routes), MemberType = typeof(BadInputCases))]
    public async Task Far_too_large(string route)
    {
        var target = await ArrangeAsync(route);
        var before = await SnapshotAsync(target);
        using var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(Sized(target.Fill(Valid(route)), 2 * MaxBody), Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await Node.Client.SendAsync(request);
        (await Answer.ReadAsync(response)).ShouldFail(8020, 413);
        Assert.Equal(before, await SnapshotAsync(target));
    }

    [Theory(DisplayName = "A chunked body (no Content-Length) of 1 MiB + 1 byte answers 413 with code 8020 and changes nothing")]
    [MemberData(nameof(BadInputCases.Routes), MemberType = typeof(BadInputCases))]
    public async Task Too_large_chunked(string route)
    {
        var target = await ArrangeAsync(route);
        var before = await SnapshotAsync(target);
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(Sized(target.Fill(Valid(route)), MaxBody + 1)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        (await PostContentAsync(route, content)).ShouldFail(8020, 413);
        Assert.Equal(before, await SnapshotAsync(target));
    }

    [Fact(DisplayName = "A body of exactly 1 MiB is accepted; one byte more answers 413")]
    public async Task Body_size_limit_is_exact()
    {
        static string Body(string id) => $$"""{"user_id":"{{id}}","name":"Limit"}""";
        var over = NewId("u");
        (await Node.PostRawAsync("/user/create", Sized(Body(over), MaxBody + 1))).ShouldFail(8020, 413);
        (await Node.GetAsync($"/user/get?user_id={over}")).ShouldFail(9002, 404);

        var at = NewId("u");
        (await Node.PostRawAsync("/user/create", Sized(Body(at), MaxBody))).ShouldSucceed();
        (await Node.GetAsync($"/user/get?user_id={at}")).ShouldSucceed();
    }

    [Theory(DisplayName = "Invalid UTF-8 in a JSON string is malformed JSON: 8021/400, and changes nothing")]
    [InlineData("/user/create", """{"user_id":"$uid","name":"BAD"}""")]
    [InlineData("/user/update", """{"user_id":"$uid","name":"BAD"}""")]
    [InlineData("/msg/create_template", """{"sourceID":"$src","name":"BAD","channel":1,"content":"c"}""")]
    [InlineData("/msg/update_template", """{"templateID":"$tid","name":"BAD"}""")]
    public async Task Invalid_utf8(string route, string body)
    {
        var target = await ArrangeAsync(route);
        var before = await SnapshotAsync(target);
        var parts = target.Fill(body).Split("BAD");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(parts[0]), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(parts[1])];
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        (await PostContentAsync(route, content)).ShouldFail(8021, 400);
        Assert.Equal(before, await SnapshotAsync(target));
    }

    [Theory(DisplayName = "A bad query on a GET route (missing or bad id, page, page_size, status, channel) answers 8020/400")]
    [InlineData("/user/get")]
    [InlineData("/user/get?user_id=")]
    [InlineData("/user/get?user_id=a%20b")]
    [InlineData("/user/get?user_id=0123456789012345678901234567890123456789012345678901234567890123X")] // 65 characters
    [InlineData("/user/list?page=0")]
    [InlineData("/user/list?page=-1")]
    [InlineData("/user/list?page=abc")]
    [InlineData("/user/list?page_size=0")]
    [InlineData("/user/list?page_size=101")]
    [InlineData("/user/list?page_size=1.5")]
    [InlineData("/user/list?page=99999999999")]
    [InlineData("/user/list?status=7")]
    [InlineData("/user/list?status=-1")]
    [InlineData("/user/list?status=abc")]
    [InlineData("/msg/get_template")]
    [InlineData("/msg/get_template?templateID=")]
    [InlineData("/msg/get_template?templateID=0123456789012345678901234567890123456789012345678901234567890123X")]
    [InlineData("/msg/list_templates?page=0")]
    [InlineData("/msg/list_templates?page=abc")]
    [InlineData("/msg/list_templates?page_size=0")]
    [InlineData("/msg/list_templates?page_size=101")]
    [InlineData("/msg/list_templates?channel=9")]
    [InlineData("/msg/list_templates?channel=-1")]
    [InlineData("/msg/list_templates?channel=abc")]
    [InlineData("/user/list?page=10001")]
    [InlineData("/user/list?page=2147483647")] // (page - 1) × page_size overflowed into a negative OFFSET: 503 on PostgreSQL
    [InlineData("/msg/list_templates?page=2147483647&page_size=100")]
    [InlineData("/user/list?keyword=a%00b")] // PostgreSQL cannot compare NUL: 503
    [InlineData("/user/get?user_id=%00")]
    [InlineData("/msg/list_templates?source_id=%00")]
    public async Task Bad_query(string pathAndQuery)
    {
        var target = await ArrangeAsync("GET");
        var before = await SnapshotAsync(target);
        (await Node.GetAsync(pathAndQuery)).ShouldFail(8020, 400);
        Assert.Equal(before, await SnapshotAsync(target));
    }

    /// <summary>
    /// Values as wide as the column that stores them are stored (and read back whole) on this database; one character
    /// more is refused with 8020/400 before anything is written. Before these limits, PostgreSQL and MariaDB refused the
    /// write itself: a 503, and for a grouped intake write every other send of the group with it.
    /// </summary>
    [Fact(DisplayName = "Values as wide as their column are stored on this database; one more character is refused (8020/400) and stores nothing")]
    public async Task Column_widths()
    {
        var source = NewId("s");
        var headers = new Dictionary<string, string> { ["Source-Id"] = source };
        var soon = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        string Webhook(int length) => "http://127.0.0.1:1/" + new string('p', length - 19);
        object Subject(int length) => new { to = "a@example.com", channels = new[] { 1 }, content = "x", subject = "{{s}}", templateData = new { s = new string('s', length) }, sendTimestamp = soon };

        (await Node.PostAsync("/msg/send_msg", new { to = Webhook(254), channels = new[] { 6 }, content = "x", sendTimestamp = soon }, headers)).ShouldSucceed();
        (await Node.PostAsync("/msg/send_msg", Subject(512), headers)).ShouldSucceed();
        (await Node.PostAsync("/msg/send_msg", new { to = Webhook(255), channels = new[] { 6 }, content = "x", sendTimestamp = soon }, headers)).ShouldFail(8020, 400);
        (await Node.PostAsync("/msg/send_msg", Subject(513), headers)).ShouldFail(8020, 400);
        var records = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}")).ShouldSucceed();
        Assert.Equal(2, records["total"].GetInt64());
        Assert.Equal(new[] { 254, 512 }, records["records"].EnumerateArray()
            .Select(r => Math.Max(r.GetProperty("To").GetString()!.Length, r.GetProperty("Subject").GetString()!.Length)).Order());

        var schedule = new { to = "a@example.com", channels = new[] { 1 }, content = "x", scheduled_time = "2035-01-01 10:00:00" };
        var scheduled = (await Node.PostAsync("/scheduled/create", schedule, new Dictionary<string, string> { ["Source-Id"] = new string('s', 64) }))
            .ShouldSucceed()["schedule_id"].GetString()!;
        Assert.Contains((await Node.GetAsync("/scheduled/list?page_size=100&status=1")).ShouldSucceed()["messages"].EnumerateArray(),
            m => m.GetProperty("schedule_id").GetString() == scheduled);
        (await Node.PostAsync("/scheduled/create", schedule, new Dictionary<string, string> { ["Source-Id"] = new string('s', 65) })).ShouldFail(8020, 400);
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = scheduled })).ShouldSucceed();

        var template = (await Node.PostAsync("/msg/create_template", new
        {
            sourceID = source, name = "Wide", channel = 2, content = "c", signName = new string('g', 128), relTemplateID = new string('r', 128),
        })).ShouldSucceed()["templateID"].GetString()!;
        var stored = (await Node.GetAsync($"/msg/get_template?templateID={template}")).ShouldSucceed();
        Assert.Equal(128, stored["signName"].GetString()!.Length);
        Assert.Equal(128, (await Node.GetAsync($"/msg/list_templates?source_id={source}")).ShouldSucceed()["templates"][0].GetProperty("RelTemplateID").GetString()!.Length);
    }

    [Theory(DisplayName = "An unknown route answers 404 with a code and a message")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/nope")]
    [InlineData("GET", "/user/nope")]
    [InlineData("POST", "/user/nope")]
    [InlineData("POST", "/user/create/extra")]
    [InlineData("GET", "/msg/nope")]
    [InlineData("POST", "/msg/create_templates")]
    [InlineData("GET", "/msg/templates.json")]
    public async Task Unknown_route(string method, string path)
    {
        var target = await ArrangeAsync("GET");
        var before = await SnapshotAsync(target);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(target.Fill(Valid("/user/create")), Encoding.UTF8, "application/json");
        }
        using var response = await Node.Client.SendAsync(request);
        var answer = await Answer.ReadAsync(response);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(answer.Body.TryGetProperty("code", out var code) && code.GetInt32() != 0, $"expected a non-zero code, got {answer.Body}");
        Assert.False(string.IsNullOrWhiteSpace(answer.Msg));
        Assert.Equal(before, await SnapshotAsync(target));
    }

    [Theory(DisplayName = "A known route with the wrong method answers 404 or 405 with a code and a message")]
    [InlineData("GET", "/user/create")]
    [InlineData("GET", "/msg/del_template")]
    [InlineData("POST", "/user/get")]
    [InlineData("POST", "/msg/list_templates")]
    public async Task Wrong_method(string method, string path)
    {
        var target = await ArrangeAsync("GET");
        var before = await SnapshotAsync(target);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(target.Fill(Valid("/user/create")), Encoding.UTF8, "application/json");
        }
        using var response = await Node.Client.SendAsync(request);
        var answer = await Answer.ReadAsync(response);
        Assert.Contains((int)response.StatusCode, new[] { 404, 405 });
        Assert.True(answer.Body.TryGetProperty("code", out var code) && code.GetInt32() != 0, $"expected a non-zero code, got HTTP {answer.Status}: {answer.Body}");
        Assert.False(string.IsNullOrWhiteSpace(answer.Msg));
        Assert.Equal(before, await SnapshotAsync(target));
    }

    /// <summary>A body of unknown length: sent with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

public sealed class BadInputOnSqlite(SqliteNode node) : BadInputTests<SqliteNode>(node);

public sealed class BadInputOnPostgres(PostgresNode node) : BadInputTests<PostgresNode>(node);

public sealed class BadInputOnMariaDb(MariaDbNode node) : BadInputTests<MariaDbNode>(node);
