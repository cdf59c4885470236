using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using MsgMate.Actors.Common;
using MsgMate.Actors.Hosting;
using MsgMate.Actors.Security;
using MsgMate.Actors.Storage;
using MsgMate.Http.Infrastructure;
using Serilog;

namespace MsgMate.Node;

/// <summary>Composes a node: configuration, the Akka cluster with the domain features, and the HTTP side.</summary>
public static class MsgMateNode
{
    /// <summary>
    /// Runs the node until its host stops and answers the process's exit code: 0 when the node left as asked — SIGTERM
    /// (the CLR's exit) or an operator's <c>cluster leave</c>, after which Akka.Hosting stops the host as for an actor
    /// system that ended on its own (and marks that -1) — so that an orchestrator does not count a graceful leave as a
    /// crash; otherwise what the host left (non-zero when the node was downed or could not join).
    /// </summary>
    public static int Run(WebApplication app)
    {
        var leftAsAsked = false;
        // Read while the services still exist: they are disposed once Run returns.
        app.Lifetime.ApplicationStopped.Register(() => leftAsAsked =
            app.Services.GetService<Akka.Actor.ActorSystem>() is { } system
            && Akka.Actor.CoordinatedShutdown.Get(system).ShutdownReason
                is Akka.Actor.CoordinatedShutdown.ClusterLeavingReason or Akka.Actor.CoordinatedShutdown.ClrExitReason);
        app.Run();
        return leftAsAsked ? 0 : Environment.ExitCode;
    }

    /// <summary>Builds a node. Tests pass extra configuration (database, ports) through <paramref name="configure"/>.</summary>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var tomlPath = builder.Configuration["MsgMate:TomlFile"] ?? "msgmate.toml";
        // The Go TOML file goes under appsettings/environment: those still win.
        var toml = new GoTomlConfigurationSource(Path.GetFullPath(tomlPath));
        builder.Configuration.Sources.Insert(1, toml);
        configure?.Invoke(builder.Configuration);

        var options = ReadOptions(builder.Configuration);
        if ((options.Auth.Problem() ?? Actors.Quotas.QuotaService.ConfigurationProblem(options.Quotas)) is { } settingsProblem)
        {
            throw new InvalidOperationException(settingsProblem);
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{options.Port}");
        }
        // Kestrel's request-line and header limits sit far above the node's: the node answers those in the envelope.
        builder.WebHost.ConfigureKestrel(k => RequestLimits.Configure(k.Limits, options));
        // preserveStaticLogger: each host logs through its own logger. Without it every host in a process replaces the
        // static Log.Logger and logs through the last one made (tests run many nodes in one process: a node's Debug
        // lines went to another node's Warning-level console, found by the log scrape).
        builder.Services.AddSerilog((_, log) => log.ReadFrom.Configuration(builder.Configuration).WriteTo.Console(
            outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"), preserveStaticLogger: true);

        builder.Services.AddMsgMateDomain(options);
        builder.Services.AddMsgMateDelivery(options);
        builder.Services.AddMsgMateHttp();
        builder.Services.AddHealthChecks().AddMsgMateReadiness();
        // Before Akka: the read-model schema exists before any projection or request touches it.
        builder.Services.AddHostedService<SchemaInitializer>();
        // SIGTERM: leave the cluster (refusing new work, draining, handing over) while Kestrel still answers.
        builder.Services.AddHostedService<GracefulLeave>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Cluster.ShutdownTimeout);
        builder.Services.AddAkka(options.Cluster.SystemName, (akka, services) =>
        {
            var cluster = options.Cluster;
            akka.ConfigureLoggers(l => l.AddLoggerFactory())
                .WithRemoting(new RemoteOptions
                {
                    HostName = cluster.Hostname,
                    PublicHostName = cluster.PublicHostname ?? cluster.Hostname,
                    Port = cluster.Port,
                })
                .WithClustering(new ClusterOptions
                {
                    SeedNodes = cluster.SeedNodes,
                    // Keep-majority, stable-after 7 s by default: a minority side downs itself (3+ nodes survive a loss).
                    SplitBrainResolver = new KeepMajorityOption(),
                })
                // Delivery lanes drain in service-requests-done (in-flight sends finish and are committed): give them time.
                .AddHocon(
                    $$"""
                    akka.coordinated-shutdown.phases.service-requests-done.timeout = 25s
                    akka.cluster.split-brain-resolver.stable-after = {{(int)cluster.StableAfter.TotalMilliseconds}}ms
                    akka.cluster.failure-detector.acceptable-heartbeat-pause = {{(int)cluster.AcceptableHeartbeatPause.TotalMilliseconds}}ms
                    """, HoconAddMode.Prepend)
                .WithMsgMatePersistence(services.GetRequiredService<SqlDatabase>())
                .AddUsers(options)
                .AddTemplates(options)
                .AddSchedules(options)
                .AddDelivery(options);
            var lifecycle = services.GetRequiredService<NodeLifecycle>();
            akka.AddStartup((system, _) => lifecycle.AttachTo(system));
            if (cluster.SeedNodes.Length == 0)
            {
                // A lone node forms its own cluster; its remoting port may have been picked at random.
                akka.AddStartup((system, _) => Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress));
            }
        });

