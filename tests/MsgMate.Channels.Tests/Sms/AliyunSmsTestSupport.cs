using System.Security.Cryptography;
using System.Text;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using WireMock.Server;

namespace MsgMate.Channels.Tests.Sms;

/// <summary>A clock that says one fixed time.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Accepts connections and reads the requests but never answers (a vendor that hangs); closes them when disposed.</summary>
public sealed class SilentServer : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<System.Net.Sockets.TcpClient> _clients = [];

    public SilentServer()
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }
                }
                catch (Exception)
                {
                    return;
                }
            }
        });
    }

    public string Url => $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}/";

    public int Connections
    {
        get
        {
            lock (_clients)
            {
                return _clients.Count;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
        }
        _stop.Dispose();
    }
}

/// <summary>Messages, requests as the fake received them, and an independent recomputation of Aliyun's signature.</summary>
public static class AliyunSmsTestSupport
{
    public const string KeyId = "LTAI5tTestKeyId";

    public const string Secret = "s3cr3t-Test+Secret/Value";

    public const string Nonce = "0c1d2e3f-4a5b-4c6d-8e7f-112233445566";

    public const string Phone = "13812345678";

    /// <summary>With fractions, which the Timestamp must drop.</summary>
    public static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, 456, TimeSpan.Zero);

    public static OutboundMessage SmsMessage(
        string msgId = "msg-1", string to = Phone, string body = "Your code is 1234", string signName = "MsgMate",
        string templateCode = "SMS_123456", IReadOnlyDictionary<string, string>? data = null) =>
        new(msgId, Channel.Sms, to, "", body, false, signName, templateCode, data ?? new Dictionary<string, string> { ["code"] = "1234" });

    /// <summary>The raw body of the request, as bytes sent.</summary>
    public static string RawBody(WireMock.IRequestMessage request) =>
        request.BodyAsBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : request.Body ?? "";

    /// <summary>The form body decoded into its pairs, in the order sent.</summary>
    public static List<KeyValuePair<string, string>> FormPairs(string body) =>
        body.Split('&').Select(pair =>
        {
            var i = pair.IndexOf('=');
            return new KeyValuePair<string, string>(Uri.UnescapeDataString(pair[..i]), Uri.UnescapeDataString(pair[(i + 1)..]));
        }).ToList();

    public static Dictionary<string, string> Form(WireMock.IRequestMessage request) =>
        FormPairs(RawBody(request)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>
    /// Aliyun's signature computed here from the documented algorithm, not with the code under test:
    /// .NET's <see cref="Uri.EscapeDataString"/> is RFC 3986 (only A-Z a-z 0-9 - _ . ~ unescaped, upper-case hex).
    /// </summary>
    public static string ExpectedSignature(string method, IEnumerable<KeyValuePair<string, string>> parameters, string secret)
    {
        var canonical = string.Join("&", parameters
            .Where(p => p.Key != "Signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var stringToSign = method + "&" + Uri.EscapeDataString("/") + "&" + Uri.EscapeDataString(canonical);
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret + "&"));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static WireMock.IRequestMessage Single(WireMockServer server)
    {
        var entry = Assert.Single(server.LogEntries);
        return entry.RequestMessage!;
    }
}
