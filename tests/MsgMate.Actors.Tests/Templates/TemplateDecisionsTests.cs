using MsgMate.Actors.Common;
using MsgMate.Actors.Templates;

namespace MsgMate.Actors.Tests.Templates;

public class TemplateDecisionsTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private static readonly TemplateDraft Welcome = new("crm", "welcome", (int)Channel.Email, "Hi {{name}}", "Hello {{name}}", "", "");

    private static TemplateState Created()
    {
        var (_, events) = TemplateDecisions.Decide(TemplateState.Empty("t1"), new TemplateCommands.Create("t1", Welcome), T0);
        return events.Aggregate(TemplateState.Empty("t1"), (s, e) => s.Apply(e));
    }

    [Fact(DisplayName = "A created template is usable at once (status 2) and lists its placeholders")]
    public void Create_is_usable()
    {
        var state = Created();
        Assert.True(state.IsLive);
        Assert.Equal(TemplateStatus.Normal, state.Status);
        Assert.Equal<string>(["name"], state.Placeholders);
    }

    [Theory(DisplayName = "Create validates required fields, channel range and placeholder syntax")]
    [InlineData("", "n", 1, "c", "sourceID is required")]
    [InlineData("s", " ", 1, "c", "name is required")]
    [InlineData("s", "n", 0, "c", "channel must be one of")]
    [InlineData("s", "n", 9, "c", "channel must be one of")]
    [InlineData("s", "n", 1, "", "content is required")]
    [InlineData("s", "n", 1, "Hi {{name", "not closed")]
    public void Create_validates(string source, string name, int channel, string content, string expected)
    {
        var (rejection, events) = TemplateDecisions.Decide(
            TemplateState.Empty("t1"), new TemplateCommands.Create("t1", new TemplateDraft(source, name, channel, "", content, "", "")), T0);
        Assert.Equal(ResultCode.InvalidArgument, rejection?.Code);
        Assert.Contains(expected, rejection!.Message);
        Assert.Empty(events);
    }

    [Theory(DisplayName = "Create takes signName and relTemplateID of 128 characters (their columns), 100 distinct placeholders in content and subject; one more is refused")]
    [InlineData(128, 0, 70, 30, false, null)]
    [InlineData(129, 0, 0, 0, false, "signName must be at most 128")]
    [InlineData(0, 128, 0, 0, false, null)]
    [InlineData(0, 129, 0, 0, false, "relTemplateID must be at most 128")]
    [InlineData(0, 0, 100, 0, false, null)]
    [InlineData(0, 0, 101, 0, false, "content: at most 100 distinct placeholders, not 101")]
    [InlineData(0, 0, 70, 31, false, "content and subject may hold at most 100 distinct placeholders, not 101")]
    [InlineData(0, 0, 80, 30, true, null)] // the subject's 30 names are the content's: 80 distinct
    public void Create_limits(int signName, int relTemplateId, int contentNames, int subjectNames, bool sameNames, string? expected)
    {
        static string Holders(int n, string prefix) => string.Concat(Enumerable.Range(0, n).Select(i => $"{{{{{prefix}{i}}}}}"));
        var draft = new TemplateDraft("s", "n", 1, Holders(subjectNames, sameNames ? "c" : "d"), "x" + Holders(contentNames, "c"),
            new string('g', signName), new string('r', relTemplateId));
        var (rejection, events) = TemplateDecisions.Decide(TemplateState.Empty("t1"), new TemplateCommands.Create("t1", draft), T0);
        if (expected is null)
        {
            Assert.Null(rejection?.Message);
            Assert.Single(events);
        }
        else
        {
            Assert.Equal(ResultCode.InvalidArgument, rejection?.Code);
            Assert.Contains(expected, rejection!.Message);
            Assert.Empty(events);
        }
    }

    [Fact(DisplayName = "Update keeps absent fields and replaces given ones")]
    public void Update_patches()
    {
        var (_, events) = TemplateDecisions.Decide(Created(), new TemplateCommands.Update("t1", new TemplatePatch(Content: "Yo {{name}} {{code}}", Name: "")), T0.AddSeconds(1));
        var state = events.Aggregate(Created(), (s, e) => s.Apply(e));
        Assert.Equal("welcome", state.Draft.Name);
        Assert.Equal("Yo {{name}} {{code}}", state.Draft.Content);
        Assert.Equal<string>(["name", "code"], state.Placeholders);
    }

    [Fact(DisplayName = "A deleted template answers not found to every later command")]
    public void Deleted_is_gone()
    {
        var (_, events) = TemplateDecisions.Decide(Created(), new TemplateCommands.Delete("t1"), T0);
        var deleted = events.Aggregate(Created(), (s, e) => s.Apply(e));
        Assert.False(deleted.IsLive);
        foreach (ITemplateCommand c in new ITemplateCommand[] { new TemplateCommands.Get("t1"), new TemplateCommands.Delete("t1"), new TemplateCommands.Update("t1", new TemplatePatch(Name: "x")) })
        {
            Assert.Equal(ResultCode.TemplateNotFound, TemplateDecisions.Decide(deleted, c, T0).Rejection?.Code);
        }
    }
}