        if (!options.Queue.SqlQueue)
        {
            builder.Services.AddHostedService<KafkaTopicsInitializer>();
        }
        // After Akka: the gauges of /metrics that need a query or an ask, sampled on a timer (a scrape never waits on them).
        builder.Services.AddHostedService<Actors.Observability.GaugeSampler>();
        // Expired idempotency keys (24 h) purged every 10 minutes.
        builder.Services.AddHostedService<Actors.Delivery.IdempotencyJanitor>();

        var app = builder.Build();
        WarnUnusedTomlKeys(toml, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MsgMate.Configuration"));
        app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false }).Public();
        app.MapMsgMateReadiness().Public();
        app.UseMsgMateHttp();
        return app;
    }

    /// <summary>One warning per TOML key that changes nothing, naming the key (never its value: it may be a secret).</summary>
    private static void WarnUnusedTomlKeys(GoTomlConfigurationSource toml, Microsoft.Extensions.Logging.ILogger log)
    {
        foreach (var key in toml.UnusedKeys(typeof(MsgMateOptions), MsgMateOptions.Section))
        {
            log.LogWarning("TOML key {Key} is ignored", key);
        }
    }

    /// <summary>Typed settings from every configuration source; defaults where nothing is said.</summary>
    public static MsgMateOptions ReadOptions(IConfiguration configuration) =>
        configuration.GetSection(MsgMateOptions.Section).Get<MsgMateOptions>() ?? new MsgMateOptions();

    private sealed class SchemaInitializer(
        SqlDatabase db, ApiKeyService keys, AuthOptions auth, Actors.Quotas.IQuotaCounter quotas, ILogger<SchemaInitializer> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await db.EnsureSchemaAsync(ct);
            log.LogInformation("Storage: {Provider} read models ready", db.Provider);
            if (await keys.EnsureAdminKeyAsync(ct) is { } firstKey)
            {
                // Straight to the console, once, never into the log pipeline (logs must not hold keys).
                Console.Out.WriteLine(
                    $"MsgMate: first start in keys mode. The admin API key (source '{auth.BootstrapSourceId}') is shown this once; store it now:{Environment.NewLine}{firstKey}");
            }
            // The quota counter (and its Redis connection) is made here, before the first request: made lazily, the
            // first burst of concurrent requests blocked the thread pool on the synchronous connect (measured: a
            // cold node under 64 clients answered nothing for 20 s).
            log.LogInformation("Quota counter: {Counter}, {State}", quotas.Name, await quotas.ReachableAsync(ct) ? "reachable" : "unreachable");
            if (!auth.KeysRequired)
            {
                log.LogWarning(
                    "AUTH IS OPEN (MsgMate:Auth:Mode=open): anyone who reaches this port can send, read and change everything. Set MsgMate:Auth:Mode=keys in production");
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
