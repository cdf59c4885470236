using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Email;
using static MsgMate.Channels.Tests.TestSupport;

namespace MsgMate.Channels.Tests.Email;

/// <summary>Connection reuse, replacement of broken connections, and the pool bound, seen from the server side.</summary>
public sealed class SmtpConnectionPoolTests : IAsyncLifetime
{
    private readonly ScriptedSmtpServer _smtp = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    private SmtpEmailSender Sender(int poolSize, TimeSpan noopAfterIdle) => new(new EmailOptions
    {
        Host = _smtp.Host,
        Port = _smtp.Port,
        TlsMode = EmailTlsMode.None,
        From = "noreply@msgmate.test",
        PoolSize = poolSize,
        NoopAfterIdle = noopAfterIdle,
        Timeout = TimeSpan.FromSeconds(10),
    });

    [Fact(DisplayName = "Sequential messages reuse one connection")]
    public async Task Sequential_messages_reuse_the_connection()
    {
        await using var sender = Sender(poolSize: 4, noopAfterIdle: TimeSpan.FromHours(1));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(SendResult.Sent, (await sender.SendAsync(Mail($"seq-{i}"), CancellationToken.None)).Result);
        }

        Assert.Equal(1, _smtp.ConnectionCount);
        Assert.Equal(5, (await _smtp.WaitForMessagesAsync(5, Patience)).Count);
    }

    [Fact(DisplayName = "A pooled connection the server closed fails one attempt as retryable, then is replaced by a new one")]
    public async Task Broken_pooled_connection_is_replaced()
    {
        await using var sender = Sender(poolSize: 1, noopAfterIdle: TimeSpan.FromHours(1));
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(Mail("b-1"), CancellationToken.None)).Result);

        await _smtp.DropOpenConnectionsAsync();
        var broken = await sender.SendAsync(Mail("b-2"), CancellationToken.None);
        var replaced = await sender.SendAsync(Mail("b-2"), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, broken.Result);
        Assert.Equal(SendResult.Sent, replaced.Result);
        Assert.Equal(2, _smtp.ConnectionCount);
        Assert.Equal([1, 2], (await _smtp.WaitForMessagesAsync(2, Patience)).Select(m => m.ConnectionId));
    }

    [Fact(DisplayName = "An idle pooled connection is checked with NOOP; a stale one is replaced without failing the message")]
    public async Task Stale_connection_is_detected_by_noop()
    {
        await using var sender = Sender(poolSize: 1, noopAfterIdle: TimeSpan.Zero);
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(Mail("s-1"), CancellationToken.None)).Result);
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(Mail("s-2"), CancellationToken.None)).Result);
        Assert.Contains(_smtp.Commands, c => c.Verb == "NOOP" && c.ConnectionId == 1);

        await _smtp.DropOpenConnectionsAsync();
        var afterDrop = await sender.SendAsync(Mail("s-3"), CancellationToken.None);

        Assert.Equal(SendResult.Sent, afterDrop.Result);
        Assert.Equal(2, _smtp.ConnectionCount);
        Assert.Equal([1, 1, 2], (await _smtp.WaitForMessagesAsync(3, Patience)).Select(m => m.ConnectionId));
    }

    [Fact(DisplayName = "Many concurrent messages never open more than PoolSize connections at once, nor in total")]
    public async Task Concurrency_is_bounded_by_the_pool()
    {
        const int poolSize = 3;
        const int count = 30;
        await using var sender = Sender(poolSize, noopAfterIdle: TimeSpan.FromHours(1));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(i => sender.SendAsync(Mail($"c-{i}"), CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(SendResult.Sent, o.Result));
        var mails = await _smtp.WaitForMessagesAsync(count, Patience);
        Assert.Equal(count, mails.Select(m => m.Data).Distinct().Count());
        Assert.InRange(_smtp.ConnectionCount, 1, poolSize);
        Assert.InRange(_smtp.PeakOpenConnections, 1, poolSize);
        Assert.Equal(_smtp.ConnectionCount, mails.Select(m => m.ConnectionId).Distinct().Count());
    }

    [Fact(DisplayName = "Dispose says QUIT on idle connections")]
    public async Task Dispose_quits()
    {
        var sender = Sender(poolSize: 1, noopAfterIdle: TimeSpan.FromHours(1));
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(Mail("q-1"), CancellationToken.None)).Result);

        await sender.DisposeAsync();

        await _smtp.WaitForCommandAsync("QUIT", Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sender.SendAsync(Mail("q-2"), CancellationToken.None));
    }
}
