using MsgMate.Actors.Templates;

namespace MsgMate.Actors.Tests.Templates;

public class TemplateTextTests
{
    [Fact(DisplayName = "Parse lists distinct placeholder names in order of first use, spaces allowed")]
    public void Parse_lists_names()
    {
        var (names, error) = TemplateText.Parse("Hi {{name}}, your code is {{ code }}. Bye {{name}}");
        Assert.Null(error);
        Assert.Equal<string>(["name", "code"], names);
    }

    [Theory(DisplayName = "Parse refuses malformed placeholders with the position")]
    [InlineData("Hello {{name", "not closed")]
    [InlineData("Hello {{}}", "must be a name")]
    [InlineData("Hello {{na me}}", "must be a name")]
    [InlineData("Hello {{1abc}}", "must be a name")]
    public void Parse_refuses_malformed(string content, string expected)
    {
        var (_, error) = TemplateText.Parse(content);
        Assert.NotNull(error);
        Assert.Contains(expected, error);
        Assert.Contains("position 6", error);
    }

    [Fact(DisplayName = "Render substitutes every placeholder")]
    public void Render_substitutes()
    {
        var result = TemplateText.Render("Hi {{name}}, code {{code}}.", new Dictionary<string, string> { ["name"] = "Ann", ["code"] = "42" }, false);
        Assert.Equal("Hi Ann, code 42.", result.Text);
    }

    [Fact(DisplayName = "A missing value is an error naming every missing placeholder, never left in the text")]
    public void Render_missing_is_error()
    {
        var result = TemplateText.Render("{{a}} {{b}} {{c}} {{a}}", new Dictionary<string, string> { ["b"] = "x" }, false);
        Assert.False(result.IsOk);
        Assert.Equal<string>(["a", "c"], result.Missing);
        Assert.Equal("missing template data for: a, c", result.Error);
    }

    [Fact(DisplayName = "Values are never parsed again: data cannot inject placeholders or code")]
    public void Render_does_not_rescan_values()
    {
        var result = TemplateText.Render("{{a}}", new Dictionary<string, string> { ["a"] = "{{b}} ${7*7} {% raw %}" }, false);
        Assert.Equal("{{b}} ${7*7} {% raw %}", result.Text);
    }

    [Fact(DisplayName = "For email bodies values are HTML-encoded while the template's markup stays")]
    public void Render_html_encodes_values()
    {
        var result = TemplateText.Render("<b>{{name}}</b>", new Dictionary<string, string> { ["name"] = "<script>alert('x')</script>&" }, true);
        Assert.Equal("<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</b>", result.Text);
    }

    [Fact(DisplayName = "Text without placeholders renders unchanged, braces alone included")]
    public void Render_plain_text()
    {
        Assert.Equal("a { b } c }}", TemplateText.Render("a { b } c }}", null, false).Text);
    }
}
