using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace MsgMate.Cli;

/// <summary>The CLI's exit codes: what a script can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The node answered and refused (a non-zero code in its envelope).</summary>
    public const int Refused = 1;

    /// <summary>The command line is wrong (unknown verb, missing or bad argument or option).</summary>
    public const int Usage = 2;

    /// <summary>The node could not be reached (refused connection, no answer in time) or refused the key (401/403).</summary>
    public const int Unreachable = 3;
}

/// <summary>Ends a verb with an exit code and a one-line reason for stderr.</summary>
public sealed class CliFailure(int exitCode, string reason) : Exception(reason)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The only place that talks HTTP to a node: it sends the key as a Bearer token, reads the wire envelope
/// <c>{code, msg, …}</c> and turns every way a call can fail into a <see cref="CliFailure"/> with its exit code —
/// unreachable or unauthorised (3), refused by the node (1).
/// </summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public NodeClient(Uri node, string? key, TimeSpan timeout)
    {
        Node = node;
        _timeout = timeout;
        _http = new HttpClient { BaseAddress = node, Timeout = timeout };
        if (!string.IsNullOrWhiteSpace(key))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Trim());
        }
    }

    public Uri Node { get; }

    /// <summary>GET an API route: the envelope of a success (code 0), or a failure.</summary>
    public Task<JsonElement> GetAsync(string pathAndQuery, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, pathAndQuery), ct);

    /// <summary>POST a JSON body to an API route: the envelope of a success (code 0), or a failure.</summary>
    public Task<JsonElement> PostAsync(string path, object body, CancellationToken ct) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) }, ct);

    /// <summary>A probe (<c>/healthz</c>, <c>/readyz</c>): its status and body whatever the status; fails only when unreachable.</summary>
    public async Task<(int Status, string Body)> ProbeAsync(string path, CancellationToken ct)
    {
        using var response = await CallAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private async Task<JsonElement> SendAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        using var response = await CallAsync(request(), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonElement body;
        try
        {
            using var doc = JsonDocument.Parse(text);
            body = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliFailure(
                response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Unreachable : ExitCodes.Refused,
                $"{Node} answered HTTP {(int)response.StatusCode} without the JSON envelope: is it a MsgMate node?");
        }
        var code = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : -1;
        var msg = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("msg", out var m) ? m.ToString() : "";
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new CliFailure(ExitCodes.Unreachable,
                $"unauthorised: {Node} answered HTTP {(int)response.StatusCode} ({code}): {msg} (check --key or MSGMATE_KEY)");
        }
        if (code != 0)
        {
            throw new CliFailure(ExitCodes.Refused, $"refused: {msg} (code {code}, HTTP {(int)response.StatusCode})");
        }
        return body;
    }

    private async Task<HttpResponseMessage> CallAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new CliFailure(ExitCodes.Unreachable, $"unreachable: {Node}: {ex.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliFailure(ExitCodes.Unreachable, $"unreachable: {Node} did not answer within {_timeout.TotalSeconds:0} s");
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
