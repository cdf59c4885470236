using MsgMate.Actors.Channels.Email;

namespace MsgMate.Channels.Tests.Email;

public sealed class HtmlTextTests
{
    [Theory(DisplayName = "HTML becomes readable text: tags stripped, blocks and <br> as line breaks, entities decoded")]
    [InlineData("<p>Hello <b>World</b></p>", "Hello World")]
    [InlineData("<p>One</p><p>Two</p>", "One\n\nTwo")]
    [InlineData("a<br>b<br/>c", "a\nb\nc")]
    [InlineData("Tom &amp; Jerry &lt;3 &quot;x&quot; &#20320;", "Tom & Jerry <3 \"x\" 你")]
    [InlineData("<ul><li>one</li><li>two</li></ul>", "- one\n- two")]
    [InlineData("<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script>Body</body></html>", "Body")]
    [InlineData("<!-- hidden --><div>   spaced    out   </div>", "spaced out")]
    [InlineData("<a href=\"https://x.test/a?b=1\">Open</a>", "Open (https://x.test/a?b=1)")]
    [InlineData("<a href='https://x.test'>https://x.test</a>", "https://x.test")]
    [InlineData("plain text, no tags", "plain text, no tags")]
    public void Converts(string html, string expected) => Assert.Equal(expected, HtmlText.ToPlainText(html));
}
