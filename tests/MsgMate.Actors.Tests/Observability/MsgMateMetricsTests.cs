using System.Diagnostics.Metrics;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Observability;

namespace MsgMate.Actors.Tests.Observability;

public sealed class MsgMateMetricsTests : IDisposable
{
    /// <summary>A factory of its own, as each node's container has: the listener below hears this one only.</summary>
    private sealed class OwnMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    private readonly OwnMeterFactory _factory = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, Dictionary<string, string> Labels)> _seen = [];
    private readonly MsgMateMetrics _metrics;

    public MsgMateMetricsTests()
    {
        _metrics = new MsgMateMetrics(_factory);
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, _factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Seen(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Seen(i, v, tags));
        _listener.Start();
    }

    private void Seen(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new Dictionary<string, string>();
        foreach (var tag in tags)
        {
            labels[tag.Key] = tag.Value?.ToString() ?? "";
        }
        _seen.Add((instrument.Name, value, labels));
    }

    private double Sum(string name, params (string Key, string Value)[] labels) =>
        _seen.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

    private static MessageRecord Record(int channel, int priority, int status) => new()
    {
        MsgId = Guid.NewGuid().ToString(), BatchId = "b", To = "ann@example.com", Channel = channel, Priority = priority, Status = status,
    };

    [Fact(DisplayName = "Accepted records count per channel and priority; one stored already failed is final at once, with provider 'none'")]
    public void Accepted_and_failed_at_intake()
    {
        var tally = new AcceptedTally()
            .Add([Record(1, MessagePriority.High, MessageStatus.Pending), Record(1, MessagePriority.High, MessageStatus.Pending)])
            .Add([Record(1, MessagePriority.Medium, MessageStatus.Failed), Record(6, MessagePriority.Low, MessageStatus.Scheduled)]);
        _metrics.Accepted(tally);

        Assert.Equal(2, Sum("msgmate_messages_accepted_total", ("channel", "email"), ("priority", "high")));
        Assert.Equal(1, Sum("msgmate_messages_accepted_total", ("channel", "email"), ("priority", "medium")));
        Assert.Equal(1, Sum("msgmate_messages_accepted_total", ("channel", "webhook"), ("priority", "low")));
        Assert.Equal(1, Sum("msgmate_messages_failed_total", ("channel", "email"), ("provider", "none"), ("priority", "medium")));
        Assert.Equal(1, _seen.Count(s => s.Name == "msgmate_message_final_latency_seconds"));
        Assert.DoesNotContain(_seen, s => s.Labels.Values.Any(v => v.Contains('@')));
    }

    [Fact(DisplayName = "A final outcome counts sent or failed with its provider and records its latency; attempts and retries carry their labels")]
    public void Outcomes_attempts_and_retries()
    {
        _metrics.Attempt(6, "webhook:orders", "retry");
        _metrics.RetryScheduled(6);
        _metrics.Attempt(6, "webhook:orders", "sent");
        _metrics.Final(6, "webhook:orders", MessagePriority.Medium, sent: true, TimeSpan.FromSeconds(2.5));
        _metrics.Final(2, "", MessagePriority.High, sent: false, TimeSpan.FromSeconds(-1));

        Assert.Equal(1, Sum("msgmate_delivery_attempts_total", ("channel", "webhook"), ("provider", "webhook:orders"), ("outcome", "retry")));
        Assert.Equal(1, Sum("msgmate_delivery_attempts_total", ("channel", "webhook"), ("provider", "webhook:orders"), ("outcome", "sent")));
        Assert.Equal(1, Sum("msgmate_delivery_retries_total", ("channel", "webhook")));
        Assert.Equal(1, Sum("msgmate_messages_sent_total", ("channel", "webhook"), ("provider", "webhook:orders"), ("priority", "medium")));
        Assert.Equal(1, Sum("msgmate_messages_failed_total", ("channel", "sms"), ("provider", "none"), ("priority", "high")));
        Assert.Equal(2.5, Sum("msgmate_message_final_latency_seconds", ("priority", "medium")));
        // A clock that went back never records a negative latency.
        Assert.Equal(0, Sum("msgmate_message_final_latency_seconds", ("priority", "high")));
    }

    [Fact(DisplayName = "Every instrument is named msgmate_…; the sampled gauges report what the sampler last set")]
    public void Names_and_gauges()
    {
        _metrics.Gauges = GaugeSnapshot.Empty with
        {
            LaneDepth = new Dictionary<string, long> { ["high"] = 3, ["retry"] = 0 },
            OutboxBacklog = 7,
            ClusterMembers = new Dictionary<string, long> { ["up"] = 2 },
        };
        _listener.RecordObservableInstruments();

        Assert.Equal(3, Sum("msgmate_lane_depth", ("lane", "high")));
        Assert.Contains(_seen, s => s.Name == "msgmate_lane_depth" && s.Labels["lane"] == "retry" && s.Value == 0);
        Assert.Equal(7, Sum("msgmate_outbox_backlog"));
        Assert.Equal(2, Sum("msgmate_cluster_members", ("status", "up")));
        Assert.All(_seen, s => Assert.StartsWith("msgmate_", s.Name));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _factory.Dispose();
    }
}
