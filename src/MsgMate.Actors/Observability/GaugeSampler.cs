using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Storage;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Observability;

/// <summary>
/// Samples the gauges that need a query or an ask — lane depth and outbox backlog (one grouped count on the record
/// store), cluster members, shards and entities of this node — every <see cref="Interval"/>, each with a short
/// timeout, into <see cref="MsgMateMetrics.Gauges"/>. A scrape reads the last sample and never waits on the database
/// or an actor. What could not be read keeps its last value (a failing store shows in <c>/readyz</c>, not here).
/// </summary>
public sealed class GaugeSampler(IServiceProvider services, MsgMateMetrics metrics, RecordStore records, MsgMateOptions options, TimeProvider clock,
    ILogger<GaugeSampler> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>The consumer lag is asked of the brokers every this many samples (30 s; after a failed ask, at the next).</summary>
    private const int LagEvery = 6;

    private readonly KafkaLagProbe? _lag = services.GetService<KafkaLagProbe>();
    private int _samplesUntilLag;

    private static readonly (string Type, Func<IActorRegistry, IActorRef> Region)[] ShardTypes =
    [
        (UserEntity.TypeName, r => r.Get<UserEntity>()),
        (TemplateEntity.TypeName, r => r.Get<TemplateEntity>()),
        (ScheduleEntity.TypeName, r => r.Get<ScheduleEntity>()),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, whatever clock the node runs on: a hand-moved test clock must not stop the sampling.
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                log.LogDebug("Metrics sample incomplete: {Error}", PersonalData.Describe(ex));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sample of every gauge; public for the tests' sake of not waiting a whole interval.</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        var last = metrics.Gauges;
        var system = services.GetService<ActorSystem>();
        var members = system is null ? last.ClusterMembers : ClusterMembers(Cluster.Get(system));
        var (lanes, backlog) = await QueueAsync(last, ct);
        var (entities, shards) = system is null ? (last.ShardingEntities, last.ShardingShards) : await ShardingAsync(last);
        var lag = _lag is not null && _samplesUntilLag-- <= 0 ? await ConsumerLagAsync(_lag, last, ct) : last.ConsumerLag;
        metrics.Gauges = new GaugeSnapshot(lanes, backlog, members, entities, shards, lag);
    }

    /// <summary>Every status, 0 when no member has it, and <c>unreachable</c>: members this node's failure detector has lost.</summary>
    private static Dictionary<string, long> ClusterMembers(Cluster cluster)
    {
        var state = cluster.State;
        var counts = Enum.GetValues<MemberStatus>().ToDictionary(s => s.ToString().ToLowerInvariant(), _ => 0L);
        foreach (var member in state.Members)
        {
            counts[member.Status.ToString().ToLowerInvariant()]++;
        }
        counts["unreachable"] = state.Unreachable.Count;
        return counts;
    }

    /// <summary>
    /// Per lane, the records due and not claimed (the SQL queue's depth; on Kafka the records open per lane, published
    /// or not, as the consumer lag is the brokers' to tell); and on Kafka the outbox backlog, due records not published yet.
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, long> Lanes, long? Backlog)> QueueAsync(GaugeSnapshot last, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            var backlogs = await records.LaneBacklogAsync(
                clock.GetUtcNow().ToUnixTimeMilliseconds(), (int)Timeout.TotalSeconds, timeout.Token);
            var lanes = backlogs.ToDictionary(l => l.Lane.ToString().ToLowerInvariant(), l => l.Due);
            var backlog = backlogs.Sum(l => l.Unpublished);
            return (lanes, options.Queue.SqlQueue ? 0 : backlog);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException or OperationCanceledException
                                   && !ct.IsCancellationRequested)
        {
            log.LogDebug("Metrics: lane depth not sampled: {Error}", ex.GetType().Name);
            return (last.LaneDepth, last.OutboxBacklog);
        }
    }

    /// <summary>Kafka: each lane's consumer lag from the brokers (when they do not answer, the sample waits their timeouts and keeps the last value).</summary>
    private async Task<IReadOnlyDictionary<string, long>> ConsumerLagAsync(KafkaLagProbe probe, GaugeSnapshot last, CancellationToken ct)
    {
        try
        {
            var lags = (await probe.LagAsync(Timeout, ct)).ToDictionary(l => l.Lane.ToString().ToLowerInvariant(), l => l.Lag);
            _samplesUntilLag = LagEvery - 1;
            return lags;
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            log.LogDebug("Metrics: consumer lag not sampled: {Error}", ex.Error.Code);
            _samplesUntilLag = 0;
            return last.ConsumerLag;
        }
    }

    /// <summary>Shards and entities of this node's region of each type (the region's own view, one ask each).</summary>
    private async Task<(IReadOnlyDictionary<string, long> Entities, IReadOnlyDictionary<string, long> Shards)> ShardingAsync(GaugeSnapshot last)
    {
        var registry = services.GetService<IActorRegistry>();
        if (registry is null)
        {
            return (last.ShardingEntities, last.ShardingShards);
        }
        var entities = new Dictionary<string, long>(last.ShardingEntities);
        var shards = new Dictionary<string, long>(last.ShardingShards);
        foreach (var (type, region) in ShardTypes)
        {
            try
            {
                var state = await region(registry).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Timeout);
                shards[type] = state.Shards.Count;
                entities[type] = state.Shards.Sum(s => (long)s.EntityIds.Count);
            }
            catch (Exception ex) when (ex is AskTimeoutException or MissingActorRegistryEntryException)
            {
                // Not there yet (starting) or busy: the last value stands.
            }
        }
        return (entities, shards);
    }
}
