using System.Net;
using System.Net.Sockets;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>Whether a webhook target may be called, and why (the reason names the address or host, never a path or query).</summary>
public readonly record struct GuardDecision(bool Allowed, string Reason)
{
    public static GuardDecision Allow(string reason) => new(true, reason);

    public static GuardDecision Refuse(string reason) => new(false, reason);
}

/// <summary>
/// Targets exempt from the address rules: host names (exact, or <c>*.example.com</c> for any name under it; the
/// addresses they resolve to are then not checked) and networks in CIDR form (<c>127.0.0.0/8</c>, <c>fd00::/8</c>;
/// a single address is its own /32 or /128). Empty by default: nothing internal is reachable.
/// </summary>
public sealed class WebhookAllowList
{
    public static readonly WebhookAllowList Empty = new([], []);

    private readonly string[] _exactHosts;
    private readonly string[] _hostSuffixes;

    public WebhookAllowList(IEnumerable<string> hosts, IEnumerable<IPNetwork> networks)
    {
        var all = hosts.Select(WebhookAddressGuard.NormalizeHost).Where(h => h.Length > 0).Distinct().ToArray();
        Hosts = all;
        _exactHosts = all.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)).ToArray();
        _hostSuffixes = all.Where(h => h.StartsWith("*.", StringComparison.Ordinal)).Select(h => h[1..]).ToArray();
        Networks = networks.Distinct().ToArray();
    }

    public IReadOnlyList<string> Hosts { get; }

    public IReadOnlyList<IPNetwork> Networks { get; }

    public bool IsEmpty => Hosts.Count == 0 && Networks.Count == 0;

    /// <summary>Parses configured entries; errors in words, one per bad entry.</summary>
    public static bool TryParse(IEnumerable<string>? hosts, IEnumerable<string>? networks, out WebhookAllowList allowList, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var goodHosts = new List<string>();
        foreach (var entry in hosts ?? [])
        {
            var host = WebhookAddressGuard.NormalizeHost(entry ?? "");
            var bare = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
            if (WebhookAddressGuard.TryParseAddress(bare, out _) || Uri.CheckHostName(bare) is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            {
                problems.Add($"AllowedHosts entry '{entry}' is an address; put it in AllowedNetworks");
            }
            else if (bare.Length == 0 || Uri.CheckHostName(bare) != UriHostNameType.Dns)
            {
                problems.Add($"AllowedHosts entry '{entry}' is not a host name (no scheme, port or path; '*.' may lead)");
            }
            else
            {
                goodHosts.Add(host);
            }
        }
        var goodNetworks = new List<IPNetwork>();
        foreach (var entry in networks ?? [])
        {
            if (TryParseNetwork(entry ?? "", out var network))
            {
                goodNetworks.Add(network);
            }
            else
            {
                problems.Add($"AllowedNetworks entry '{entry}' is not a network in CIDR form (e.g. 127.0.0.0/8, fd00::/8) or an address");
            }
        }
        errors = problems;
        allowList = problems.Count == 0 ? new WebhookAllowList(goodHosts, goodNetworks) : Empty;
        return problems.Count == 0;
    }

    /// <summary>Parses configured entries; throws <see cref="FormatException"/> listing the bad ones.</summary>
    public static WebhookAllowList Parse(IEnumerable<string>? hosts, IEnumerable<string>? networks) =>
        TryParse(hosts, networks, out var list, out var errors) ? list : throw new FormatException(string.Join("; ", errors));

    /// <summary>Whether a (normalized) host name is allow-listed.</summary>
    public bool AllowsHost(string host)
    {
        foreach (var exact in _exactHosts)
        {
            if (exact == host)
            {
                return true;
            }
        }
        foreach (var suffix in _hostSuffixes)
        {
            if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The allow-listed network holding the address (an IPv4-mapped address also matches its IPv4 networks).</summary>
    public bool Contains(IPAddress address, out IPNetwork network)
    {
        var v4 = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : null;
        foreach (var candidate in Networks)
        {
            if (candidate.Contains(address) || (v4 is not null && candidate.Contains(v4)))
            {
                network = candidate;
                return true;
            }
        }
        network = default;
        return false;
    }

    private static bool TryParseNetwork(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var single))
        {
            network = new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }
}

/// <summary>
/// The SSRF rule of the webhook channel, as pure functions (no I/O): only http and https; no loopback, private,
/// CGNAT, link-local (the cloud metadata services at 169.254.169.254 and fd00:ec2::254), unspecified, multicast,
/// broadcast, reserved or documentation address, judged on the embedded IPv4 for IPv4-mapped, NAT64 (64:ff9b::/96)
/// and 6to4 (2002::/16) forms; no internal-looking host name (single-label names, <c>localhost</c>, <c>*.local</c>,
/// <c>*.internal</c> such as metadata.google.internal, …); and a name passes only when every address it resolves to
/// passes. The allow-list exempts hosts and networks. The transport applies it when it connects (to the very
/// address checked) and the sender on every redirect.
/// </summary>
public static class WebhookAddressGuard
{
    private static readonly (IPNetwork Network, string What)[] RefusedV4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified ('this network', 0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private (10.0.0.0/8)"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared carrier-grade NAT space (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private (172.16.0.0/12)"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved for IETF protocol assignments (192.0.0.0/24)"),
        (IPNetwork.Parse("192.0.2.0/24"), "reserved for documentation (192.0.2.0/24)"),
        (IPNetwork.Parse("192.88.99.0/24"), "the deprecated 6to4 relay range (192.88.99.0/24)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private (192.168.0.0/16)"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved for benchmarking (198.18.0.0/15)"),
        (IPNetwork.Parse("198.51.100.0/24"), "reserved for documentation (198.51.100.0/24)"),
        (IPNetwork.Parse("203.0.113.0/24"), "reserved for documentation (203.0.113.0/24)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IPNetwork.Parse("255.255.255.255/32"), "the broadcast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    ];

    private static readonly (IPNetwork Network, string What)[] RefusedV6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified (::)"),
        (IPNetwork.Parse("::1/128"), "loopback (::1)"),
        (IPNetwork.Parse("::/96"), "a deprecated IPv4-compatible address (::/96)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local-use NAT64 address (64:ff9b:1::/48)"),
        (IPNetwork.Parse("100::/64"), "discard-only (100::/64)"),
        (IPNetwork.Parse("2001::/32"), "a Teredo tunnel address (2001::/32)"),
        (IPNetwork.Parse("2001:db8::/32"), "reserved for documentation (2001:db8::/32)"),
        (IPNetwork.Parse("3fff::/20"), "reserved for documentation (3fff::/20)"),
        (IPNetwork.Parse("fc00::/7"), "unique-local (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "link-local (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "site-local (fec0::/10, deprecated)"),
        (IPNetwork.Parse("ff00::/8"), "multicast (ff00::/8)"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private static readonly IPAddress[] MetadataAddresses = [IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00:ec2::254"), IPAddress.Parse("100.100.100.200")];

    /// <summary>Names that exist only inside a network (RFC 6761, RFC 8375, ICANN's reserved .internal, common private suffixes).</summary>
    private static readonly string[] InternalSuffixes =
        ["localhost", "local", "localdomain", "internal", "intranet", "home.arpa", "corp", "home", "lan"];

    /// <summary>The decision for one IP address.</summary>
    public static GuardDecision Check(IPAddress address, WebhookAllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(allowList);
        if (allowList.Contains(address, out var network))
        {
            return GuardDecision.Allow($"{address} is in the allowed network {network}");
        }
        var refused = RefusedBecause(address);
        return refused is null ? GuardDecision.Allow($"{address} is a public address") : GuardDecision.Refuse($"{address} is {refused}");
    }

    /// <summary>
    /// The decision for a URL. <paramref name="resolved"/> is what its host name resolved to; null decides what the URL
    /// alone decides (scheme, an address literal, an allow-listed or internal-looking name) and otherwise allows it
    /// pending resolution — the transport checks the resolved addresses when it connects.
    /// </summary>
    public static GuardDecision CheckUri(Uri uri, IReadOnlyList<IPAddress>? resolved, WebhookAllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            return GuardDecision.Refuse("the URL is not absolute");
        }
        if (uri.Scheme is not ("http" or "https"))
        {
            return GuardDecision.Refuse($"the scheme '{uri.Scheme}' is not allowed (only http and https)");
        }
        return CheckHost(uri.IdnHost, resolved, allowList);
    }

    /// <summary>As <see cref="CheckUri"/>, for a host (a name or an address literal, brackets allowed around IPv6).</summary>
    public static GuardDecision CheckHost(string host, IReadOnlyList<IPAddress>? resolved, WebhookAllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        var name = NormalizeHost(host ?? "");
        if (name.Length == 0)
        {
            return GuardDecision.Refuse("the URL has no host");
        }
        if (TryParseAddress(name, out var literal))
        {
            return Check(literal, allowList);
        }
        if (allowList.AllowsHost(name))
        {
            return GuardDecision.Allow($"{name} is an allowed host");
        }
        if (InternalName(name) is { } why)
        {
            return GuardDecision.Refuse($"the host {name} is {why}");
        }
        if (resolved is null)
        {
            return GuardDecision.Allow($"{name} is to be checked once resolved");
        }
        if (resolved.Count == 0)
        {
            return GuardDecision.Refuse($"{name} resolved to no address");
        }
        foreach (var address in resolved)
        {
            var decision = Check(address, allowList);
            if (!decision.Allowed)
            {
                return GuardDecision.Refuse($"{name} resolves to a refused address: {decision.Reason}");
            }
        }
        return GuardDecision.Allow($"{name} resolves to {string.Join(", ", resolved)}, all allowed");
    }

    /// <summary>Lower case, without IPv6 brackets and without the trailing dot of a fully qualified name.</summary>
    public static string NormalizeHost(string host)
    {
        var h = host.Trim().ToLowerInvariant();
        if (h.StartsWith('[') && h.EndsWith(']'))
        {
            h = h[1..^1];
        }
        return h.TrimEnd('.');
    }

    /// <summary>An address literal as the resolver would read it (dotted, or an IPv6 form, with an optional zone).</summary>
    internal static bool TryParseAddress(string normalizedHost, out IPAddress address)
    {
        address = IPAddress.None;
        // Only forms the OS resolver would also take as numbers: digits, dots, hex and colons (IPv6, zone after %).
        if (normalizedHost.Length == 0 || !normalizedHost.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '%' or 'x'))
        {
            return false;
        }
        return IPAddress.TryParse(normalizedHost, out address!);
    }

    private static string? RefusedBecause(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            foreach (var (network, what) in RefusedV4)
            {
                if (network.Contains(address))
                {
                    return MetadataAddresses.Contains(address) ? $"{what}; a cloud metadata service" : what;
                }
            }
            return null;
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            var v4 = address.MapToIPv4();
            return RefusedBecause(v4) is { } inner ? $"IPv4-mapped {v4}, which is {inner}" : null;
        }
        var plain = address.ScopeId == 0 ? address : new IPAddress(address.GetAddressBytes());
        foreach (var (network, what) in RefusedV6)
        {
            if (network.Contains(plain))
            {
                return MetadataAddresses.Contains(plain) ? $"{what}; a cloud metadata service" : what;
            }
        }
        var bytes = plain.GetAddressBytes();
        if (Nat64.Contains(plain))
        {
            var v4 = new IPAddress(bytes.AsSpan(12, 4));
            return RefusedBecause(v4) is { } inner ? $"NAT64 for {v4}, which is {inner}" : null;
        }
        if (SixToFour.Contains(plain))
        {
            var v4 = new IPAddress(bytes.AsSpan(2, 4));
            return RefusedBecause(v4) is { } inner ? $"6to4 for {v4}, which is {inner}" : null;
        }
        return null;
    }

    private static string? InternalName(string name)
    {
        if (!name.Contains('.'))
        {
            return "a single-label name (resolved through local search domains)";
        }
        foreach (var suffix in InternalSuffixes)
        {
            if (name == suffix || name.EndsWith("." + suffix, StringComparison.Ordinal))
            {
                return $"an internal name (.{suffix})";
            }
        }
        return name is "metadata.goog" ? "a cloud metadata service name" : null;
    }
}
