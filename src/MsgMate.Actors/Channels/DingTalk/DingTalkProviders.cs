using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels.Tokens;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>Creates the DingTalk providers (channel 5) from <see cref="DingTalkOptions"/>.</summary>
public static class DingTalkProviders
{
    /// <summary>The name passed to the <c>httpClient</c> factory (one client, one connection pool, for all DingTalk providers).</summary>
    public const string HttpClientName = "dingtalk";

    /// <summary>
    /// Validates the settings (throws <see cref="InvalidOperationException"/> listing every error) and returns one
    /// registration per robot ("dingtalk-robot:&lt;name&gt;", default rate 20 a minute), one for robot URLs when they
    /// are allowed ("dingtalk-robot-url", 20 a minute) and one per corp app ("dingtalk-app", "dingtalk-app:&lt;name&gt;",
    /// 40 a second); empty when nothing is configured. Logs once which providers exist (names only).
    /// </summary>
    public static IReadOnlyList<ProviderRegistration> Create(
        DingTalkOptions options, Func<string, HttpClient> httpClient, TimeProvider clock, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logs);
        options.ThrowIfInvalid();
        var log = logs.CreateLogger(typeof(DingTalkProviders));

        var apps = options.ConfiguredApps().ToList();
        var registrations = new List<ProviderRegistration>();
        if (options.Robots.Count == 0 && apps.Count == 0 && !options.AllowRobotUrls)
        {
            log.LogInformation("DingTalk channel: no robot or app configured ({Section})", DingTalkOptions.Section);
            return registrations;
        }

        var http = httpClient(HttpClientName);
        var addressing = new RobotAddressing(
            options.Robots.Keys, new Uri(options.RobotBaseUrl), DingTalkRobotProvider.RobotPath, "access_token", options.AllowRobotUrls);
        var robotRate = DingTalkOptions.RobotRatePerMinute / 60;
        foreach (var (name, robot) in options.Robots.OrderBy(r => r.Key, StringComparer.OrdinalIgnoreCase))
        {
            registrations.Add(new ProviderRegistration(
                DingTalkRobotProvider.Named(name, robot, options, addressing, http, clock), robot.Policy(robotRate)));
        }
        if (options.AllowRobotUrls)
        {
            registrations.Add(new ProviderRegistration(
                DingTalkRobotProvider.ForUrls(options, addressing, http, clock), options.RobotUrl.Policy(robotRate)));
        }
        foreach (var (name, app) in apps)
        {
            registrations.Add(new ProviderRegistration(
                new DingTalkAppProvider(name, app, options, addressing, http, clock, logs.CreateLogger<DingTalkAppProvider>()),
                app.Policy(DingTalkOptions.AppRatePerSecond)));
        }

        log.LogInformation(
            "DingTalk channel: providers {Providers}; robot URLs as recipients {RobotUrls}",
            string.Join(", ", registrations.Select(r => r.Provider.Name)), options.AllowRobotUrls ? "accepted" : "refused");
        return registrations;
    }
}
