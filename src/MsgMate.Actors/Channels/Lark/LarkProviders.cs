using Microsoft.Extensions.Logging;

namespace MsgMate.Actors.Channels.Lark;

/// <summary>Creates the Lark providers of the configured apps.</summary>
public static class LarkProviders
{
    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and returns one
    /// registration per configured app — the default app <c>lark</c> first, then <c>lark:&lt;name&gt;</c> by name;
    /// none when no app is configured — and logs once which (names and hosts, no ids, no secrets).
    /// <paramref name="httpClient"/> gets the provider name (for a named client of IHttpClientFactory).
    /// </summary>
    public static IReadOnlyList<ProviderRegistration> Create(
        LarkOptions options, Func<string, HttpClient> httpClient, TimeProvider clock, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logs);
        options.ThrowIfInvalid();
        var log = logs.CreateLogger(typeof(LarkProviders));
        var apps = options.ResolveApps();
        if (apps.Count == 0)
        {
            log.LogInformation("Lark channel: no app configured ({Key} and {Apps} are empty); Lark messages fail as not configured",
                $"{LarkOptions.Section}:AppId", $"{LarkOptions.Section}:Apps");
            return [];
        }
        var providerLog = logs.CreateLogger<LarkProvider>();
        var registrations = apps
            .Select(app => new ProviderRegistration(new LarkProvider(app, httpClient(app.Name), clock, providerLog), app.Policy))
            .ToList();
        log.LogInformation("Lark channel: {Count} app(s): {Apps}", apps.Count, string.Join(", ", apps.Select(a => a.ToString())));
        return registrations;
    }
}
