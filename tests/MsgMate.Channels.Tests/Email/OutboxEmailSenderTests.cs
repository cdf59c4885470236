using MimeKit;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Email;
using static MsgMate.Channels.Tests.TestSupport;

namespace MsgMate.Channels.Tests.Email;

public sealed class OutboxEmailSenderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "msgmate-outbox-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private OutboxEmailSender Sender(string from = "") => new(new EmailOptions { OutboxFolder = _folder, From = from, FromName = "MsgMate Dev" });

    [Fact(DisplayName = "The outbox writes {MsgId}.eml: a parseable RFC 822 message with the right headers and both parts")]
    public async Task Writes_a_parseable_eml()
    {
        await using var sender = Sender(from: "dev@msgmate.test");
        const string html = "<p>Hello <b>Bob</b>,</p><p>see <a href=\"https://example.com/x\">this</a></p>";

        var outcome = await sender.SendAsync(Mail("out-1", "bob@example.com", "Welcome 你好", html, isHtml: true), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("outbox"), outcome);
        Assert.Equal(["out-1.eml"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        var mime = await MimeMessage.LoadAsync(Path.Combine(_folder, "out-1.eml"));
        Assert.Equal("bob@example.com", Assert.Single(mime.To.Mailboxes).Address);
        var from = Assert.Single(mime.From.Mailboxes);
        Assert.Equal(("MsgMate Dev", "dev@msgmate.test"), (from.Name, from.Address));
        Assert.Equal("Welcome 你好", mime.Subject);
        Assert.Equal("out-1@msgmate.test", mime.MessageId);
        Assert.Equal(html, mime.HtmlBody!.TrimEnd());
        Assert.Equal("Hello Bob,\n\nsee this (https://example.com/x)", mime.TextBody!.ReplaceLineEndings("\n").TrimEnd());
        // Written 7-bit clean, as an SMTP server without 8BITMIME would receive it.
        Assert.All(await File.ReadAllBytesAsync(Path.Combine(_folder, "out-1.eml")), b => Assert.True(b < 128));
    }

    [Fact(DisplayName = "A text message is written as text/plain only, with a default sender when none is configured")]
    public async Task Writes_text_only()
    {
        await using var sender = Sender();

        await sender.SendAsync(Mail("out-2", body: "line one\nline two"), CancellationToken.None);

        var mime = await MimeMessage.LoadAsync(sender.PathFor("out-2"));
        Assert.IsType<TextPart>(mime.Body);
        Assert.Equal("line one\nline two", mime.TextBody!.ReplaceLineEndings("\n").TrimEnd());
        Assert.Equal(OutboxEmailSender.DefaultFrom, Assert.Single(mime.From.Mailboxes).Address);
    }

    [Fact(DisplayName = "Sending the same MsgId again replaces the file and leaves no temporary files")]
    public async Task Same_msgid_replaces()
    {
        await using var sender = Sender();

        await sender.SendAsync(Mail("out-3", subject: "first"), CancellationToken.None);
        await sender.SendAsync(Mail("out-3", subject: "second"), CancellationToken.None);

        Assert.Equal(["out-3.eml"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        Assert.Equal("second", (await MimeMessage.LoadAsync(sender.PathFor("out-3"))).Subject);
    }

    [Fact(DisplayName = "A MsgId with path characters cannot escape the outbox folder")]
    public async Task Msgid_cannot_escape()
    {
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("../../etc/x"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var file = Assert.Single(Directory.GetFiles(_folder));
        Assert.Equal("_._.._etc_x.eml", Path.GetFileName(file));
        Assert.Equal("../../etc/x", (await MimeMessage.LoadAsync(file)).Headers[EmailComposer.MsgIdHeader]);
    }

    [Fact(DisplayName = "A malformed recipient is a permanent failure and writes nothing")]
    public async Task Malformed_address_writes_nothing()
    {
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("out-4", "nobody"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("outbox", outcome.Provider);
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
