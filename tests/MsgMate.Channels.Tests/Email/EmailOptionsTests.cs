using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels.Email;

namespace MsgMate.Channels.Tests.Email;

public sealed class EmailOptionsTests
{
    [Fact(DisplayName = "Defaults: not configured, port 25, STARTTLS when available, pool 4, 30 s, data/outbox")]
    public void Defaults()
    {
        var options = EmailOptions.Bind(new ConfigurationBuilder().Build());

        Assert.False(options.IsSmtpConfigured);
        Assert.Equal(25, options.Port);
        Assert.Equal(EmailTlsMode.StartTlsWhenAvailable, options.TlsMode);
        Assert.Equal(4, options.PoolSize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
        Assert.Equal("data/outbox", options.OutboxFolder);
        Assert.Empty(options.Validate());
    }

    [Fact(DisplayName = "Binds MsgMate:Email; a later source (as environment variables are) wins; From defaults to Account")]
    public void Binds_with_overrides()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MsgMate:Email:Host"] = "smtp.example.com",
                ["MsgMate:Email:Port"] = "587",
                ["MsgMate:Email:Account"] = "robot@example.com",
                ["MsgMate:Email:Password"] = "code",
                ["MsgMate:Email:TlsMode"] = "StartTls",
                ["MsgMate:Email:Timeout"] = "00:00:05",
            })
            .AddInMemoryCollection(new Dictionary<string, string?> { ["MsgMate:Email:Port"] = "465", ["MsgMate:Email:TlsMode"] = "SslOnConnect", ["MsgMate:Email:PoolSize"] = "2" })
            .Build();

        var options = EmailOptions.Bind(configuration);

        Assert.True(options.IsSmtpConfigured);
        Assert.Equal(465, options.Port);
        Assert.Equal(EmailTlsMode.SslOnConnect, options.TlsMode);
        Assert.Equal(2, options.PoolSize);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        Assert.Equal("robot@example.com", options.SenderAddress);
        Assert.True(options.HasCredentials);
        Assert.Empty(options.Validate());
        Assert.DoesNotContain("code", options.ToString());
    }

    [Fact(DisplayName = "Validation names every problem and never the password")]
    public void Validation()
    {
        var options = new EmailOptions { Host = "smtp.example.com", Port = 0, PoolSize = 0, Timeout = TimeSpan.Zero, Password = "p4ss" };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.Contains("Port"));
        Assert.Contains(errors, e => e.Contains("PoolSize"));
        Assert.Contains(errors, e => e.Contains("Timeout"));
        Assert.Contains(errors, e => e.Contains("Account"));
        Assert.DoesNotContain(errors, e => e.Contains("p4ss"));
        Assert.Throws<InvalidOperationException>(() => EmailSenders.Create(options, new CapturingLoggerFactory()));
    }

    [Fact(DisplayName = "The factory picks SMTP when a host is set and logs it once, without the password")]
    public async Task Factory_picks_smtp()
    {
        var logs = new CapturingLoggerFactory();

        var sender = EmailSenders.Create(new EmailOptions { Host = "smtp.example.com", Account = "robot@example.com", Password = "s3cret-code" }, logs);

        var smtp = Assert.IsType<SmtpEmailSender>(sender);
        Assert.Equal("smtp:smtp.example.com", smtp.Provider);
        var info = Assert.Single(logs.Entries, e => e.Level == LogLevel.Information);
        Assert.Contains("smtp.example.com", info.Message);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("s3cret-code"));
        await smtp.DisposeAsync();
    }

    [Fact(DisplayName = "The factory picks the outbox when no host is set and logs the folder once")]
    public async Task Factory_picks_outbox()
    {
        var folder = Path.Combine(Path.GetTempPath(), "msgmate-outbox-" + Guid.NewGuid().ToString("N"));
        var logs = new CapturingLoggerFactory();
        try
        {
            var sender = EmailSenders.Create(new EmailOptions { OutboxFolder = folder, Account = "robot@example.com", Password = "s3cret-code" }, logs);

            var outbox = Assert.IsType<OutboxEmailSender>(sender);
            Assert.Equal(Path.GetFullPath(folder), outbox.Folder);
            Assert.True(Directory.Exists(folder));
            var info = Assert.Single(logs.Entries, e => e.Level == LogLevel.Information);
            Assert.Contains("outbox", info.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("s3cret-code"));
            await outbox.DisposeAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
