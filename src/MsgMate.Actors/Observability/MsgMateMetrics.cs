using System.Diagnostics.Metrics;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Observability;

/// <summary>
/// The node's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/> made by the container's
/// <see cref="IMeterFactory"/>: every node (several run in one test process) has its own meter, and the exporter of
/// the HTTP side listens to its own node's only. Instrument names are the exported Prometheus names verbatim
/// (<c>msgmate_…</c>; a Grafana dashboard is built on them: do not rename), so this project needs no Prometheus
/// package. Label values are bounded sets — channel and priority names, provider names as configured, lanes,
/// outcomes, route patterns — never an address, a user id or a message id.
/// The callers count at the point the decision is made: intake after the records are committed, the deliverer after
/// the outcomes are durable, the schedule entity when a firing starts.
/// </summary>
public sealed class MsgMateMetrics : IDisposable
{
    public const string MeterName = "MsgMate";

    /// <summary>The provider label when no provider was called (failed at intake, an erased recipient).</summary>
    public const string NoProvider = "none";

    private readonly Meter _meter;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _finalLatency;
    private readonly Histogram<double> _scheduleLateness;
    private readonly Histogram<double> _httpDuration;
    private volatile GaugeSnapshot _gauges = GaugeSnapshot.Empty;

    public MsgMateMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _accepted = _meter.CreateCounter<long>("msgmate_messages_accepted_total", description: "Records stored by the intake (accept = durable), per channel and priority.");
        _sent = _meter.CreateCounter<long>("msgmate_messages_sent_total", description: "Records final sent, per channel, provider and priority.");
        _failed = _meter.CreateCounter<long>("msgmate_messages_failed_total",
            description: "Records final failed (at intake or after their last attempt), per channel, provider and priority.");
        _attempts = _meter.CreateCounter<long>("msgmate_delivery_attempts_total",
            description: "Provider calls, per channel, provider and outcome (sent, retry: retryable or failed over, failed: permanent or out of retries).");
        _retries = _meter.CreateCounter<long>("msgmate_delivery_retries_total", description: "Retries scheduled after a retryable failure, per channel.");
        _finalLatency = _meter.CreateHistogram<double>("msgmate_message_final_latency_seconds", "s",
            "From accept to the final outcome (sent or failed), per priority.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600] });
        _scheduleLateness = _meter.CreateHistogram<double>("msgmate_schedule_lateness_seconds", "s",
            "Firing time minus due time of schedule firings.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300] });
        _httpDuration = _meter.CreateHistogram<double>("msgmate_http_request_duration_seconds", "s",
            "HTTP requests, per method, route pattern and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("msgmate_lane_depth", () => Tagged(_gauges.LaneDepth, "lane"),
            description: "Records due and not claimed per delivery lane (on Kafka: open per lane, published or not), sampled.");
        _meter.CreateObservableGauge("msgmate_consumer_lag", () => Tagged(_gauges.ConsumerLag, "lane"),
            description: "Kafka mode: records each lane's consumer group has not committed (high watermark minus committed offset over the lane's partitions), from the brokers, sampled every 30 s. SQL queue: none (the lane depth is its lag).");
        _meter.CreateObservableGauge("msgmate_outbox_backlog", () => OutboxBacklog(),
            description: "Kafka mode: due records not yet published by the outbox relay; SQL queue: 0. Sampled.");
        _meter.CreateObservableGauge("msgmate_cluster_members", () => Tagged(_gauges.ClusterMembers, "status"),
            description: "Cluster members as this node sees them, per status.");
        _meter.CreateObservableGauge("msgmate_sharding_entities", () => Tagged(_gauges.ShardingEntities, "type"),
            description: "Entities running on this node, per shard type, sampled.");
        _meter.CreateObservableGauge("msgmate_sharding_shards", () => Tagged(_gauges.ShardingShards, "type"),
            description: "Shards hosted by this node, per shard type, sampled.");
    }

    /// <summary>Records committed by the intake (see <see cref="AcceptedTally"/>): each counts as accepted; one stored already failed (a disabled user, no contact) is final at once.</summary>
    public void Accepted(AcceptedTally committed)
    {
        foreach (var ((channel, priority, failed), count) in committed.Counts)
        {
            var (c, p) = (ChannelName(channel), PriorityName(priority));
            _accepted.Add(count, new("channel", c), new("priority", p));
            if (failed)
            {
                _failed.Add(count, new("channel", c), new("provider", NoProvider), new("priority", p));
                for (var i = 0; i < count; i++)
                {
                    _finalLatency.Record(0, new KeyValuePair<string, object?>("priority", p));
                }
            }
        }
    }

    /// <summary>One provider call and how it came out: <c>sent</c>, <c>retry</c> or <c>failed</c>.</summary>
    public void Attempt(int channel, string provider, string outcome) =>
        _attempts.Add(1, new("channel", ChannelName(channel)), new("provider", Provider(provider)), new("outcome", outcome));

    /// <summary>A retry was scheduled (the record goes back to the queue with a backoff).</summary>
    public void RetryScheduled(int channel) => _retries.Add(1, new KeyValuePair<string, object?>("channel", ChannelName(channel)));

    /// <summary>A record became final (sent or failed) through a delivery outcome that is durable now.</summary>
    public void Final(int channel, string provider, int priority, bool sent, TimeSpan sinceAccept)
    {
        var p = PriorityName(priority);
        (sent ? _sent : _failed).Add(1, new("channel", ChannelName(channel)), new("provider", Provider(provider)), new("priority", p));
        _finalLatency.Record(Math.Max(0, sinceAccept.TotalSeconds), new KeyValuePair<string, object?>("priority", p));
    }

    /// <summary>A schedule fired this long after its due time.</summary>
    public void ScheduleFired(TimeSpan lateness) => _scheduleLateness.Record(Math.Max(0, lateness.TotalSeconds));

    /// <summary>One HTTP request: <paramref name="route"/> is the endpoint's route pattern, never the raw path.</summary>
    public void HttpRequest(string method, string route, int status, TimeSpan duration) =>
        _httpDuration.Record(duration.TotalSeconds, new("method", method), new("route", route), new("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The sampled gauges, replaced whole by the sampler; a scrape reads the latest.</summary>
    public GaugeSnapshot Gauges
    {
        get => _gauges;
        set => _gauges = value;
    }

    public static string ChannelName(int channel) => KnownChannels.IsKnown(channel) ? ((Channel)channel).ToString().ToLowerInvariant() : "unknown";

    public static string PriorityName(int priority) => priority switch
    {
        MessagePriority.Low => "low",
        MessagePriority.Medium => "medium",
        MessagePriority.High => "high",
        _ => "unknown",
    };

    private static string Provider(string provider) => provider.Length == 0 ? NoProvider : provider;

    private IEnumerable<Measurement<long>> OutboxBacklog()
    {
        if (_gauges.OutboxBacklog is { } backlog)
        {
            yield return new Measurement<long>(backlog);
        }
    }

    private static IEnumerable<Measurement<long>> Tagged(IReadOnlyDictionary<string, long> values, string label) =>
        values.Select(v => new Measurement<long>(v.Value, new KeyValuePair<string, object?>(label, v.Key)));

    public void Dispose() => _meter.Dispose();
}

/// <summary>Records of one send counted as they are written, reported once their transaction has committed.</summary>
public sealed class AcceptedTally
{
    private readonly Dictionary<(int Channel, int Priority, bool Failed), long> _counts = new();

    public IReadOnlyDictionary<(int Channel, int Priority, bool Failed), long> Counts => _counts;

    public AcceptedTally Add(IEnumerable<MessageRecord> records)
    {
        foreach (var r in records)
        {
            var key = (r.Channel, r.Priority, r.Status == MessageStatus.Failed);
            _counts[key] = _counts.GetValueOrDefault(key) + 1;
        }
        return this;
    }
}

/// <summary>Gauge values as last sampled; a label set once reported keeps being reported (0 when empty) so no series goes stale.</summary>
public sealed record GaugeSnapshot(
    IReadOnlyDictionary<string, long> LaneDepth,
    long? OutboxBacklog,
    IReadOnlyDictionary<string, long> ClusterMembers,
    IReadOnlyDictionary<string, long> ShardingEntities,
    IReadOnlyDictionary<string, long> ShardingShards,
    IReadOnlyDictionary<string, long> ConsumerLag)
{
    public static readonly GaugeSnapshot Empty = new(
        new Dictionary<string, long>(), null, new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>(),
        new Dictionary<string, long>());
}
