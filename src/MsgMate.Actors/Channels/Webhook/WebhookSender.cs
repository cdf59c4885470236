using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>
/// Channel 6: POSTs the message as JSON (<c>{msgID, subject, content, templateData}</c>) — as the direct-URL provider
/// <c>webhook</c> to the URL given as the recipient, as an endpoint provider <c>webhook:&lt;name&gt;</c> to its configured
/// URL for messages addressed to its name. Every POST carries the Standard Webhooks headers <c>webhook-id</c> (the
/// msgID, the same on every retry), <c>webhook-timestamp</c> (Unix seconds) and, when a secret is configured,
/// <c>webhook-signature</c> over the exact body bytes sent. Targets pass <see cref="WebhookAddressGuard"/> (and
/// every redirect target again). 2xx is delivered; 408, 429, 5xx, network errors and timeouts are retryable
/// (<c>Retry-After</c> on 429 and 503 is passed on); any other 4xx, a refused target and a redirect that cannot be
/// followed are permanent.
/// </summary>
public sealed class WebhookSender : IProvider, IDisposable
{
    public const string DirectName = "webhook";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private static readonly ProductInfoHeaderValue Agent = new("MsgMate-Webhook", "1.0");

    private readonly WebhookTransport _transport;
    private readonly TimeProvider _clock;
    private readonly Uri? _endpointUrl;
    private readonly byte[]? _key;
    private int _disposed;

    /// <summary>The direct-URL provider over a transport of its own (disposed with it).</summary>
    public WebhookSender(WebhookOptions options)
        : this(options, new WebhookTransport(options), TimeProvider.System)
    {
    }

    /// <summary>
    /// A provider over a shared <paramref name="transport"/>: the direct-URL provider when <paramref name="endpoint"/>
    /// is null, else the provider of that configured endpoint (a key of <see cref="WebhookOptions.Endpoints"/>).
    /// </summary>
    public WebhookSender(WebhookOptions options, WebhookTransport transport, TimeProvider clock, string? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(clock);
        options.ThrowIfInvalid();
        _transport = transport;
        _clock = clock;
        string secret;
        if (endpoint is null)
        {
            Name = DirectName;
            secret = options.Secret;
        }
        else
        {
            var (name, settings) = options.Endpoints.FirstOrDefault(e => string.Equals(e.Key, endpoint, StringComparison.OrdinalIgnoreCase));
            if (settings is null)
            {
                throw new ArgumentException($"no webhook endpoint '{endpoint}' is configured", nameof(endpoint));
            }
            EndpointName = name;
            Name = $"{DirectName}:{name}";
            _endpointUrl = new Uri(settings.Url, UriKind.Absolute);
            secret = settings.Secret;
        }
        _key = string.IsNullOrWhiteSpace(secret) ? null : WebhookSignature.ParseSecret(secret);
        transport.Retain();
    }

    public Channel Channel => Channel.Webhook;

    /// <summary><c>webhook</c> for direct URLs, <c>webhook:&lt;name&gt;</c> for a configured endpoint.</summary>
    public string Name { get; }

    /// <summary>The configured endpoint's name; null for the direct-URL provider.</summary>
    public string? EndpointName { get; }

    /// <summary>Whether posts are signed (a secret is configured for this provider).</summary>
    public bool Signs => _key is not null;

    /// <summary>An endpoint provider takes the messages addressed to its name; the direct provider takes http(s) URLs.</summary>
    public bool CanSend(OutboundMessage message) => EndpointName is not null
        ? string.Equals(message.To.Trim(), EndpointName, StringComparison.OrdinalIgnoreCase)
        : IsHttpUrl(message.To, out _);

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        Uri target;
        if (_endpointUrl is not null)
        {
            if (!CanSend(message))
            {
                return SendOutcome.Permanent(Name, "the recipient is not this endpoint's name");
            }
            target = _endpointUrl;
        }
        else if (!IsHttpUrl(message.To, out target))
        {
            return SendOutcome.Permanent(Name, "the recipient is not an http(s) URL");
        }

        if (!IsValidId(message.MsgId))
        {
            return SendOutcome.Permanent(Name, "the message id cannot be a webhook-id (printable ASCII without '.' required)");
        }

