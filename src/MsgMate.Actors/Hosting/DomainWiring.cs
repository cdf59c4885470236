using System.Data;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Common;
using MsgMate.Actors.Projections;
using MsgMate.Actors.Quotas;
using StackExchange.Redis;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Security;
using MsgMate.Actors.Serialization;
using MsgMate.Actors.Storage;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Hosting;

/// <summary>Marker keys for the projection singletons in the actor registry.</summary>
public sealed class UserProjectionActor;

public sealed class TemplateProjectionActor;

public sealed class ScheduleProjectionActor;

public sealed class ScheduleWakerActor;

/// <summary>Feature wiring: the Node project composes these and nothing else.</summary>
public static class DomainWiring
{
    /// <summary>Services of the domain: the database, read models and the gateways the HTTP layer uses.</summary>
    public static IServiceCollection AddMsgMateDomain(this IServiceCollection services, MsgMateOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NodeLifecycle>();
        services.AddSingleton<Operations.ClusterAdmin>();
        services.AddSingleton(new SqlDatabase(options.Storage));
        services.AddSingleton<ProjectionOffsets>();
        services.AddSingleton<UserReadModel>();
        services.AddSingleton<TemplateReadModel>();
        services.AddSingleton<UserService>();
        services.AddSingleton<TemplateService>();
        services.AddSingleton<ScheduleReadModel>();
        services.AddSingleton<ScheduleService>();
        services.AddSingleton(options.Auth);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton(options.Quotas);
        if (string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            services.AddSingleton<IQuotaCounter, MemoryQuotaCounter>();
        }
        else
        {
            // abortConnect=false: the node starts (and keeps reconnecting) while Redis is down; quota checks fail closed meanwhile.
            var redis = ConfigurationOptions.Parse(options.Redis.Configuration);
            redis.AbortOnConnectFail = false;
            services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
            services.AddSingleton<IQuotaCounter, RedisQuotaCounter>();
        }
        services.AddSingleton<QuotaService>();
        return services;
    }

    /// <summary>Journal, snapshots and query journal on the configured database, events tagged for projections.</summary>
    public static AkkaConfigurationBuilder WithMsgMatePersistence(this AkkaConfigurationBuilder builder, SqlDatabase db)
    {
        // The plugin's own (default) table layout on every database; the provider-named mappings are for
        // tables left behind by the older per-database plugins. The tables come from /sql (SqlDatabase.
        // EnsureSchemaAsync, before Akka starts): the plugin's auto-initialisation makes VARBINARY(255) payloads
        // on MySQL-family servers and no lookup indexes there.
        var mapping = DatabaseMapping.Default;
        // On SQLite every transaction Microsoft.Data.Sqlite begins is BEGIN IMMEDIATE (it takes the write lock) except
        // at ReadUncommitted, which begins deferred. The plugin reads in transactions too (recovery: latest snapshot,
        // highest sequence number, replay; the query journal): at the default level each read of a waking entity
        // queued for the write lock behind the event writer, in 150 ms sleeps. Deferred, they read a WAL snapshot
        // beside it (SQLite's isolation is serializable either way; read_uncommitted only matters with a shared cache).
        IsolationLevel? reads = db.Provider == SqlProvider.Sqlite ? IsolationLevel.ReadUncommitted : null;
        var journal = new SqlJournalOptions(isDefaultPlugin: true)
        {
            ConnectionString = db.JournalConnectionString,
            ProviderName = db.AkkaProviderName,
            DatabaseOptions = mapping.JournalOption(),
            TagStorageMode = TagMode.TagTable,
            AutoInitialize = false,
            ReadIsolationLevel = reads,
            QueryRefreshInterval = TimeSpan.FromMilliseconds(500),
        };
        var snapshots = new SqlSnapshotOptions(isDefaultPlugin: true)
        {
            ConnectionString = db.JournalConnectionString,
            ProviderName = db.AkkaProviderName,
            DatabaseOptions = mapping.SnapshotOption(),
            AutoInitialize = false,
            ReadIsolationLevel = reads,
        };
        // A burst (10,000 schedules due in one second: two events each) queues journal writes for longer than the plugin's
        // 10 s call timeout; at its default of ten such timeouts the breaker opened, and failed every write and every
        // recovery for 30 s: thousands of entities stopped and were woken again, firings waited out the pause. Slow
        // writes stay writes: only a journal that really is down opens the breaker (and it is tried again soon).
        builder.AddHocon(
            "akka.persistence.journal.sql.circuit-breaker { max-failures = 1000, call-timeout = 60s, reset-timeout = 5s }",
            HoconAddMode.Prepend);
        if (db.Provider == SqlProvider.Sqlite)
        {
            // One file, one writer: the plugin's default of three concurrent write transactions only makes them wait
            // on each other's lock (in Microsoft.Data.Sqlite's 150 ms sleeps). One writer batches every entity's
            // pending events into each commit instead.
            builder.AddHocon("akka.persistence.journal.sql.parallelism = 1", HoconAddMode.Prepend);
        }
        return builder
            .WithSqlPersistence(
                journal,
                snapshots,
                journalBuilder => journalBuilder.AddWriteEventAdapter<EventTagger>(
                    "msgmate-tagger", [typeof(IUserEvent), typeof(ITemplateEvent), typeof(IScheduleEvent)]),
                _ => { })
            .WithCustomSerializer("msgmate", [typeof(IMsgMateMessage)], system => new MsgMateSerializer(system));
    }

