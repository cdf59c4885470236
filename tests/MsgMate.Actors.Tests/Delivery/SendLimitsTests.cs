using System.Collections.Immutable;
using System.Diagnostics;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Templates;

namespace MsgMate.Actors.Tests.Delivery;

/// <summary>The limits of a send (SendPlanner), at the limit and one past it: the defaults, and configured ones.</summary>
public class SendLimitsTests
{
    private static readonly LimitOptions Defaults = new();

    private static SendRequest Inline(
        string content = "Hi", int channel = (int)Channel.Email, IEnumerable<string>? to = null, IEnumerable<string>? userIds = null,
        IEnumerable<string>? tags = null, IEnumerable<int>? channels = null, IReadOnlyDictionary<string, string>? data = null, string subject = "") =>
        new("src", [.. to ?? ["a@example.com"]], [.. userIds ?? []], [.. tags ?? []], [.. channels ?? [channel]], subject,
            MessagePriority.Medium, null, content, (data ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal), 0);

    private static string? Planned(SendRequest r, LimitOptions? limits = null, TemplateState? template = null) =>
        SendPlanner.ValidateShape(r, limits ?? Defaults) ?? SendPlanner.PlanContent(r, template, limits ?? Defaults).Rejection?.Message;

    private static IEnumerable<string> Many(int n, string prefix = "x") => Enumerable.Range(0, n).Select(i => $"{prefix}{i}");

    [Fact(DisplayName = "Recipients: to 1000, user_ids 10000, tags 20 are accepted; one more of each is refused with its count")]
    public void Recipient_counts()
    {
        Assert.Null(SendPlanner.ValidateShape(Inline(to: Many(1000, "a@x.io")), Defaults));
        Assert.Contains("to may list at most 1000 addresses, not 1001", SendPlanner.ValidateShape(Inline(to: Many(1001, "a@x.io")), Defaults));
        Assert.Null(SendPlanner.ValidateShape(Inline(to: [], userIds: Many(10_000)), Defaults));
        Assert.Contains("user_ids may list at most 10000 ids", SendPlanner.ValidateShape(Inline(to: [], userIds: Many(10_001)), Defaults));
        Assert.Null(SendPlanner.ValidateShape(Inline(to: [], tags: Many(20)), Defaults));
        Assert.Contains("tags may list at most 20 tags", SendPlanner.ValidateShape(Inline(to: [], tags: Many(21)), Defaults));
    }

    [Fact(DisplayName = "Recipient limits are the configured ones (MsgMate:Limits)")]
    public void Recipient_counts_are_configurable()
    {
        var limits = new LimitOptions { MaxDirectRecipients = 2, MaxUserIds = 1, MaxTags = 1 };
        Assert.Null(SendPlanner.ValidateShape(Inline(to: ["a@x.io", "b@x.io"], userIds: ["u"], tags: ["t"]), limits));
        Assert.Contains("at most 2 addresses", SendPlanner.ValidateShape(Inline(to: ["a@x.io", "b@x.io", "c@x.io"]), limits));
        Assert.Contains("at most 1 ids", SendPlanner.ValidateShape(Inline(userIds: ["u", "v"]), limits));
        Assert.Contains("at most 1 tags", SendPlanner.ValidateShape(Inline(tags: ["t", "s"]), limits));
    }

    [Fact(DisplayName = "A send's tag of 32 characters is looked up; 33 is refused (no user carries it); channels at most 6")]
    public void Tag_length_and_channel_count()
    {
        Assert.Null(SendPlanner.ValidateShape(Inline(tags: [new string('t', 32)]), Defaults));
        Assert.Contains("at most 32 characters", SendPlanner.ValidateShape(Inline(tags: [new string('t', 33)]), Defaults));
        Assert.Null(SendPlanner.ValidateShape(Inline(channels: [1, 1, 2, 3, 4, 5]), Defaults));
        Assert.Contains("at most 6 channels", SendPlanner.ValidateShape(Inline(channels: [1, 1, 2, 3, 4, 5, 6]), Defaults));
    }

    [Fact(DisplayName = "A templateID of 64 characters is looked up; 65 is refused")]
    public void Template_id_length()
    {
        var withTemplate = Inline() with { Content = null, TemplateId = new string('t', 64) };
        Assert.Null(SendPlanner.ValidateShape(withTemplate, Defaults));
        Assert.Contains("templateID must be at most 64", SendPlanner.ValidateShape(withTemplate with { TemplateId = new string('t', 65) }, Defaults));
    }

