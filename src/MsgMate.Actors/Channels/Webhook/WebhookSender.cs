using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>Webhook settings, bound from <c>MsgMate:Webhook</c>.</summary>
public sealed class WebhookOptions
{
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections kept per receiving host.</summary>
    public int MaxConnectionsPerHost { get; set; } = 32;
}

/// <summary>
/// Channel 6: POSTs the message as JSON to the URL given as the recipient. 2xx is delivered; 408, 429 and 5xx
/// (and network errors, timeouts) are retryable; any other 4xx is permanent (the receiver refuses it).
/// </summary>
public sealed class WebhookSender : IProvider, IDisposable
{
    private readonly HttpClient _http;

    public WebhookSender(WebhookOptions options)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnectionsPerHost,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
        })
        {
            Timeout = options.Timeout,
        };
    }

    public Channel Channel => Channel.Webhook;

    public string Name => "webhook";

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        if (!Uri.TryCreate(message.To, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return SendOutcome.Permanent("webhook", "the recipient is not an http(s) URL");
        }
        var provider = $"webhook:{url.Host}";
        try
        {
            using var response = await _http.PostAsJsonAsync(url, new Payload(message.MsgId, message.Subject, message.Body, message.TemplateData), ct);
            var code = (int)response.StatusCode;
            return response.IsSuccessStatusCode ? SendOutcome.Ok(provider)
                : code is 408 or 429 or >= 500 ? SendOutcome.Retry(provider, $"HTTP {code} {response.ReasonPhrase}")
                : SendOutcome.Permanent(provider, $"HTTP {code} {response.ReasonPhrase}");
        }
        catch (HttpRequestException ex)
        {
            return SendOutcome.Retry(provider, $"request failed: {ex.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendOutcome.Retry(provider, "timed out");
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed record Payload(
        [property: JsonPropertyName("msgID")] string MsgId,
        [property: JsonPropertyName("subject")] string Subject,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("templateData")] IReadOnlyDictionary<string, string>? TemplateData);
}
