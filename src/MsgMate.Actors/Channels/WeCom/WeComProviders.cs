using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.WeCom;

/// <summary>Creates the WeCom providers (channel 4) from <see cref="WeComOptions"/>.</summary>
public static class WeComProviders
{
    /// <summary>The name passed to the <c>httpClient</c> factory (one client, one connection pool, for all WeCom providers).</summary>
    public const string HttpClientName = "wecom";

    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and returns one
    /// registration per robot ("wecom-robot:&lt;name&gt;", default rate 20 a minute), one for robot URLs when they are
    /// allowed ("wecom-robot-url", 20 a minute) and one per app ("wecom-app", "wecom-app:&lt;name&gt;", no rate of
    /// ours); empty when nothing is configured. Logs once which providers exist (names only).
    /// </summary>
    public static IReadOnlyList<ProviderRegistration> Create(
        WeComOptions options, Func<string, HttpClient> httpClient, TimeProvider clock, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logs);
        options.ThrowIfInvalid();
        var log = logs.CreateLogger(typeof(WeComProviders));

        var apps = options.ConfiguredApps().ToList();
        var registrations = new List<ProviderRegistration>();
        if (options.Robots.Count == 0 && apps.Count == 0 && !options.AllowRobotUrls)
        {
            log.LogInformation("WeCom channel: no robot or app configured ({Section})", WeComOptions.Section);
            return registrations;
        }

        var http = httpClient(HttpClientName);
        var addressing = new RobotAddressing(options.Robots.Keys, new Uri(options.BaseUrl), WeComRobotProvider.RobotPath, "key", options.AllowRobotUrls);
        var robotRate = WeComOptions.RobotRatePerMinute / 60;
        foreach (var (name, robot) in options.Robots.OrderBy(r => r.Key, StringComparer.OrdinalIgnoreCase))
        {
            registrations.Add(new ProviderRegistration(WeComRobotProvider.Named(name, robot, options, addressing, http), robot.Policy(robotRate)));
        }
        if (options.AllowRobotUrls)
        {
            registrations.Add(new ProviderRegistration(WeComRobotProvider.ForUrls(options, addressing, http), options.RobotUrl.Policy(robotRate)));
        }
        foreach (var (name, app) in apps)
        {
            registrations.Add(new ProviderRegistration(
                new WeComAppProvider(name, app, options, addressing, http, clock, logs.CreateLogger<WeComAppProvider>()), app.Policy()));
        }

        log.LogInformation(
            "WeCom channel: providers {Providers}; robot URLs as recipients {RobotUrls}",
            string.Join(", ", registrations.Select(r => r.Provider.Name)), options.AllowRobotUrls ? "accepted" : "refused");
        return registrations;
    }
}
