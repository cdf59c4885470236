using System.Net;
using System.Net.Sockets;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>Refused by the address rules while connecting; the sender turns it into a permanent failure with the reason.</summary>
public sealed class WebhookAddressRefusedException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The connection layer shared by the webhook providers of a node: one HTTP client (one connection pool) whose
/// connections are made by <see cref="ConnectAsync"/>, which resolves the host itself, checks every resolved
/// address with <see cref="WebhookAddressGuard"/> and connects to the checked address — so a DNS answer that
/// changes between check and connect (rebinding) cannot lead anywhere else. No proxy (it would connect for us,
/// unchecked), no automatic redirects (the sender follows them, checking each), no cookies, no credentials.
/// Disposed when the last sender using it is disposed.
/// </summary>
public sealed class WebhookTransport : IDisposable
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private int _users;
    private int _disposed;

    /// <param name="resolve">Resolves a host name (default <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>); tests pass a fake.</param>
    public WebhookTransport(WebhookOptions options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        AllowList = options.AllowList();
        Timeout = options.Timeout;
        MaxRedirects = options.MaxRedirects;
        MaxRetryAfter = options.MaxRetryAfter;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnectionsPerHost,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            // Connections are renewed now and then, so a host's new DNS answer is used (and checked again).
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.Timeout,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            Credentials = null,
            PreAuthenticate = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
        };
        Http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public WebhookAllowList AllowList { get; }

    public TimeSpan Timeout { get; }

    public int MaxRedirects { get; }

    public TimeSpan MaxRetryAfter { get; }

    internal HttpClient Http { get; }

    internal void Retain() => Interlocked.Increment(ref _users);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _users) <= 0)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Http.Dispose();
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = WebhookAddressGuard.NormalizeHost(context.DnsEndPoint.Host);
        var port = context.DnsEndPoint.Port;
        IPAddress[] addresses;
        if (WebhookAddressGuard.TryParseAddress(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            // What the name alone decides is decided before any DNS query for it.
            var before = WebhookAddressGuard.CheckHost(host, null, AllowList);
            if (!before.Allowed)
            {
                throw new WebhookAddressRefusedException(before.Reason);
            }
            addresses = await _resolve(host, ct).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }
        }
        var decision = WebhookAddressGuard.CheckHost(host, addresses, AllowList);
        if (!decision.Allowed)
        {
            throw new WebhookAddressRefusedException(decision.Reason);
        }
        Exception? last = null;
        foreach (var checkedAddress in addresses)
        {
            // An IPv4-mapped answer is connected over IPv4 (an IPv6 socket would need dual mode).
            var address = checkedAddress.IsIPv4MappedToIPv6 ? checkedAddress.MapToIPv4() : checkedAddress;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }
}
