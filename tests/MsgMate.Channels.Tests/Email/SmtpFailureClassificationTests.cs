using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Email;
using static MsgMate.Channels.Tests.TestSupport;

namespace MsgMate.Channels.Tests.Email;

/// <summary>How SMTP failures become outcomes, against the scripted server.</summary>
public sealed class SmtpFailureClassificationTests : IAsyncLifetime
{
    private readonly ScriptedSmtpServer _smtp = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    private SmtpEmailSender Sender(Action<EmailOptions>? configure = null, int? port = null)
    {
        var options = new EmailOptions
        {
            Host = _smtp.Host,
            Port = port ?? _smtp.Port,
            TlsMode = EmailTlsMode.None,
            From = "noreply@msgmate.test",
            PoolSize = 1,
            Timeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return new SmtpEmailSender(options);
    }

    [Theory(DisplayName = "451 (at RCPT or after DATA) is retryable; once the server accepts, the message is sent on the same connection")]
    [InlineData(SmtpStage.RcptTo)]
    [InlineData(SmtpStage.DataEnd)]
    public async Task Temporary_failure_then_sent(SmtpStage stage)
    {
        _smtp.FailDeliveries(2, 451, "4.7.1 Greylisted, try again later", stage);
        await using var sender = Sender();

        var first = await sender.SendAsync(Mail("m-1"), CancellationToken.None);
        var second = await sender.SendAsync(Mail("m-1"), CancellationToken.None);
        var third = await sender.SendAsync(Mail("m-1"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, first.Result);
        Assert.StartsWith("SMTP 451", first.Error);
        Assert.Equal(SendResult.RetryableFailure, second.Result);
        Assert.Equal(SendResult.Sent, third.Result);
        var mail = Assert.Single(await _smtp.WaitForMessagesAsync(1, Patience));
        Assert.Equal(["alice@example.com"], mail.Recipients);
        // A refusal is an answer, not a broken connection: MailKit resets the transaction; no reconnect, no new login.
        Assert.Equal(1, _smtp.ConnectionCount);
        Assert.Equal(2, _smtp.Commands.Count(c => c.Verb == "RSET" && c.ConnectionId == 1));
    }

    [Fact(DisplayName = "550 at RCPT is permanent, and the error shows the address only masked and no content")]
    public async Task Mailbox_unavailable_is_permanent()
    {
        _smtp.RejectAllDeliveries(550, "5.1.1 <alice@example.com>: Recipient address rejected: User unknown");
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("m-2", body: "secret body"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("smtp:127.0.0.1", outcome.Provider);
        Assert.StartsWith("SMTP 550 on RCPT TO", outcome.Error);
        Assert.DoesNotContain("alice", outcome.Error);
        Assert.Contains("<a***@example.com>", outcome.Error);
        Assert.DoesNotContain("secret", outcome.Error);
        Assert.Empty(_smtp.Messages);
    }

    [Fact(DisplayName = "554 after DATA (content rejected) is permanent, and the connection stays usable (RSET, not reconnect)")]
    public async Task Content_rejected_is_permanent()
    {
        _smtp.On(SmtpStage.DataEnd, SmtpAction.Reply(554, "5.7.1 Message content rejected"), times: 1);
        await using var sender = Sender();

        var rejected = await sender.SendAsync(Mail("m-3"), CancellationToken.None);
        var next = await sender.SendAsync(Mail("m-4"), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, rejected.Result);
        Assert.StartsWith("SMTP 554 on DATA", rejected.Error);
        Assert.Equal(SendResult.Sent, next.Result);
        Assert.Equal(1, _smtp.ConnectionCount);
        Assert.Contains(_smtp.Commands, c => c.Verb == "RSET" && c.ConnectionId == 1);
    }

    [Fact(DisplayName = "A refused connection (closed port) is retryable")]
    public async Task Connection_refused_is_retryable()
    {
        await using var sender = Sender(port: ClosedPort());

        var outcome = await sender.SendAsync(Mail("m-5"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("refused", outcome.Error);
    }

    [Fact(DisplayName = "A server that drops the connection during DATA gives a retryable failure; the next message goes over a new connection")]
    public async Task Dropped_connection_is_retryable()
    {
        _smtp.DropConnectionAt(SmtpStage.DataEnd);
        await using var sender = Sender();

        var dropped = await sender.SendAsync(Mail("m-6"), CancellationToken.None);
        var next = await sender.SendAsync(Mail("m-6"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, dropped.Result);
        Assert.Equal(SendResult.Sent, next.Result);
        Assert.Equal(2, _smtp.ConnectionCount);
        Assert.Equal(2, _smtp.Messages.Single().ConnectionId);
    }

    [Fact(DisplayName = "A server that stops answering times out as a retryable failure within the configured timeout")]
    public async Task Timeout_is_retryable()
    {
        _smtp.On(SmtpStage.DataEnd, SmtpAction.Stall, times: 1);
        // Short, for the stalled step to time out soon; not so short that the next send's steps (on loopback, on a
        // busy machine) could overrun it.
        await using var sender = Sender(o => o.Timeout = TimeSpan.FromSeconds(3));

        var outcome = await sender.SendAsync(Mail("m-7"), CancellationToken.None).WaitAsync(Patience);
        var next = await sender.SendAsync(Mail("m-7"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("timed out", outcome.Error);
        Assert.Equal(SendResult.Sent, next.Result);
    }

    [Fact(DisplayName = "A 421 greeting (service not available) is retryable")]
    public async Task Service_not_available_is_retryable()
    {
        _smtp.On(SmtpStage.Greeting, SmtpAction.Reply(421, "4.3.2 Too busy"), times: 1);
        await using var sender = Sender();

        var busy = await sender.SendAsync(Mail("m-8"), CancellationToken.None);
        var next = await sender.SendAsync(Mail("m-8"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, busy.Result);
        Assert.Equal(SendResult.Sent, next.Result);
    }

    [Theory(DisplayName = "A malformed recipient is permanent and costs no connection")]
    [InlineData("not an address")]
    [InlineData("bob")]
    [InlineData("bob@")]
    [InlineData("a@example.com, b@example.com")]
    [InlineData("")]
    public async Task Malformed_address_is_permanent(string to)
    {
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("m-9", to), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("the recipient is not a valid email address", outcome.Error);
        Assert.Equal(0, _smtp.ConnectionCount);
    }

    [Fact(DisplayName = "With the right credentials the sender logs in once and reuses the authenticated connection")]
    public async Task Authenticates_once_per_connection()
    {
        _smtp.RequireAuthentication("sender@msgmate.test", "auth-code-1");
        await using var sender = Sender(o => { o.Account = "sender@msgmate.test"; o.Password = "auth-code-1"; o.From = ""; });

        var first = await sender.SendAsync(Mail("m-10"), CancellationToken.None);
        var second = await sender.SendAsync(Mail("m-11"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, first.Result);
        Assert.Equal(SendResult.Sent, second.Result);
        Assert.Single(_smtp.Commands, c => c.Verb == "AUTH");
        Assert.All(await _smtp.WaitForMessagesAsync(2, Patience), m => Assert.Equal("sender@msgmate.test", m.MailFrom));
    }

    [Fact(DisplayName = "Refused credentials are retryable with a clear message, retried when the pause ends, and later sends fail fast without logging in again")]
    public async Task Authentication_failure_pauses()
    {
        _smtp.RequireAuthentication("sender@msgmate.test", "right-code");
        await using var sender = Sender(o => { o.Account = "sender@msgmate.test"; o.Password = "wrong-code"; o.AuthFailurePause = TimeSpan.FromMinutes(5); });

        var first = await sender.SendAsync(Mail("m-12"), CancellationToken.None);
        // MailKit tries each offered mechanism (PLAIN, then LOGIN) before giving up: all on one connection.
        var loginsAfterFirst = _smtp.Commands.Count(c => c.Verb == "AUTH");
        var second = await sender.SendAsync(Mail("m-13"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, first.Result);
        Assert.Contains("authentication failed", first.Error);
        Assert.Contains("MsgMate:Email:Password", first.Error);
        Assert.DoesNotContain("wrong-code", first.Error);
        Assert.Equal(SendResult.RetryableFailure, second.Result);
        Assert.Contains("paused", second.Error);
        // Retried after the pause, not on the policy's seconds-long backoff that would spend the budget meanwhile.
        Assert.Equal(TimeSpan.FromMinutes(5), first.RetryAfter);
        Assert.InRange(second.RetryAfter!.Value, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(5));
        Assert.Equal(1, _smtp.ConnectionCount);
        Assert.InRange(loginsAfterFirst, 1, 2);
        Assert.Equal(loginsAfterFirst, _smtp.Commands.Count(c => c.Verb == "AUTH"));
    }

    [Fact(DisplayName = "Credentials set but the server offers no AUTH: retryable configuration error, not a silent unauthenticated send")]
    public async Task No_auth_offered_is_a_configuration_error()
    {
        await using var sender = Sender(o => { o.Account = "sender@msgmate.test"; o.Password = "code"; });

        var outcome = await sender.SendAsync(Mail("m-14"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("does not support", outcome.Error);
        Assert.Empty(_smtp.Messages);
    }

    [Fact(DisplayName = "A server requiring AUTH while none is configured: retryable, naming the settings to fix")]
    public async Task Authentication_required_is_a_configuration_error()
    {
        _smtp.RequireAuthentication("sender@msgmate.test", "code");
        await using var sender = Sender();

        var outcome = await sender.SendAsync(Mail("m-15"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("MsgMate:Email:Account", outcome.Error);
    }

    [Fact(DisplayName = "Cancellation by the caller throws OperationCanceledException rather than reporting an outcome")]
    public async Task Cancellation_throws()
    {
        _smtp.On(SmtpStage.DataEnd, SmtpAction.Stall, times: 1);
        await using var sender = Sender();
        using var cts = new CancellationTokenSource();

        var sending = sender.SendAsync(Mail("m-16"), cts.Token);
        await _smtp.WaitForCommandAsync("DATA", Patience);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(Patience));
    }
}
