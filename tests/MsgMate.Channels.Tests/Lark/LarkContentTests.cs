using System.Text;
using System.Text.Json;
using MsgMate.Actors.Channels.Lark;
using static MsgMate.Channels.Tests.Lark.LarkFake;

namespace MsgMate.Channels.Tests.Lark;

/// <summary>How a rendered message becomes the Lark request (pure).</summary>
public sealed class LarkContentTests
{
    [Theory(DisplayName = "receive_id_type from the recipient: ou_ open_id, on_ union_id, oc_ chat_id, '@' email, otherwise user_id")]
    [InlineData("ou_7d8a6e6df7621556ce0d21922b676706ccs", "open_id")]
    [InlineData("on_94a1ee5551019f18cd73d9f111898cf2", "union_id")]
    [InlineData("oc_a0553eda9014c201e6969b478895c230", "chat_id")]
    [InlineData("alice@example.com", "email")]
    [InlineData("ou_but@example.com", "open_id")]
    [InlineData("5d9bdxxx", "user_id")]
    [InlineData("OU_upper_is_not_open_id", "user_id")]
    public void Receive_id_type(string recipient, string expected) => Assert.Equal(expected, LarkContent.ReceiveIdType(recipient));

    [Theory(DisplayName = "relTemplateID picks msg_type: \"\"/text → text, post → post, interactive/card/markdown → interactive (any case, trimmed)")]
    [InlineData("", "text")]
    [InlineData("text", "text")]
    [InlineData(" TEXT ", "text")]
    [InlineData("post", "post")]
    [InlineData("Post", "post")]
    [InlineData("interactive", "interactive")]
    [InlineData("card", "interactive")]
    [InlineData("markdown", "interactive")]
    public void Message_type(string relTemplateId, string expected) => Assert.Equal(expected, LarkContent.MessageType(relTemplateId));

    [Theory(DisplayName = "An unknown relTemplateID is refused before any call, naming the allowed types")]
    [InlineData("image")]
    [InlineData("SMS_154950909")]
    public void Unknown_type_refused(string relTemplateId)
    {
        Assert.Null(LarkContent.MessageType(relTemplateId));
        Assert.False(LarkContent.TryBuild(Message(type: relTemplateId), out _, out var error));
        Assert.Contains(relTemplateId, error);
        foreach (var allowed in new[] { "\"text\"", "\"post\"", "\"interactive\"", "\"card\"", "\"markdown\"" })
        {
            Assert.Contains(allowed, error);
        }
    }

    [Fact(DisplayName = "An empty recipient is refused before any call")]
    public void Empty_recipient_refused()
    {
        Assert.False(LarkContent.TryBuild(Message(to: "  "), out _, out var error));
        Assert.Contains("lark_id", error);
    }

    [Fact(DisplayName = "text: the subject becomes the first line, then the body; without a subject only the body")]
    public void Text_content()
    {
        Assert.Equal("""{"text":"Alert\nDisk full"}""", LarkContent.BuildContent("text", "Alert", "Disk full"));
        Assert.Equal("""{"text":"Disk full"}""", LarkContent.BuildContent("text", "", "Disk full"));
        Assert.Equal("""{"text":"Alert"}""", LarkContent.BuildContent("text", "Alert", ""));
    }

