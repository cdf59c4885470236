using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>
/// Webhook settings, bound from <c>MsgMate:Webhook</c>. The provider settings on the section itself (Priority,
/// Concurrency, RatePerSecond, …) are those of the direct-URL provider <c>webhook</c>; each endpoint under
/// <see cref="Endpoints"/> is a provider of its own, <c>webhook:&lt;name&gt;</c>. See README.md in this folder.
/// </summary>
public sealed partial class WebhookOptions : ProviderSettings
{
    public const string Section = "MsgMate:Webhook";

    public WebhookOptions()
    {
        // As before the provider layer: as many sends under way as connections per host.
        Concurrency = 32;
    }

    /// <summary>Whole-send timeout (connect, request, redirects followed, response headers).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections kept per receiving host.</summary>
    public int MaxConnectionsPerHost { get; set; } = 32;

    /// <summary>
    /// Signing secret for URLs given directly as recipients: <c>whsec_&lt;base64 key&gt;</c> (Standard Webhooks), or a raw
    /// secret of at least 24 bytes whose UTF-8 bytes are the key. Empty: direct URLs are posted unsigned (the
    /// <c>webhook-id</c> and <c>webhook-timestamp</c> headers are still sent). Never logged.
    /// </summary>
    public string Secret { get; set; } = "";

    /// <summary>Named receivers: a recipient equal to a name is posted to that endpoint's URL, signed with its secret.</summary>
    public Dictionary<string, WebhookEndpointOptions> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Host names exempt from the address rules (exact, or <c>*.example.com</c>). Empty by default.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Networks (CIDR) exempt from the address rules, e.g. <c>127.0.0.0/8</c> for a local test sink. Empty by default.</summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>Redirects (301, 302, 303, 307, 308) followed per send, each target checked again; 0: none (a 3xx is then permanent).</summary>
    public int MaxRedirects { get; set; } = 3;

    /// <summary>The longest <c>Retry-After</c> (on 429 and 503) passed on; a longer one is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Reads <c>MsgMate:Webhook</c>; absent keys keep their defaults.</summary>
    public static WebhookOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<WebhookOptions>() ?? new WebhookOptions();

    /// <summary>The allow-list as parsed (throws <see cref="FormatException"/> for a bad entry; <see cref="Validate"/> lists them).</summary>
    public WebhookAllowList AllowList() => WebhookAllowList.Parse(AllowedHosts, AllowedNetworks);

    /// <summary>Configuration errors, worded for the operator (empty when valid). Never contains a secret.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:Timeout must be positive (was {Timeout}).");
        }
        if (MaxConnectionsPerHost < 1)
        {
            errors.Add($"{Section}:MaxConnectionsPerHost must be at least 1 (was {MaxConnectionsPerHost}).");
        }
        if (MaxRedirects is < 0 or > 10)
        {
            errors.Add($"{Section}:MaxRedirects must be between 0 and 10 (was {MaxRedirects}).");
        }
        if (MaxRetryAfter < TimeSpan.Zero)
        {
            errors.Add($"{Section}:MaxRetryAfter must not be negative.");
        }
        if (Secret.Length > 0 && !WebhookSignature.TryParseSecret(Secret, out _, out var secretError))
        {
            errors.Add($"{Section}:Secret {secretError}.");
        }
        if (!WebhookAllowList.TryParse(AllowedHosts, AllowedNetworks, out var allowList, out var listErrors))
        {
            errors.AddRange(listErrors.Select(e => $"{Section}:{e}."));
        }
        foreach (var (name, endpoint) in Endpoints ?? [])
        {
            var key = $"{Section}:Endpoints:{name}";
            if (!EndpointName().IsMatch(name))
            {
                errors.Add($"{key}: an endpoint name has 1 to 64 letters, digits, '.', '_' or '-'.");
            }
            if (endpoint is null)
            {
                errors.Add($"{key}: no settings.");
                continue;
            }
            if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"{key}:Url must be an absolute http(s) URL.");
            }
            else if (listErrors.Count == 0 && WebhookAddressGuard.CheckUri(url, null, allowList) is { Allowed: false } refused)
            {
                errors.Add($"{key}:Url is refused: {refused.Reason} (add it to {Section}:AllowedHosts or :AllowedNetworks if it is meant).");
            }
            if (endpoint.Secret.Length > 0 && !WebhookSignature.TryParseSecret(endpoint.Secret, out _, out var endpointSecretError))
            {
                errors.Add($"{key}:Secret {endpointSecretError}.");
            }
        }
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every configuration error.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid webhook settings: " + string.Join(" ", errors));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex EndpointName();
}

/// <summary>One named webhook receiver (<c>MsgMate:Webhook:Endpoints:&lt;name&gt;</c>), a provider named <c>webhook:&lt;name&gt;</c>.</summary>
public sealed class WebhookEndpointOptions : ProviderSettings
{
    /// <summary>Where its messages are posted (subject to the address rules like any URL).</summary>
    public string Url { get; set; } = "";

    /// <summary>Its signing secret (<c>whsec_…</c> or raw, as <see cref="WebhookOptions.Secret"/>); empty: unsigned. Never logged.</summary>
    public string Secret { get; set; } = "";
}
