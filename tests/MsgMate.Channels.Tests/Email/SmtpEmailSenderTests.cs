using MimeKit;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Email;
using netDumbster.smtp;
using static MsgMate.Channels.Tests.TestSupport;

namespace MsgMate.Channels.Tests.Email;

/// <summary>The SMTP sender against a real in-process SMTP server (netDumbster).</summary>
/// <remarks>
/// netDumbster 3.x serves one connection at a time (its accept loop handles each socket to the end before accepting
/// the next), so a second pooled connection would not even be greeted while the first is open. The pool bound with
/// PoolSize &gt; 1 is therefore proven against <see cref="ScriptedSmtpServer"/>, which serves connections concurrently;
/// here concurrency is shown with PoolSize 1.
/// </remarks>
public sealed class SmtpEmailSenderTests : IDisposable
{
    private readonly SimpleSmtpServer _server = SimpleSmtpServer.Start();

    public void Dispose() => _server.Dispose();

    private SmtpEmailSender Sender(int poolSize = 4) => new(new EmailOptions
    {
        Host = "127.0.0.1",
        Port = _server.Configuration.Port,
        TlsMode = EmailTlsMode.None,
        From = "noreply@msgmate.test",
        FromName = "MsgMate",
        PoolSize = poolSize,
        Timeout = TimeSpan.FromSeconds(10),
    });

    [Fact(DisplayName = "An HTML message arrives with recipient, subject, HTML part, derived text part and the MsgId in Message-Id")]
    public async Task Html_message_is_delivered()
    {
        await using var sender = Sender();
        const string html = "<h1>Hello 张三</h1><p>Your code is <b>1234</b>.<br>Thanks</p>";

        var outcome = await sender.SendAsync(Mail("msg-0001", "bob@example.com", "验证码 / code", html, isHtml: true), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("smtp:127.0.0.1"), outcome);
        await WaitForCountAsync(1);
        var received = Assert.Single(_server.ReceivedEmail);
        Assert.Equal("bob@example.com", Assert.Single(received.ToAddresses).Address);
        Assert.Equal("noreply@msgmate.test", received.FromAddress.Address);

        var mime = ParseMime(received.Data);
        Assert.Equal("验证码 / code", mime.Subject);
        Assert.Equal("bob@example.com", Assert.Single(mime.To.Mailboxes).Address);
        Assert.Equal("MsgMate", Assert.Single(mime.From.Mailboxes).Name);
        Assert.Equal("msg-0001@msgmate.test", mime.MessageId);
        Assert.Equal("msg-0001", mime.Headers[EmailComposer.MsgIdHeader]);
        var alternative = Assert.IsType<MultipartAlternative>(mime.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        Assert.Equal(html, mime.HtmlBody!.TrimEnd());
        Assert.Equal("Hello 张三\n\nYour code is 1234.\nThanks", mime.TextBody!.ReplaceLineEndings("\n").TrimEnd());
    }

    [Fact(DisplayName = "A text message has a single text/plain part and no HTML")]
    public async Task Text_message_has_only_a_text_part()
    {
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("msg-0002", body: "Plain <not a tag> & text"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        await WaitForCountAsync(1);
        var mime = ParseMime(Assert.Single(_server.ReceivedEmail).Data);
        var part = Assert.IsType<TextPart>(mime.Body);
        Assert.Equal("text/plain", part.ContentType.MimeType);
        Assert.Equal("Plain <not a tag> & text", part.Text.TrimEnd());
        Assert.Null(mime.HtmlBody);
        Assert.Contains("msg-0002", mime.MessageId);
    }

    [Fact(DisplayName = "N concurrent messages are all delivered, each once, over at most PoolSize connections counted at the server")]
    public async Task Concurrent_sends_share_the_pool()
    {
        const int poolSize = 1;
        const int count = 20;
        await using var sender = Sender(poolSize);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(i => sender.SendAsync(Mail($"msg-{i:D3}", $"user{i}@example.com"), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        await WaitForCountAsync(count);
        var mails = _server.ReceivedEmail;
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"msg-{i:D3}@msgmate.test").Order(),
            mails.Select(m => ParseMime(m.Data).MessageId).Order());
        // One client endpoint per connection, as the server saw them.
        var connections = mails.Select(m => (m.RemoteIPAddress.ToString(), m.RemotePort)).Distinct().Count();
        Assert.Equal(poolSize, connections);
        Assert.Equal(poolSize, sender.ConnectionsOpened);
    }

    private async Task WaitForCountAsync(int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReceived(object? _, MessageReceivedArgs __)
        {
            if (_server.ReceivedEmailCount >= count)
            {
                reached.TrySetResult();
            }
        }
        _server.MessageReceived += OnReceived;
        try
        {
            if (_server.ReceivedEmailCount < count)
            {
                await reached.Task.WaitAsync(Patience);
            }
        }
        finally
        {
            _server.MessageReceived -= OnReceived;
        }
    }
}
