using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using MsgMate.Actors.Common;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Serialization;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Tests.Serialization;

public sealed class MsgMateSerializerTests : IDisposable
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
    private static readonly UserProfile Profile = new("Ann", "A", "13800138000", "ann@example.com", "ou_1", "dd_1", "wx_1");
    private static readonly TemplateDraft Draft = new("crm", "welcome", 1, "Hi {{name}}", "Hello {{name}}", "Sign", "SMS_1");
    private static readonly UserState User = UserState.Empty("u1").Apply(new UserEvents.Created("u1", Profile, ["vip"], At));
    private static readonly TemplateState Template = TemplateState.Empty("t1").Apply(new TemplateEvents.Created("t1", Draft, At));
    private static readonly ScheduleSpec Spec = new("crm", ["a@example.com"], ["u1"], ["vip"], [1], "S", 3, "t1", null,
        ImmutableSortedDictionary<string, string>.Empty.Add("name", "Ann"));
    private static readonly Recurrence Every = new("*/5 * * * *", 0, "Asia/Shanghai", 1_900_000_000_000, 10);
    private static readonly ScheduleState Schedule = ScheduleState.Empty("s1")
        .Apply(new ScheduleEvents.Created("s1", Spec, 1_700_000_000_000, Every, 1_700_000_300_000, At));

    /// <summary>One sample per registered type; a new message type without a sample fails <see cref="Every_registered_type_has_a_sample"/>.</summary>
    public static IEnumerable<object[]> Samples() => new IMsgMateMessage[]
    {
        new UserEvents.Created("u1", Profile, ["vip", "beta"], At),
        new UserEvents.Updated("u1", Profile with { Email = "" }, [], At),
        new UserEvents.Disabled("u1", At),
        new UserEvents.Enabled("u1", At),
        new UserEvents.Erased("u1", At),
        User,
        User.Apply(new UserEvents.Erased("u1", At)),
        new UserCommands.Create("u1", Profile, ["vip"]),
        new UserCommands.Update("u1", new UserPatch(Name: "B", Tags: ImmutableArray<string>.Empty, Enabled: false, Clear: ["email"])),
        new UserCommands.Disable("u1"),
        new UserCommands.Enable("u1"),
        new UserCommands.Get("u1"),
        new UserCommands.Erase("u1"),
        UserReply.Ok(User, 3),
        new TemplateEvents.Created("t1", Draft, At),
        new TemplateEvents.Updated("t1", Draft with { Content = "x" }, At),
        new TemplateEvents.Deleted("t1", At),
        Template,
        new TemplateCommands.Create("t1", Draft),
        new TemplateCommands.Update("t1", new TemplatePatch(Name: "n", Channel: 2)),
        new TemplateCommands.Delete("t1"),
        new TemplateCommands.Get("t1"),
        TemplateReply.Ok(Template, 1),
        MsgMate.Actors.Delivery.OutboxRelay.Nudge.Instance,
        new ScheduleEvents.Created("s1", Spec, 1_700_000_000_000, null, 1_700_000_000_000, At),
        new ScheduleEvents.Edited("s1", Spec with { Content = "x", TemplateId = null }, 1, Every, 2, At),
        new ScheduleEvents.Cancelled("s1", At),
        new ScheduleEvents.Paused("s1", At),
        new ScheduleEvents.Resumed("s1", 5, At),
        new ScheduleEvents.FireStarted("s1", 1, At),
        new ScheduleEvents.Fired("s1", 1, "b1", 3, 7, At),
        new ScheduleEvents.FireFailed("s1", 2, "8048: template t1 not found", 0, At),
        Schedule,
        new ScheduleCommands.Create("s1", Spec, 1, Every),
        new ScheduleCommands.Edit("s1", null, 5, null, ClearRecurrence: true),
        new ScheduleCommands.Cancel("s1"),
        new ScheduleCommands.Pause("s1"),
        new ScheduleCommands.Resume("s1"),
        new ScheduleCommands.Get("s1"),
        new ScheduleCommands.Wake("s1"),
        ScheduleReply.Ok(Schedule, 4),
    }.Select(m => new object[] { m });

    private readonly ActorSystem _system = ActorSystem.Create("ser", ConfigurationFactory.Empty);
    private readonly MsgMateSerializer _serializer;

    public MsgMateSerializerTests() => _serializer = new MsgMateSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    [Theory(DisplayName = "Every message type survives a round trip through its manifest")]
    [MemberData(nameof(Samples))]
    public void Round_trip(IMsgMateMessage message)
    {
        var manifest = _serializer.Manifest(message);
        var bytes = _serializer.ToBinary(message);
        var back = _serializer.FromBinary(bytes, manifest);

        Assert.IsType(message.GetType(), back);
        Assert.Equal(bytes, _serializer.ToBinary(back));
    }

    [Fact(DisplayName = "Every registered type has a sample, and every message type in the assembly is registered")]
    public void Every_registered_type_has_a_sample()
    {
        var sampled = Samples().Select(s => s[0].GetType()).ToHashSet();
        var unsampled = MsgMateSerializer.Manifests.Keys.Where(t => !sampled.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(unsampled.Count == 0, $"registered without a sample: {string.Join(", ", unsampled)}");

        var messageTypes = typeof(IMsgMateMessage).Assembly.GetTypes()
            .Where(t => typeof(IMsgMateMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        var unregistered = messageTypes.Where(t => !MsgMateSerializer.Manifests.ContainsKey(t)).Select(t => t.FullName).ToList();
        Assert.True(unregistered.Count == 0, $"message types without a manifest: {string.Join(", ", unregistered)}");
    }

    [Fact(DisplayName = "Manifests are unique and versioned")]
    public void Manifests_are_versioned()
    {
        Assert.Equal(MsgMateSerializer.Manifests.Count, MsgMateSerializer.Manifests.Values.Distinct().Count());
        Assert.All(MsgMateSerializer.Manifests.Values, m => Assert.Matches(@"\.v\d+$", m));
    }

    [Fact(DisplayName = "A stored v1 event reads back field by field (the schema is stable)")]
    public void Stored_event_reads_back()
    {
        const string stored = """
            {"userId":"u9","profile":{"name":"Zed","nickname":"","mobile":"","email":"z@example.com","larkId":"","dingtalkId":"","wechatId":""},"tags":["a"],"at":"2023-11-14T22:13:20.123+00:00"}
            """;
        var evt = Assert.IsType<UserEvents.Created>(_serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(stored), "user.created.v1"));
        Assert.Equal("u9", evt.UserId);
        Assert.Equal("z@example.com", evt.Profile.Email);
        Assert.Equal<string>(["a"], evt.Tags);
        Assert.Equal(At, evt.At);
    }

    [Fact(DisplayName = "An unknown manifest is refused, not guessed")]
    public void Unknown_manifest_is_refused()
    {
        Assert.ThrowsAny<Exception>(() => _serializer.FromBinary("{}"u8.ToArray(), "user.created.v99"));
    }

    [Fact(DisplayName = "A user state snapshot stored before erasing existed reads back as not erased")]
    public void Stored_state_without_erased_reads_back()
    {
        const string stored = """
            {"userId":"u9","exists":true,"profile":{"name":"Zed","nickname":"","mobile":"","email":"","larkId":"","dingtalkId":"","wechatId":""},"tags":[],"enabled":true,"createdAt":"2023-11-14T22:13:20.123+00:00","modifiedAt":"2023-11-14T22:13:20.123+00:00"}
            """;
        var state = Assert.IsType<UserState>(_serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(stored), "user.state.v1"));
        Assert.True(state.Exists);
        Assert.False(state.Erased);
        Assert.Equal("Zed", state.Profile.Name);
    }
}
