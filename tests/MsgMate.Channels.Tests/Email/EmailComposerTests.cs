using MsgMate.Actors.Channels.Email;

namespace MsgMate.Channels.Tests.Email;

public sealed class EmailComposerTests
{
    [Theory(DisplayName = "Message-Id keeps a UUID-like MsgId as is and replaces only unsafe characters")]
    [InlineData("3f2b8c1e-7a4d-4e8f-9c2a-1b2c3d4e5f60", "example.com", "3f2b8c1e-7a4d-4e8f-9c2a-1b2c3d4e5f60@example.com")]
    [InlineData("a b<c>@d", "example.com", "a_b_c__d@example.com")]
    [InlineData("..x..y.", "example.com", "x.y@example.com")]
    [InlineData("id1", "", "id1@msgmate.local")]
    public void Message_id(string msgId, string domain, string expected) => Assert.Equal(expected, EmailComposer.MessageIdFor(msgId, domain));

    [Theory(DisplayName = "Only complete single mailboxes parse as addresses")]
    [InlineData("a@example.com", true)]
    [InlineData("Bob <bob@example.com>", true)]
    [InlineData("bob", false)]
    [InlineData("bob@", false)]
    [InlineData("@example.com", false)]
    [InlineData("a@example.com, b@example.com", false)]
    [InlineData(" ", false)]
    public void Parses(string text, bool valid) => Assert.Equal(valid, EmailComposer.TryParseAddress(text, out _));
}