    public static AkkaConfigurationBuilder AddUsers(this AkkaConfigurationBuilder builder, MsgMateOptions options) =>
        builder
            .WithShardRegion<UserEntity>(
                UserEntity.TypeName,
                (_, _, resolver) => id => UserEntity.PropsFor(id, resolver.GetService<TimeProvider>()),
                UserEntity.Extractor,
                EntityShardOptions(options))
            .WithSingleton<UserProjectionActor>(
                "user-projection",
                (_, _, resolver) => TagProjection.PropsFor(
                    new TagProjection.Definition("users", UserEvents.Tag,
                        (evt, seqNr, ct) => resolver.GetService<UserReadModel>().ApplyAsync((IUserEvent)evt, seqNr, ct)),
                    resolver.GetService<ProjectionOffsets>(),
                    TimeSpan.FromMilliseconds(200)),
                new ClusterSingletonOptions(),
                createProxyToo: true);

    public static AkkaConfigurationBuilder AddTemplates(this AkkaConfigurationBuilder builder, MsgMateOptions options) =>
        builder
            .WithShardRegion<TemplateEntity>(
                TemplateEntity.TypeName,
                (_, _, resolver) => id => TemplateEntity.PropsFor(id, resolver.GetService<TimeProvider>()),
                TemplateEntity.Extractor,
                EntityShardOptions(options))
            .WithSingleton<TemplateProjectionActor>(
                "template-projection",
                (_, _, resolver) => TagProjection.PropsFor(
                    new TagProjection.Definition("templates", TemplateEvents.Tag,
                        (evt, seqNr, ct) => resolver.GetService<TemplateReadModel>().ApplyAsync((ITemplateEvent)evt, seqNr, ct)),
                    resolver.GetService<ProjectionOffsets>(),
                    TimeSpan.FromMilliseconds(200)),
                new ClusterSingletonOptions(),
                createProxyToo: true);

    public static AkkaConfigurationBuilder AddSchedules(this AkkaConfigurationBuilder builder, MsgMateOptions options) =>
        builder
            .WithShardRegion<ScheduleEntity>(
                ScheduleEntity.TypeName,
                (_, _, resolver) => id => ScheduleEntity.PropsFor(
                    id, resolver.GetService<TimeProvider>(),
                    (request, key) => resolver.GetService<Delivery.IntakeService>().SubmitAsync(request, key),
                    resolver.GetService<Observability.MsgMateMetrics>().ScheduleFired),
                ScheduleEntity.Extractor,
                EntityShardOptions(options))
            .WithSingleton<ScheduleProjectionActor>(
                "schedule-projection",
                (_, _, resolver) => TagProjection.PropsFor(
                    new TagProjection.Definition("schedules", ScheduleEvents.Tag,
                        (evt, seqNr, ct) => resolver.GetService<ScheduleReadModel>().ApplyAsync((IScheduleEvent)evt, seqNr, ct)),
                    resolver.GetService<ProjectionOffsets>(),
                    TimeSpan.FromMilliseconds(200)),
                new ClusterSingletonOptions(),
                createProxyToo: true)
            .WithSingleton<ScheduleWakerActor>(
                "schedule-waker",
                (_, registry, resolver) => ScheduleWaker.PropsFor(
                    resolver.GetService<ScheduleReadModel>(), registry.Get<ScheduleEntity>(), resolver.GetService<TimeProvider>(),
                    TimeSpan.FromSeconds(1)),
                new ClusterSingletonOptions(),
                createProxyToo: false);

    /// <summary>
    /// Entities are not remembered (they wake on demand) and passivate when idle. The event-sourced
    /// remember-entities store is named anyway: the LMDB-backed DData store is broken here (DESIGN.md §5).
    /// </summary>
    private static ShardOptions EntityShardOptions(MsgMateOptions options) => new()
    {
        RememberEntities = false,
        RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
        PassivateIdleEntityAfter = options.PassivateIdleAfter,
        ShouldPassivateIdleEntities = true,
    };
}