    [Fact(DisplayName = "templateData: 100 entries, keys of 64, values of 16 KiB and 64 KiB in all are accepted; one more of each is refused")]
    public void Template_data_limits()
    {
        var hundred = Many(100, "k").ToDictionary(k => k, _ => "v");
        Assert.Null(SendPlanner.ValidateTemplateData(hundred, Defaults));
        Assert.Contains("at most 100 entries, not 101", SendPlanner.ValidateTemplateData(Many(101, "k").ToDictionary(k => k, _ => "v"), Defaults));

        Assert.Null(SendPlanner.ValidateTemplateData(new Dictionary<string, string> { [new string('k', 64)] = "v" }, Defaults));
        Assert.Contains("a key must be at most 64", SendPlanner.ValidateTemplateData(new Dictionary<string, string> { [new string('k', 65)] = "v" }, Defaults));

        Assert.Null(SendPlanner.ValidateTemplateData(new Dictionary<string, string> { ["k"] = new('v', 16 * 1024) }, Defaults));
        Assert.Contains("must be at most 16384 characters", SendPlanner.ValidateTemplateData(new Dictionary<string, string> { ["k"] = new('v', 16 * 1024 + 1) }, Defaults));

        // {"a":"…","b":"…",…}: 2 + Σ (key + value + 6) − 1 bytes, exactly the JSON every record stores.
        static Dictionary<string, string> Five(int last) => new()
        {
            ["a"] = new('v', 13_000), ["b"] = new('v', 13_000), ["c"] = new('v', 13_000), ["d"] = new('v', 13_000), ["e"] = new('v', last),
        };
        var exact = 64 * 1024 - (2 + 4 * 13_007 + 7 - 1);
        Assert.Equal(64 * 1024, System.Text.Json.JsonSerializer.Serialize(Five(exact)).Length);
        Assert.Null(SendPlanner.ValidateTemplateData(Five(exact), Defaults));
        Assert.Contains("at most 65536 bytes in all, not 65537", SendPlanner.ValidateTemplateData(Five(exact + 1), Defaults));
    }

    [Fact(DisplayName = "templateData counts bytes, not characters: 10,923 three-byte characters pass the value limit and fail the total")]
    public void Template_data_bytes_are_utf8()
    {
        var limits = new LimitOptions { MaxTemplateDataBytes = 100 };
        Assert.Null(SendPlanner.ValidateTemplateData(new Dictionary<string, string> { ["k"] = new('中', 30) }, limits));
        Assert.Contains("at most 100 bytes in all", SendPlanner.ValidateTemplateData(new Dictionary<string, string> { ["k"] = new('中', 31) }, limits));
    }

    public static TheoryData<string, int, string, int, bool> RenderedCases() => new()
    {
        // channel, relTemplateID, limit, in characters
        { "SMS", (int)Channel.Sms, "", 500, true },
        { "WeCom text", (int)Channel.WeCom, "", 2048, false },
        { "WeCom markdown", (int)Channel.WeCom, "markdown", 4096, false },
        { "Lark text", (int)Channel.Lark, "", 150_000, false },
        { "Lark post", (int)Channel.Lark, "post", 150_000, false },
        { "Lark card", (int)Channel.Lark, "card", 30_000, false },
        { "DingTalk", (int)Channel.DingTalk, "markdown", 18_000, false },
        { "email", (int)Channel.Email, "", 512 * 1024, false },
        { "webhook", (int)Channel.Webhook, "", 256 * 1024, false },
    };

    [Theory(DisplayName = "The rendered message of each channel is accepted at its limit and refused one past it")]
    [MemberData(nameof(RenderedCases))]
    public void Rendered_size_per_channel(string what, int channel, string relTemplateId, int limit, bool characters)
    {
        // Subject "S" and a body filling the rest; a 3-byte character shows which unit counts.
        var template = Template(channel, relTemplateId, subject: "S", content: "{{body}}");
        SendRequest Filled(int bodyUnits) => Inline(to: [Address(channel)], data: new Dictionary<string, string> { ["body"] = Body(bodyUnits, characters) }) with
        {
            Content = null, TemplateId = "t1", Channels = [],
        };
        var atLimit = characters ? limit : limit - 1; // bytes count the subject's one byte
        // Large data is this test's tool, not its subject: the template data limits are raised out of the way.
        var limits = new LimitOptions { MaxTemplateDataValueLength = 1_000_000, MaxTemplateDataBytes = 2_000_000 };
        Assert.True(Planned(Filled(atLimit), limits, template) is null, what);
        var over = Planned(Filled(atLimit + 1), limits, template);
        Assert.NotNull(over);
        Assert.Contains($"takes at most {limit} {(characters ? "characters" : "bytes")}", over);
    }