        // Serialized once: these bytes are signed and sent (also again after a redirect).
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new Payload(message.MsgId, message.Subject, message.Body, message.TemplateData), JsonSerializerOptions.Web);
        var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
        var signature = _key is null ? null : WebhookSignature.Sign(_key, message.MsgId, timestamp, body);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_transport.Timeout);
        var url = target;
        for (var redirects = 0; ; redirects++)
        {
            var after = redirects == 0 ? "" : $" (after {redirects} redirect{(redirects == 1 ? "" : "s")})";
            var check = WebhookAddressGuard.CheckUri(url, null, _transport.AllowList);
            if (!check.Allowed)
            {
                return SendOutcome.Permanent(Name, (redirects == 0 ? "target refused: " : "redirect target refused: ") + check.Reason);
            }
            HttpResponseMessage response;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = Json;
                request.Headers.UserAgent.Add(Agent);
                request.Headers.Add("webhook-id", message.MsgId);
                request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
                if (signature is not null)
                {
                    request.Headers.Add("webhook-signature", signature);
                }
                response = await _transport.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (Refusal(ex) is { } refusal)
            {
                return SendOutcome.Permanent(Name, (redirects == 0 ? "target refused: " : "redirect target refused: ") + refusal.Reason);
            }
            catch (HttpRequestException ex)
            {
                return SendOutcome.Retry(Name, $"request failed: {ex.HttpRequestError}{after}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return SendOutcome.Retry(Name, string.Create(CultureInfo.InvariantCulture, $"timed out after {_transport.Timeout.TotalSeconds:0.###} s{after}"));
            }

            using (response)
            {
                var code = (int)response.StatusCode;
                if (code is 301 or 302 or 303 or 307 or 308)
                {
                    if (response.Headers.Location is not { } location)
                    {
                        return SendOutcome.Permanent(Name, $"HTTP {code} without a Location header{after}");
                    }
                    if (redirects >= _transport.MaxRedirects)
                    {
                        return SendOutcome.Permanent(Name, _transport.MaxRedirects == 0
                            ? $"HTTP {code} redirect: redirects are not followed"
                            : $"HTTP {code} redirect: more than {_transport.MaxRedirects} redirects");
                    }
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (url.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
                    {
                        return SendOutcome.Permanent(Name, $"HTTP {code} redirect from https to http refused");
                    }
                    url = next;
                    continue;
                }
                if (response.IsSuccessStatusCode)
                {
                    return SendOutcome.Ok(Name);
                }
                var status = $"HTTP {code}{Phrase(response)}{after}";
                if (code is 408 or 429 or >= 500)
                {
                    var retryAfter = code is 429 or 503 ? RetryAfter(response) : null;
                    return SendOutcome.Retry(Name, status, retryAfter);
                }
                return SendOutcome.Permanent(Name, status);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _transport.Release();
        }
    }

    /// <summary>An absolute http(s) URL (what the direct provider takes).</summary>
    public static bool IsHttpUrl(string address, out Uri url)
    {
        if (Uri.TryCreate(address?.Trim(), UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
        {
            url = parsed;
            return true;
        }
        url = null!;
        return false;
    }

    /// <summary>The spec's ids: no '.', which separates the signed parts; header-safe characters.</summary>
    private static bool IsValidId(string id) => id.Length is > 0 and <= 256 && id.All(c => c is > ' ' and < '\x7f' and not '.');

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }
        var wait = header.Delta ?? (header.Date is { } date ? date - _clock.GetUtcNow() : TimeSpan.Zero);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > _transport.MaxRetryAfter ? _transport.MaxRetryAfter : wait;
    }

    private static WebhookAddressRefusedException? Refusal(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookAddressRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }

    /// <summary>The receiver's reason phrase, shortened and printable (it is text from outside).</summary>
    private static string Phrase(HttpResponseMessage response)
    {
        var phrase = new string((response.ReasonPhrase ?? "").Where(c => !char.IsControl(c)).Take(80).ToArray()).Trim();
        return phrase.Length == 0 ? "" : " " + phrase;
    }

    private sealed record Payload(
        [property: JsonPropertyName("msgID")] string MsgId,
        [property: JsonPropertyName("subject")] string Subject,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("templateData")] IReadOnlyDictionary<string, string>? TemplateData);
}