    [Fact(DisplayName = "post: zh_cn with the subject as title and one text paragraph per body line (CRLF, blank lines, trailing break)")]
    public void Post_content()
    {
        var content = JsonDocument.Parse(LarkContent.BuildContent("post", "Weekly report", "line 1\r\nline 2\n\nline 4\n")).RootElement;

        var zhCn = content.GetProperty("zh_cn");
        Assert.Equal("Weekly report", zhCn.GetProperty("title").GetString());
        var paragraphs = zhCn.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["line 1", "line 2", "", "line 4"], paragraphs.Select(p => Assert.Single(p.EnumerateArray()).GetProperty("text").GetString()));
        Assert.All(paragraphs, p => Assert.Equal("text", p[0].GetProperty("tag").GetString()));
        Assert.Equal(
            """{"zh_cn":{"title":"T","content":[[{"tag":"text","text":"a"}],[{"tag":"text","text":"b"}]]}}""",
            LarkContent.BuildContent("post", "T", "a\nb"));
        Assert.False(JsonDocument.Parse(LarkContent.BuildContent("post", "", "a")).RootElement.GetProperty("zh_cn").TryGetProperty("title", out _));
    }

    [Fact(DisplayName = "interactive: a card with the subject as header title and the body as one markdown element")]
    public void Card_content()
    {
        Assert.Equal(
            """{"config":{"wide_screen_mode":true},"header":{"title":{"tag":"plain_text","content":"Deploy"}},"elements":[{"tag":"markdown","content":"**done** in 3 min"}]}""",
            LarkContent.BuildContent("interactive", "Deploy", "**done** in 3 min"));
        var noHeader = JsonDocument.Parse(LarkContent.BuildContent("interactive", "", "x")).RootElement;
        Assert.False(noHeader.TryGetProperty("header", out _));
    }

    [Theory(DisplayName = "Quotes, backslashes, newlines, tabs, control characters, HTML-like tags and unicode survive the double encoding exactly")]
    [InlineData("text")]
    [InlineData("post")]
    [InlineData("interactive")]
    public void Special_characters_round_trip(string type)
    {
        const string body = "He said \"hi\" \\ <at user_id=\"all\"></at> & 'x'\tTab\u0001\n第二行 😀 — ünïcödé";
        Assert.True(LarkContent.TryBuild(Message(body: body, subject: "Sub \"q\" 主题", type: type), out var request, out _));

        var outer = JsonDocument.Parse(request.Body).RootElement;
        var content = JsonDocument.Parse(outer.GetProperty("content").GetString()!).RootElement;
        var texts = type switch
        {
            "text" => [content.GetProperty("text").GetString()!],
            "post" => content.GetProperty("zh_cn").GetProperty("content").EnumerateArray().Select(p => p[0].GetProperty("text").GetString()!).ToArray(),
            _ => new[] { content.GetProperty("elements")[0].GetProperty("content").GetString()! },
        };
        var expected = type switch
        {
            "text" => "Sub \"q\" 主题\n" + body,
            _ => body,
        };
        Assert.Equal(expected, string.Join("\n", texts));
        // CJK goes as UTF-8, not six-byte \u escapes (they count against Lark's size limits); characters beyond the
        // BMP (emoji) are escaped as surrogate pairs by System.Text.Json, valid JSON that decodes to the same text.
        Assert.Contains("第二行", Encoding.UTF8.GetString(request.Body));
    }

    [Fact(DisplayName = "Request body: receive_id, msg_type, content (a string) and uuid = msgID, nothing else")]
    public void Request_body()
    {
        Assert.True(LarkContent.TryBuild(Message(to: " oc_a0553eda9014c201e6969b478895c230 ", body: "x", type: "card"), out var request, out _));

        Assert.Equal("chat_id", request.ReceiveIdType);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["receive_id", "msg_type", "content", "uuid"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("oc_a0553eda9014c201e6969b478895c230", body.GetProperty("receive_id").GetString());
        Assert.Equal("interactive", body.GetProperty("msg_type").GetString());
        Assert.Equal(request.Content, body.GetProperty("content").GetString());
        Assert.Equal("5f0c6d0e-3b7a-4c1e-9d2f-8a6b4c3d2e1f", body.GetProperty("uuid").GetString());
    }

    [Fact(DisplayName = "uuid: the msgID when it fits 50 characters; a longer one a stable digest of at most 50; none for an empty msgID")]
    public void Uuid()
    {
        var guid = Guid.NewGuid().ToString();
        Assert.Equal(guid, LarkContent.Uuid(guid));
        var fifty = new string('a', 50);
        Assert.Equal(fifty, LarkContent.Uuid(fifty));
        var longId = new string('b', 51);
        var digest = LarkContent.Uuid(longId)!;
        Assert.True(digest.Length <= LarkContent.MaxUuidLength);
        Assert.Equal(digest, LarkContent.Uuid(longId));
        Assert.NotEqual(digest, LarkContent.Uuid(new string('c', 51)));
        Assert.Null(LarkContent.Uuid(""));
        Assert.True(LarkContent.TryBuild(Message(msgId: ""), out var request, out _));
        Assert.False(JsonDocument.Parse(request.Body).RootElement.TryGetProperty("uuid", out _));
    }
}