    [Fact(DisplayName = "WeCom text counts UTF-8 bytes: 682 three-byte characters fit its 2048 bytes, 683 do not")]
    public void WeCom_counts_bytes()
    {
        Assert.Null(Planned(Inline(content: new string('中', 682), channel: (int)Channel.WeCom, to: ["ops"])));
        Assert.Contains("is 2049 bytes", Planned(Inline(content: new string('中', 683), channel: (int)Channel.WeCom, to: ["ops"])));
    }

    [Fact(DisplayName = "Rendered limits are the configured ones: SMS of 20 characters")]
    public void Rendered_limits_are_configurable()
    {
        var limits = new LimitOptions { Rendered = { Sms = 20 } };
        var template = Template((int)Channel.Sms, "SMS_1", "", "{{x}}");
        SendRequest Sms(int n) => Inline(to: ["13800138000"], data: new Dictionary<string, string> { ["x"] = new('a', n) }) with { Content = null, TemplateId = "t1", Channels = [] };
        Assert.Null(Planned(Sms(20), limits, template));
        Assert.Contains("takes at most 20 characters", Planned(Sms(21), limits, template));
    }

    [Fact(DisplayName = "A rendered subject of 512 characters is accepted, 513 refused (the records' subject column)")]
    public void Rendered_subject()
    {
        SendRequest With(int n) => Inline(subject: "{{s}}", data: new Dictionary<string, string> { ["s"] = new('s', n) });
        Assert.Null(Planned(With(512)));
        Assert.Contains("subject is longer than 512", Planned(With(513)));
    }

    [Fact(DisplayName = "A 64 KB template of one placeholder repeated, filled with 16 KB, is refused at once (rendering stops at the limit)")]
    public void Rendering_stops_at_the_limit()
    {
        var content = string.Concat(Enumerable.Repeat("{{x}}", TemplateDecisions.MaxContentLength / 5));
        var data = new Dictionary<string, string> { ["x"] = new('v', 16 * 1024) };
        var clock = Stopwatch.StartNew();
        var rejection = Planned(Inline(content: content, data: data));
        Assert.Contains("takes at most 524288 bytes", rejection);
        // 13,107 × 16 KB would be 214 MB; the render stops past 512 KB.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(TemplateText.Render(content, data, htmlEncode: false, 1000).TooLong);
    }

    [Fact(DisplayName = "Inline content takes 100 distinct placeholders; 101 are refused")]
    public void Inline_placeholders()
    {
        // Values for the first 100: the count is checked before anything is rendered.
        static SendRequest With(int n) => Inline(content: string.Concat(Many(n, "p").Select(p => $"{{{{{p}}}}}")), data: Many(100, "p").ToDictionary(p => p, _ => "v"));
        Assert.Null(Planned(With(100)));
        Assert.Contains("at most 100 distinct placeholders, not 101", Planned(With(101)));
    }

    [Fact(DisplayName = "A direct webhook URL of 254 characters is accepted, 255 refused (the records' address column)")]
    public void Webhook_url_length()
    {
        var prefix = "https://hooks.example.com/";
        Assert.Null(SendPlanner.ValidateAddress(Channel.Webhook, prefix + new string('p', 254 - prefix.Length)));
        Assert.Contains("at most 254 characters", SendPlanner.ValidateAddress(Channel.Webhook, prefix + new string('p', 255 - prefix.Length)));
    }

    private static string Address(int channel) => (Channel)channel switch
    {
        Channel.Sms => "13800138000",
        Channel.Email => "a@example.com",
        Channel.Webhook => "https://hooks.example.com/x",
        _ => "someone",
    };

    /// <summary><paramref name="units"/> characters, or as many UTF-8 bytes (3-byte characters, ASCII for the rest).</summary>
    private static string Body(int units, bool characters) =>
        characters ? new string('中', units) : new string('中', units / 3) + new string('a', units % 3);

    private static TemplateState Template(int channel, string relTemplateId, string subject, string content)
    {
        var draft = new TemplateDraft("src", "t", channel, subject, content, "", relTemplateId);
        var (_, events) = TemplateDecisions.Decide(TemplateState.Empty("t1"), new TemplateCommands.Create("t1", draft), DateTimeOffset.UnixEpoch);
        return events.Aggregate(TemplateState.Empty("t1"), (s, e) => s.Apply(e));
    }
}
