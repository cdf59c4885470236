using System.Net;
using MsgMate.Actors.Channels.Webhook;

namespace MsgMate.Channels.Tests.Webhook;

/// <summary>The address rule as a pure function: nothing here connects or resolves anything.</summary>
public sealed class WebhookAddressGuardTests
{
    private static readonly WebhookAllowList None = WebhookAllowList.Empty;

    [Theory(DisplayName = "Internal, reserved and special addresses are refused, with the reason")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.254", "loopback")]
    [InlineData("10.0.0.1", "private (10.0.0.0/8)")]
    [InlineData("172.16.0.1", "private (172.16.0.0/12)")]
    [InlineData("172.31.255.255", "private (172.16.0.0/12)")]
    [InlineData("192.168.1.10", "private (192.168.0.0/16)")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.100.100.200", "metadata")]
    [InlineData("169.254.169.254", "link-local (169.254.0.0/16); a cloud metadata service")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("192.0.0.192", "IETF")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("::1", "loopback (::1)")]
    [InlineData("::", "unspecified (::)")]
    [InlineData("fc00::1", "unique-local")]
    [InlineData("fd12:3456:789a::1", "unique-local")]
    [InlineData("fd00:ec2::254", "metadata")]
    [InlineData("fe80::1", "link-local (fe80::/10)")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1, which is loopback")]
    [InlineData("::ffff:10.0.0.1", "IPv4-mapped 10.0.0.1, which is private")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("::127.0.0.1", "IPv4-compatible")]
    [InlineData("64:ff9b::a9fe:a9fe", "NAT64 for 169.254.169.254")]
    [InlineData("64:ff9b::7f00:1", "NAT64 for 127.0.0.1")]
    [InlineData("64:ff9b:1::a00:1", "local-use NAT64")]
    [InlineData("2002:7f00:1::1", "6to4 for 127.0.0.1")]
    [InlineData("2002:c0a8:101::1", "6to4 for 192.168.1.1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo")]
    [InlineData("2001:db8::1", "documentation")]
    public void Refused(string address, string reason)
    {
        var decision = WebhookAddressGuard.Check(IPAddress.Parse(address), None);

        Assert.False(decision.Allowed);
        Assert.Contains(reason, decision.Reason);
    }

    [Theory(DisplayName = "Public addresses are allowed (data only: nothing is contacted), also as IPv4-mapped, NAT64 and 6to4 forms")]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("64:ff9b::5db8:d822")]
    [InlineData("2002:5db8:d822::1")]
    public void Public_allowed(string address)
    {
        var decision = WebhookAddressGuard.Check(IPAddress.Parse(address), None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Contains("public", decision.Reason);
    }

    [Fact(DisplayName = "AllowedNetworks exempts addresses inside them (IPv4-mapped forms too) and nothing outside them")]
    public void Allowed_networks()
    {
        var allow = WebhookAllowList.Parse([], ["127.0.0.0/8", "fd00:1234::/32", "10.1.2.3"]);

        Assert.True(WebhookAddressGuard.Check(IPAddress.Parse("127.0.0.1"), allow).Allowed);
        Assert.Contains("127.0.0.0/8", WebhookAddressGuard.Check(IPAddress.Parse("127.0.0.1"), allow).Reason);
        Assert.True(WebhookAddressGuard.Check(IPAddress.Parse("::ffff:127.0.0.1"), allow).Allowed);
        Assert.True(WebhookAddressGuard.Check(IPAddress.Parse("fd00:1234::5"), allow).Allowed);
        Assert.True(WebhookAddressGuard.Check(IPAddress.Parse("10.1.2.3"), allow).Allowed);
        Assert.False(WebhookAddressGuard.Check(IPAddress.Parse("10.1.2.4"), allow).Allowed);
        Assert.False(WebhookAddressGuard.Check(IPAddress.Parse("::1"), allow).Allowed);
        Assert.False(WebhookAddressGuard.Check(IPAddress.Parse("169.254.169.254"), allow).Allowed);
    }

    [Theory(DisplayName = "URLs with an address literal are judged on the address; only http and https pass")]
    [InlineData("http://127.0.0.1:8080/hook", false, "loopback")]
    [InlineData("http://[::1]/hook", false, "loopback")]
    [InlineData("http://[::ffff:127.0.0.1]/hook", false, "IPv4-mapped")]
    [InlineData("http://169.254.169.254/latest/meta-data/", false, "metadata")]
    [InlineData("http://0.0.0.0/", false, "unspecified")]
    [InlineData("http://2130706433/", false, "loopback")]
    [InlineData("http://0x7f000001/", false, "loopback")]
    [InlineData("https://93.184.216.34/hook", true, "public")]
    [InlineData("ftp://93.184.216.34/x", false, "only http and https")]
    [InlineData("file:///etc/passwd", false, "only http and https")]
    public void Uri_with_literal(string url, bool allowed, string reason)
    {
        var decision = WebhookAddressGuard.CheckUri(new Uri(url), null, None);

        Assert.Equal(allowed, decision.Allowed);
        Assert.Contains(reason, decision.Reason);
    }

    [Theory(DisplayName = "Internal-looking names are refused before any resolution")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", ".internal")]
    [InlineData("http://instance-data.ec2.internal/", ".internal")]
    [InlineData("http://localhost:5000/", "single-label")]
    [InlineData("http://api.localhost/", ".localhost")]
    [InlineData("http://LOCALHOST./", "single-label")]
    [InlineData("http://printer.local/", ".local")]
    [InlineData("http://router.home.arpa/", ".home.arpa")]
    [InlineData("http://redis:6379/", "single-label")]
    [InlineData("http://metadata.goog/", "metadata")]
    public void Internal_names(string url, string reason)
    {
        var decision = WebhookAddressGuard.CheckUri(new Uri(url), null, None);

        Assert.False(decision.Allowed);
        Assert.Contains(reason, decision.Reason);
    }

    [Fact(DisplayName = "A name passes only when every address it resolved to passes (a name resolving to loopback is refused)")]
    public void Resolved_addresses_must_all_pass()
    {
        var url = new Uri("https://hooks.example.com/in");

        var pending = WebhookAddressGuard.CheckUri(url, null, None);
        var toLoopback = WebhookAddressGuard.CheckUri(url, [IPAddress.Loopback], None);
        var mixed = WebhookAddressGuard.CheckUri(url, [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.7")], None);
        var mappedMetadata = WebhookAddressGuard.CheckUri(url, [IPAddress.Parse("::ffff:169.254.169.254")], None);
        var nothing = WebhookAddressGuard.CheckUri(url, [], None);
        var publicOnly = WebhookAddressGuard.CheckUri(url, [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946")], None);

        Assert.True(pending.Allowed);
        Assert.False(toLoopback.Allowed);
        Assert.Contains("hooks.example.com resolves to a refused address: 127.0.0.1 is loopback", toLoopback.Reason);
        Assert.False(mixed.Allowed);
        Assert.Contains("10.0.0.7", mixed.Reason);
        Assert.False(mappedMetadata.Allowed);
        Assert.False(nothing.Allowed);
        Assert.True(publicOnly.Allowed, publicOnly.Reason);
    }

    [Fact(DisplayName = "AllowedHosts exempts a name (exact or *.suffix) whatever it resolves to; AllowedNetworks exempts resolved addresses")]
    public void Allow_list_exemptions()
    {
        var allow = WebhookAllowList.Parse(["sink.test.example", "*.svc.cluster.example", "receiver"], ["192.168.50.0/24"]);

        Assert.True(WebhookAddressGuard.CheckUri(new Uri("http://sink.test.example/"), [IPAddress.Loopback], allow).Allowed);
        Assert.True(WebhookAddressGuard.CheckUri(new Uri("http://SINK.test.example./"), [IPAddress.Loopback], allow).Allowed);
        Assert.True(WebhookAddressGuard.CheckUri(new Uri("http://hooks.ns.svc.cluster.example/"), [IPAddress.Parse("10.0.0.9")], allow).Allowed);
        Assert.False(WebhookAddressGuard.CheckUri(new Uri("http://svc.cluster.example/"), [IPAddress.Parse("10.0.0.9")], allow).Allowed);
        Assert.True(WebhookAddressGuard.CheckUri(new Uri("http://receiver:8080/"), null, allow).Allowed);
        Assert.True(WebhookAddressGuard.CheckUri(new Uri("http://nas.example.org/"), [IPAddress.Parse("192.168.50.4")], allow).Allowed);
        Assert.False(WebhookAddressGuard.CheckUri(new Uri("http://nas.example.org/"), [IPAddress.Parse("192.168.50.4"), IPAddress.Parse("192.168.51.4")], allow).Allowed);
        Assert.False(WebhookAddressGuard.CheckUri(new Uri("http://other.example.org/"), [IPAddress.Loopback], allow).Allowed);
        Assert.False(WebhookAddressGuard.CheckUri(new Uri("http://127.0.0.1/"), null, allow).Allowed);
    }

    [Fact(DisplayName = "Bad allow-list entries are reported one by one (an address among the hosts, a malformed CIDR)")]
    public void Bad_allow_list_entries()
    {
        Assert.False(WebhookAllowList.TryParse(["127.0.0.1", "http://x.example/", "ok.example"], ["10.0.0.0/33", "not-a-network", "10.0.0.0/8"], out _, out var errors));

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.Contains("'127.0.0.1'") && e.Contains("AllowedNetworks"));
        Assert.Contains(errors, e => e.Contains("'http://x.example/'"));
        Assert.Contains(errors, e => e.Contains("'10.0.0.0/33'"));
        Assert.Contains(errors, e => e.Contains("'not-a-network'"));
    }
}
