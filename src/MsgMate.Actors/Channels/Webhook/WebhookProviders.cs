using System.Net;
using Microsoft.Extensions.Logging;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>Creates the webhook providers of a node from its settings.</summary>
public static class WebhookProviders
{
    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and returns the
    /// registrations: always the direct-URL provider <c>webhook</c> (its policy from the section's own provider
    /// settings), then one <c>webhook:&lt;name&gt;</c> per configured endpoint. They share one
    /// <see cref="WebhookTransport"/> (one connection pool with the address guard in its connect step); it is
    /// closed when every provider has been disposed. Logs once which providers exist — names, whether they sign, the
    /// allow-list — never a secret or an endpoint URL.
    /// </summary>
    /// <remarks>
    /// Unlike the other vendor clients this one does not take an <see cref="HttpClient"/> from the caller: the SSRF
    /// guard lives in the handler's connect callback, and a client built elsewhere would silently lack it.
    /// </remarks>
    /// <param name="defaultRatePerSecond">Rate of a provider that sets none (the channel's quota); 0: none.</param>
    /// <param name="resolve">Host name resolution (default: DNS); tests pass a fake.</param>
    public static IReadOnlyList<ProviderRegistration> Create(
        WebhookOptions options,
        TimeProvider clock,
        ILoggerFactory logs,
        double defaultRatePerSecond = 0,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logs);
        options.ThrowIfInvalid();
        var transport = new WebhookTransport(options, resolve);
        var registrations = new List<ProviderRegistration>
        {
            new(new WebhookSender(options, transport, clock), options.Policy(defaultRatePerSecond)),
        };
        foreach (var (name, endpoint) in options.Endpoints.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
        {
            registrations.Add(new(new WebhookSender(options, transport, clock, name), endpoint.Policy(defaultRatePerSecond)));
        }

        var log = logs.CreateLogger(typeof(WebhookProviders));
        var providers = string.Join(", ", registrations.Select(r => $"{r.Provider.Name} ({(((WebhookSender)r.Provider).Signs ? "signed" : "unsigned")})"));
        var allow = transport.AllowList;
        log.LogInformation(
            "Webhook channel: providers {Providers}; allowed hosts [{Hosts}], allowed networks [{Networks}]; up to {MaxRedirects} redirects followed, timeout {Timeout}",
            providers, string.Join(", ", allow.Hosts), string.Join(", ", allow.Networks), options.MaxRedirects, options.Timeout);
        if (!allow.IsEmpty)
        {
            log.LogWarning("Webhook channel: the allow-list exempts some targets from the address rules (loopback/private/link-local refusal)");
        }
        return registrations;
    }
}
