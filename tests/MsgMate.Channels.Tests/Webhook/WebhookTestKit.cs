using System.Security.Cryptography;
using System.Text;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Webhook;
using MsgMate.Actors.Common;
using WireMock.Logging;
using WireMock.Server;

namespace MsgMate.Channels.Tests.Webhook;

/// <summary>One WireMock fake per test class (tests of a class run one after another); each test starts from <see cref="WireMockServer.Reset"/>.</summary>
public sealed class FakeReceiver : IDisposable
{
    public WireMockServer Server { get; } = WebhookTestKit.StartFake();

    public void Dispose() => Server.Dispose();
}

/// <summary>A clock standing still at a chosen instant.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

public static class WebhookTestKit
{
    /// <summary>2021-02-26T00:22:10Z, the instant of the Standard Webhooks test vector.</summary>
    public static readonly DateTimeOffset Instant = DateTimeOffset.FromUnixTimeSeconds(1614265330);

    /// <summary>A 32-byte key and its configured form.</summary>
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    public static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);

    public static OutboundMessage Hook(string to, string msgId = "3f2b9c1e-0d4a-4c51-9a77-1f0e2d3c4b5a", string subject = "S", string body = "hook 1",
        IReadOnlyDictionary<string, string>? data = null) =>
        new(msgId, Channel.Webhook, to, subject, body, false, TemplateData: data ?? new Dictionary<string, string> { ["x"] = "1" });

    /// <summary>Settings with the loopback test fakes allow-listed (nothing else is).</summary>
    public static WebhookOptions LoopbackAllowed(Action<WebhookOptions>? change = null)
    {
        var options = new WebhookOptions { AllowedNetworks = ["127.0.0.0/8"], Timeout = TestSupport.Patience };
        change?.Invoke(options);
        return options;
    }

    /// <summary>The fake, addressed by its IPv4 loopback address (WireMock listens on localhost).</summary>
    public static WireMockServer StartFake() => WireMockServer.Start();

    public static string Url(this WireMockServer server, string pathAndQuery) => $"http://127.0.0.1:{server.Port}{pathAndQuery}";

    public static WireMock.IRequestMessage Request(this ILogEntry entry) => entry.RequestMessage ?? throw new InvalidOperationException("no request");

    public static string? Header(this ILogEntry entry, string name) =>
        entry.Request().Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    public static bool HasHeader(this ILogEntry entry, string name) =>
        entry.Request().Headers?.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) == true;

    /// <summary>Standard Webhooks v1 verification written independently of the code under test (as a receiver would).</summary>
    public static bool Verifies(string secret, string? id, string? timestamp, byte[] body, string? signatureHeader)
    {
        if (id is null || timestamp is null || signatureHeader is null)
        {
            return false;
        }
        var key = secret.StartsWith("whsec_", StringComparison.Ordinal) ? Convert.FromBase64String(secret.Substring(6)) : Encoding.UTF8.GetBytes(secret);
        using var hmac = new HMACSHA256(key);
        var signed = Encoding.UTF8.GetBytes(id + "." + timestamp + ".").Concat(body).ToArray();
        var expected = Encoding.ASCII.GetBytes("v1," + Convert.ToBase64String(hmac.ComputeHash(signed)));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(entry => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry), expected));
    }
}
