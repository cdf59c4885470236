using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Webhook;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static MsgMate.Channels.Tests.Webhook.WebhookTestKit;

namespace MsgMate.Channels.Tests.Webhook;

public sealed class WebhookProvidersTests
{
    private const string OrdersSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static void DisposeAll(IEnumerable<ProviderRegistration> registrations)
    {
        foreach (var r in registrations)
        {
            ((IDisposable)r.Provider).Dispose();
        }
    }

    [Fact(DisplayName = "Defaults: production-safe (empty allow-list), unsigned direct URLs, 10 s, 32 connections and sends, 3 redirects, valid")]
    public void Defaults()
    {
        var options = WebhookOptions.Bind(new ConfigurationBuilder().Build());

        Assert.Empty(options.AllowedNetworks);
        Assert.Empty(options.AllowedHosts);
        Assert.True(options.AllowList().IsEmpty);
        Assert.Equal("", options.Secret);
        Assert.Empty(options.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(32, options.MaxConnectionsPerHost);
        Assert.Equal(32, options.Concurrency);
        Assert.Equal(3, options.MaxRedirects);
        Assert.Empty(options.Validate());
    }

    [Fact(DisplayName = "Binds MsgMate:Webhook: AllowedNetworks and AllowedHosts as string arrays, Endpoints by name with Url, Secret and provider settings")]
    public void Binds_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MsgMate:Webhook:Timeout"] = "00:00:15",
                ["MsgMate:Webhook:MaxConnectionsPerHost"] = "8",
                ["MsgMate:Webhook:Secret"] = Secret,
                ["MsgMate:Webhook:AllowedNetworks:0"] = "127.0.0.0/8",
                ["MsgMate:Webhook:AllowedNetworks:1"] = "fd00::/8",
                ["MsgMate:Webhook:AllowedHosts:0"] = "*.svc.cluster.example",
                ["MsgMate:Webhook:Endpoints:orders:Url"] = "https://hooks.example.com/orders",
                ["MsgMate:Webhook:Endpoints:orders:Secret"] = OrdersSecret,
                ["MsgMate:Webhook:Endpoints:orders:Priority"] = "2",
                ["MsgMate:Webhook:Endpoints:orders:RatePerMinute"] = "120",
                ["MsgMate:Webhook:Endpoints:orders:Concurrency"] = "3",
            })
            .Build();

        var options = WebhookOptions.Bind(configuration);

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(15), options.Timeout);
        Assert.Equal(8, options.MaxConnectionsPerHost);
        Assert.Equal(["127.0.0.0/8", "fd00::/8"], options.AllowedNetworks);
        Assert.Equal(["*.svc.cluster.example"], options.AllowedHosts);
        var orders = options.Endpoints["orders"];
        Assert.Equal("https://hooks.example.com/orders", orders.Url);
        Assert.Equal(OrdersSecret, orders.Secret);
        Assert.Equal(new ProviderPolicy(Priority: 2, Weight: 1, Concurrency: 3, RatePerSecond: 2, Burst: 1), orders.Policy());
    }

    [Fact(DisplayName = "Create: the direct provider 'webhook' always, one 'webhook:<name>' per endpoint, with their policies; logged once without secrets or URLs")]
    public void Create_registrations()
    {
        var options = new WebhookOptions
        {
            Secret = Secret,
            RatePerSecond = 50,
            Endpoints =
            {
                ["orders"] = new WebhookEndpointOptions { Url = "https://hooks.example.com/orders?token=t0ps3cret", Secret = OrdersSecret, Priority = 1, Concurrency = 2 },
                ["audit"] = new WebhookEndpointOptions { Url = "https://audit.example.org/in" },
            },
        };
        var logs = new CapturingLoggerFactory();

        var registrations = WebhookProviders.Create(options, new FixedClock(Instant), logs, defaultRatePerSecond: 5);
        try
        {
            Assert.Equal(["webhook", "webhook:audit", "webhook:orders"], registrations.Select(r => r.Provider.Name));
            Assert.All(registrations, r => Assert.Equal(MsgMate.Actors.Common.Channel.Webhook, r.Provider.Channel));
            Assert.Equal(new ProviderPolicy(0, 1, 32, 50, 1), registrations[0].Policy);
            Assert.Equal(new ProviderPolicy(0, 1, 4, 5, 1), registrations[1].Policy);
            Assert.Equal(new ProviderPolicy(1, 1, 2, 5, 1), registrations[2].Policy);
            var entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Information);
            Assert.Contains("webhook (signed), webhook:audit (unsigned), webhook:orders (signed)", entry.Message);
            var all = string.Join("\n", logs.Entries.Select(e => e.Message));
            Assert.DoesNotContain("whsec_", all);
            Assert.DoesNotContain("t0ps3cret", all);
            Assert.DoesNotContain("hooks.example.com", all);
        }
        finally
        {
            DisposeAll(registrations);
        }
    }

    [Fact(DisplayName = "CanSend: an endpoint provider takes messages addressed to its name, the direct provider takes URLs")]
    public void Can_send()
    {
        var options = new WebhookOptions { Endpoints = { ["orders"] = new WebhookEndpointOptions { Url = "https://hooks.example.com/orders" } } };
        var registrations = WebhookProviders.Create(options, new FixedClock(Instant), new CapturingLoggerFactory());
        try
        {
            var direct = registrations.Single(r => r.Provider.Name == "webhook").Provider;
            var orders = registrations.Single(r => r.Provider.Name == "webhook:orders").Provider;

            Assert.True(orders.CanSend(Hook("orders")));
            Assert.True(orders.CanSend(Hook("Orders")));
            Assert.False(orders.CanSend(Hook("audit")));
            Assert.False(orders.CanSend(Hook("https://hooks.example.com/orders")));
            Assert.True(direct.CanSend(Hook("https://hooks.example.com/orders")));
            Assert.True(direct.CanSend(Hook("http://example.org/x")));
            Assert.False(direct.CanSend(Hook("orders")));
        }
        finally
        {
            DisposeAll(registrations);
        }
    }

    [Fact(DisplayName = "An endpoint by name: posted to its URL, signed with its own secret (not the default one); an endpoint without secret posts unsigned")]
    public async Task Endpoint_by_name()
    {
        using var fake = StartFake();
        fake.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var options = LoopbackAllowed(o =>
        {
            o.Secret = Secret;
            o.Endpoints["orders"] = new WebhookEndpointOptions { Url = fake.Url("/orders/in"), Secret = OrdersSecret };
            o.Endpoints["audit"] = new WebhookEndpointOptions { Url = fake.Url("/audit") };
        });
        var registrations = WebhookProviders.Create(options, new FixedClock(Instant), new CapturingLoggerFactory());
        try
        {
            var orders = registrations.Single(r => r.Provider.Name == "webhook:orders").Provider;
            var audit = registrations.Single(r => r.Provider.Name == "webhook:audit").Provider;

            var sent = await orders.SendAsync(Hook("orders", "m-orders"), CancellationToken.None);
            var sentAudit = await audit.SendAsync(Hook("audit", "m-audit"), CancellationToken.None);
            var wrong = await orders.SendAsync(Hook("audit", "m-wrong"), CancellationToken.None);

            Assert.Equal(SendOutcome.Ok("webhook:orders"), sent);
            Assert.Equal(SendOutcome.Ok("webhook:audit"), sentAudit);
            Assert.Equal(SendResult.PermanentFailure, wrong.Result);
            var toOrders = Assert.Single(fake.LogEntries, e => e.Request().Path == "/orders/in");
            var body = toOrders.Request().BodyAsBytes!;
            Assert.Equal("m-orders", toOrders.Header("webhook-id"));
            Assert.True(Verifies(OrdersSecret, "m-orders", toOrders.Header("webhook-timestamp"), body, toOrders.Header("webhook-signature")));
            Assert.False(Verifies(Secret, "m-orders", toOrders.Header("webhook-timestamp"), body, toOrders.Header("webhook-signature")));
            var toAudit = Assert.Single(fake.LogEntries, e => e.Request().Path == "/audit");
            Assert.False(toAudit.HasHeader("webhook-signature"));
            Assert.Equal("m-audit", toAudit.Header("webhook-id"));
            Assert.Equal(2, fake.LogEntries.Count());
        }
        finally
        {
            DisposeAll(registrations);
        }
    }

    [Fact(DisplayName = "Validation lists every problem (secrets, names, URLs, refused endpoint addresses, allow-list entries) and never a secret")]
    public void Validation()
    {
        var options = new WebhookOptions
        {
            Timeout = TimeSpan.Zero,
            MaxConnectionsPerHost = 0,
            MaxRedirects = 11,
            Secret = "too-short-secret",
            AllowedNetworks = ["10.0.0.0/99"],
            Endpoints =
            {
                ["bad/name"] = new WebhookEndpointOptions { Url = "https://hooks.example.com/x" },
                ["nourl"] = new WebhookEndpointOptions { Url = "" },
                ["ftp"] = new WebhookEndpointOptions { Url = "ftp://files.example.com/" },
                ["internal"] = new WebhookEndpointOptions { Url = "http://10.1.2.3/hook", Secret = "whsec_c2hvcnQ=" },
            },
        };

        var errors = options.Validate();
        var thrown = Assert.Throws<InvalidOperationException>(() => WebhookProviders.Create(options, TimeProvider.System, new CapturingLoggerFactory()));

        Assert.Contains(errors, e => e.Contains("MsgMate:Webhook:Timeout"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Webhook:MaxConnectionsPerHost"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Webhook:MaxRedirects"));
        Assert.Contains(errors, e => e.Contains("MsgMate:Webhook:Secret") && e.Contains("at least 24"));
        Assert.Contains(errors, e => e.Contains("'10.0.0.0/99'"));
        Assert.Contains(errors, e => e.Contains("Endpoints:bad/name") && e.Contains("endpoint name"));
        Assert.Contains(errors, e => e.Contains("Endpoints:nourl:Url"));
        Assert.Contains(errors, e => e.Contains("Endpoints:ftp:Url"));
        Assert.Contains(errors, e => e.Contains("Endpoints:internal:Secret"));
        Assert.DoesNotContain("too-short-secret", thrown.Message);
        Assert.DoesNotContain("c2hvcnQ", thrown.Message);
        Assert.Equal(9, errors.Count);
    }

    [Fact(DisplayName = "An endpoint URL at a refused address is a configuration error unless the allow-list covers it")]
    public void Endpoint_address_checked_at_start()
    {
        var refused = new WebhookOptions { Endpoints = { ["local"] = new WebhookEndpointOptions { Url = "http://127.0.0.1:9000/hook" } } };
        var named = new WebhookOptions { Endpoints = { ["meta"] = new WebhookEndpointOptions { Url = "http://metadata.google.internal/" } } };
        var allowed = new WebhookOptions
        {
            AllowedNetworks = ["127.0.0.0/8"],
            Endpoints = { ["local"] = new WebhookEndpointOptions { Url = "http://127.0.0.1:9000/hook" } },
        };

        Assert.Contains(refused.Validate(), e => e.Contains("Endpoints:local:Url is refused: 127.0.0.1 is loopback"));
        Assert.Contains(named.Validate(), e => e.Contains("Endpoints:meta:Url is refused") && e.Contains(".internal"));
        Assert.Empty(allowed.Validate());
    }
}
