using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Email;
using MsgMate.Actors.Channels.DingTalk;
using MsgMate.Actors.Channels.Lark;
using MsgMate.Actors.Channels.Sms;
using MsgMate.Actors.Channels.WeCom;
using MsgMate.Actors.Channels.Webhook;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Actors.Queue.Sql;

namespace MsgMate.Actors.Hosting;

/// <summary>Registry key of the outbox relay singleton (Kafka mode).</summary>
public sealed class OutboxRelayActor;

/// <summary>Registry key of this node's delivery streams.</summary>
public sealed class DeliveryStreamsActor;

/// <summary>Feature wiring of the delivery pipeline: intake, queue, channels, lanes.</summary>
public static class DeliveryWiring
{
    /// <summary>Consecutive retryable failures after which a provider is backed off as a whole.</summary>
    private const int TripAfter = 20;

    public static IServiceCollection AddMsgMateDelivery(this IServiceCollection services, MsgMateOptions options)
    {
        services.AddSingleton(options.Delivery);
        // Needs the host's IMeterFactory (every .NET host registers one): one meter per node.
        services.AddSingleton<Observability.MsgMateMetrics>();
        services.AddSingleton<RecordStore>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<IntakeService>();
        services.AddSingleton<MessageService>();
        services.AddSingleton<Operations.QueueInspector>();
        services.AddSingleton<Deliverer>();
        if (options.Queue.SqlQueue)
        {
            services.AddSingleton<SqlDeliveryQueue>();
            services.AddSingleton<IDeliveryQueue>(sp => sp.GetRequiredService<SqlDeliveryQueue>());
            services.AddSingleton<IDeliverySignal>(sp => sp.GetRequiredService<SqlDeliveryQueue>());
        }
        else
        {
            services.AddSingleton(options.Kafka);
            // Made by the container, so that it closes the probe's clients at shutdown.
            services.AddSingleton(_ => new KafkaLagProbe(options.Kafka));
            services.AddSingleton<IDeliveryQueue>(sp => new KafkaDeliveryQueue(sp.GetRequiredService<ActorSystem>(), options.Kafka));
            services.AddSingleton<IDeliverySignal>(sp =>
            {
                var registry = sp.GetRequiredService<IActorRegistry>();
                return new RelaySignal(() => registry.Get<OutboxRelayActor>());
            });
        }
        // The router owns the providers; the container disposes it at shutdown, and it them (SMTP says QUIT, HTTP pools close).
        services.AddHttpClient();
        services.AddSingleton(sp => new ProviderRouter(
            sp.GetRequiredService<ActorSystem>(),
            Providers(sp, options),
            sp.GetRequiredService<TimeProvider>(),
            tripAfter: TripAfter,
            minBackoff: TimeSpan.FromSeconds(1),
            maxBackoff: TimeSpan.FromSeconds(30)));
        return services;
    }

    /// <summary>Every configured provider of every channel; a channel with none fails its records as not configured.</summary>
    private static IEnumerable<ProviderRegistration> Providers(IServiceProvider sp, MsgMateOptions options)
    {
        var http = sp.GetRequiredService<IHttpClientFactory>();
        var clock = sp.GetRequiredService<TimeProvider>();
        var logs = sp.GetRequiredService<ILoggerFactory>();
        Func<string, HttpClient> client = name => http.CreateClient(name);
        yield return new ProviderRegistration(EmailSenders.Create(options.Email, logs), Policy(options, Channel.Email, options.Email.PoolSize));
        foreach (var p in WebhookProviders.Create(options.Webhook, clock, logs, RateOf(options, Channel.Webhook)))
        {
            yield return p;
        }
        foreach (var p in SmsProviders.Create(options.Sms, client, clock, logs)
            .Concat(LarkProviders.Create(options.Lark, client, clock, logs))
            .Concat(DingTalkProviders.Create(options.DingTalk, client, clock, logs))
            .Concat(WeComProviders.Create(options.WeCom, client, clock, logs)))
        {
            yield return p;
        }
    }

    private static double RateOf(MsgMateOptions options, Channel channel) => options.Delivery.ChannelRatePerSecond.GetValueOrDefault((int)channel);

    /// <summary>A provider's policy; <c>Delivery:ChannelRatePerSecond</c> (the Go project's quota) is its channel's default rate.</summary>
    private static ProviderPolicy Policy(MsgMateOptions options, Channel channel, int concurrency) => new(
        Concurrency: Math.Max(1, concurrency),
        RatePerSecond: RateOf(options, channel));

    public static AkkaConfigurationBuilder AddDelivery(this AkkaConfigurationBuilder builder, MsgMateOptions options)
    {
        if (!options.Queue.SqlQueue)
        {
            builder.WithSingleton<OutboxRelayActor>(
                "outbox-relay",
                (_, _, resolver) => OutboxRelay.PropsFor(
                    resolver.GetService<RecordStore>(), resolver.GetService<IDeliveryQueue>(), options.Delivery, resolver.GetService<TimeProvider>()),
                new ClusterSingletonOptions(),
                createProxyToo: true);
        }
        if (options.Delivery.Enabled && options.Queue.SqlQueue)
        {
            builder.WithActors((system, _, resolver) => system.ActorOf(LeaseReleaser.PropsFor(resolver.GetService<RecordStore>()), "lease-releaser"));
        }
        if (options.Delivery.Enabled)
        {
            builder.WithActors((system, registry, resolver) => registry.Register<DeliveryStreamsActor>(system.ActorOf(
                DeliveryStreams.PropsFor(resolver.GetService<IDeliveryQueue>(), resolver.GetService<Deliverer>(), options.Delivery),
                "delivery")));
        }
        return builder;
    }
}

/// <summary>
/// Kafka mode: creates the lane topics that are missing, once Akka runs (registered after AddAkka). A broker
/// that does not allow topic admin (the librdkafka mock) is tolerated by <see cref="KafkaDeliveryQueue.EnsureTopicsAsync"/>.
/// </summary>
public sealed class KafkaTopicsInitializer(IDeliveryQueue queue) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken ct) =>
        queue is KafkaDeliveryQueue kafka ? kafka.EnsureTopicsAsync(ct) : Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
