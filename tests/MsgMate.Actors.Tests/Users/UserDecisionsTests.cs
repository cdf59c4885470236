using System.Collections.Immutable;
using MsgMate.Actors.Common;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Tests.Users;

public class UserDecisionsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(5);

    private static readonly UserProfile Alice = UserProfile.Empty with { Name = "Alice", Email = "alice@example.com", Mobile = "13800138000" };

    private static UserState Created(params string[] tags)
    {
        var state = UserState.Empty("u1");
        var decision = UserDecisions.Decide(state, new UserCommands.Create("u1", Alice, [.. tags]), T0);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    private static UserState Run(UserState state, IUserCommand command, out UserDecision decision)
    {
        decision = UserDecisions.Decide(state, command, T1);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    [Fact(DisplayName = "Create on an empty user emits Created with normalized tags and enables the user")]
    public void Create_emits_created()
    {
        var decision = UserDecisions.Decide(UserState.Empty("u1"), new UserCommands.Create("u1", Alice, [" vip ", "vip", "beta"]), T0);

        var created = Assert.IsType<UserEvents.Created>(Assert.Single(decision.Events));
        Assert.Equal<string>(["vip", "beta"], created.Tags);
        var state = UserState.Empty("u1").Apply(created);
        Assert.True(state.Exists);
        Assert.Equal(1, state.Status);
        Assert.Equal(T0, state.CreatedAt);
    }

    [Fact(DisplayName = "Create of an existing user is refused with 9001 and emits nothing")]
    public void Create_twice_is_refused()
    {
        var decision = UserDecisions.Decide(Created(), new UserCommands.Create("u1", Alice, []), T1);

        Assert.Equal(ResultCode.UserExists, decision.Rejection?.Code);
        Assert.Empty(decision.Events);
    }

    [Theory(DisplayName = "Create validates user_id, name, email and mobile")]
    [InlineData("bad id", "Alice", "", "", "user_id may contain only")]
    [InlineData("u1", "", "", "", "name is required")]
    [InlineData("u1", "Alice", "not-an-email", "", "email is not a valid address")]
    [InlineData("u1", "Alice", "", "12ab", "mobile must be")]
    public void Create_validates(string userId, string name, string email, string mobile, string expected)
    {
        var profile = UserProfile.Empty with { Name = name, Email = email, Mobile = mobile };
        var decision = UserDecisions.Decide(UserState.Empty(userId), new UserCommands.Create(userId, profile, []), T0);

        Assert.Equal(ResultCode.InvalidArgument, decision.Rejection?.Code);
        Assert.Contains(expected, decision.Rejection!.Message);
        Assert.Empty(decision.Events);
    }

    [Fact(DisplayName = "Commands other than create on an unknown user answer 9002")]
    public void Unknown_user_is_not_found()
    {
        foreach (IUserCommand command in new IUserCommand[]
                 {
                     new UserCommands.Get("nobody"), new UserCommands.Update("nobody", new UserPatch(Name: "x")),
                     new UserCommands.Disable("nobody"), new UserCommands.Enable("nobody"),
                 })
        {
            var decision = UserDecisions.Decide(UserState.Empty("nobody"), command, T0);
            Assert.Equal(ResultCode.UserNotFound, decision.Rejection?.Code);
        }
    }

    [Fact(DisplayName = "Update keeps empty fields (Go semantics) and replaces what is given")]
    public void Update_keeps_empty_fields()
    {
        var state = Run(Created("vip"), new UserCommands.Update("u1", new UserPatch(Name: "Alicia", Email: "", Mobile: null)), out var d);

        Assert.IsType<UserEvents.Updated>(Assert.Single(d.Events));
        Assert.Equal("Alicia", state.Profile.Name);
        Assert.Equal("alice@example.com", state.Profile.Email);
        Assert.Equal("13800138000", state.Profile.Mobile);
        Assert.Equal<string>(["vip"], state.Tags);
        Assert.Equal(T1, state.ModifiedAt);
    }

    [Fact(DisplayName = "Update clears the fields named in clear_fields, and tags [] clears the tag set")]
    public void Update_clears_fields()
    {
        var state = Run(Created("vip"), new UserCommands.Update("u1", new UserPatch(Tags: ImmutableArray<string>.Empty, Clear: ["email", "mobile"])), out _);

        Assert.Equal("", state.Profile.Email);
        Assert.Equal("", state.Profile.Mobile);
        Assert.Empty(state.Tags);
    }

    [Fact(DisplayName = "Clearing the name or an unknown field is refused")]
    public void Update_refuses_bad_clear()
    {
        var decision = UserDecisions.Decide(Created(), new UserCommands.Update("u1", new UserPatch(Clear: ["name"])), T1);
        Assert.Equal(ResultCode.InvalidArgument, decision.Rejection?.Code);
        Assert.Contains("cannot be cleared", decision.Rejection!.Message);
    }

    [Fact(DisplayName = "An update that changes nothing emits no event")]
    public void Update_noop()
    {
        var decision = UserDecisions.Decide(Created("vip"), new UserCommands.Update("u1", new UserPatch(Name: "Alice", Tags: ["vip"])), T1);
        Assert.Null(decision.Rejection);
        Assert.Empty(decision.Events);
    }

    [Fact(DisplayName = "Disable then enable toggles the status; repeating either is a no-op")]
    public void Disable_and_enable()
    {
        var disabled = Run(Created(), new UserCommands.Disable("u1"), out var d1);
        Assert.Equal(0, disabled.Status);
        Assert.Single(d1.Events);

        Run(disabled, new UserCommands.Disable("u1"), out var d2);
        Assert.Empty(d2.Events);

        var enabled = Run(disabled, new UserCommands.Update("u1", new UserPatch(Enabled: true)), out var d3);
        Assert.Equal(1, enabled.Status);
        Assert.IsType<UserEvents.Enabled>(Assert.Single(d3.Events));
    }

    [Fact(DisplayName = "More than 50 distinct tags, a list of more than 100 entries or an over-long tag is refused")]
    public void Tags_are_bounded()
    {
        Assert.NotNull(UserValidation.NormalizeTags(Enumerable.Range(0, 51).Select(i => $"t{i}")).Error);
        Assert.NotNull(UserValidation.NormalizeTags([new string('x', 33)]).Error);
        Assert.NotNull(UserValidation.NormalizeTags(["ok", null]).Error);
        Assert.Null(UserValidation.NormalizeTags(Enumerable.Range(0, 50).Select(i => $"t{i}")).Error);
        // As sent, a list may repeat tags: 100 entries (50 distinct) are read, 101 refused.
        Assert.Equal(50, UserValidation.NormalizeTags(Enumerable.Range(0, 100).Select(i => $"t{i % 50}")).Tags.Length);
        Assert.Contains("at most 100 entries", UserValidation.NormalizeTags(Enumerable.Range(0, 101).Select(i => $"t{i % 50}")).Error);
    }

    [Fact(DisplayName = "Erase emits the Erased tombstone; the state keeps only the id, no contact, name or tag")]
    public void Erase_emits_tombstone()
    {
        var erased = Run(Created("vip"), new UserCommands.Erase("u1"), out var decision);

        var evt = Assert.IsType<UserEvents.Erased>(Assert.Single(decision.Events));
        Assert.Equal("u1", evt.UserId);
        Assert.Equal(T1, evt.At);
        Assert.True(erased.Erased);
        Assert.False(erased.Exists);
        Assert.False(erased.Enabled);
        Assert.Equal("u1", erased.UserId);
        Assert.Equal(UserProfile.Empty, erased.Profile);
        Assert.Empty(erased.Tags);
        Assert.Equal(T1, erased.ModifiedAt);
    }

    [Fact(DisplayName = "Erasing an erased user is a success without a new event; erasing one never created is 9002")]
    public void Erase_is_repeatable()
    {
        var erased = Run(Created(), new UserCommands.Erase("u1"), out _);

        var again = UserDecisions.Decide(erased, new UserCommands.Erase("u1"), T1);
        Assert.Null(again.Rejection);
        Assert.Empty(again.Events);

        var unknown = UserDecisions.Decide(UserState.Empty("u2"), new UserCommands.Erase("u2"), T1);
        Assert.Equal(ResultCode.UserNotFound, unknown.Rejection?.Code);
    }

    [Theory(DisplayName = "An erased user is not found for get, update, disable and enable")]
    [MemberData(nameof(CommandsOnErased))]
    public void Erased_user_is_not_found(IUserCommand command)
    {
        var erased = Run(Created(), new UserCommands.Erase("u1"), out _);

        var decision = UserDecisions.Decide(erased, command, T1);

        Assert.Equal(ResultCode.UserNotFound, decision.Rejection?.Code);
    }

    public static IEnumerable<object[]> CommandsOnErased() =>
    [
        [new UserCommands.Get("u1")],
        [new UserCommands.Update("u1", new UserPatch(Nickname: "back"))],
        [new UserCommands.Disable("u1")],
        [new UserCommands.Enable("u1")],
    ];

    [Fact(DisplayName = "A create after an erase starts a new user under the same id")]
    public void Create_after_erase()
    {
        var erased = Run(Created("vip"), new UserCommands.Erase("u1"), out _);

        var again = Run(erased, new UserCommands.Create("u1", UserProfile.Empty with { Name = "New" }, []), out var decision);

        Assert.IsType<UserEvents.Created>(Assert.Single(decision.Events));
        Assert.True(again.Exists);
        Assert.False(again.Erased);
        Assert.Equal("New", again.Profile.Name);
        Assert.Empty(again.Tags);
    }
}
