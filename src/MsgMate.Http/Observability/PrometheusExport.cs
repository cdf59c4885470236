using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Observability;
using MsgMate.Http.Infrastructure;
using Prometheus;

namespace MsgMate.Http.Observability;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format, from this node's <see cref="MsgMateMetrics"/>.
/// <para>
/// prometheus-net (stable; the OpenTelemetry Prometheus exporter is only published as a beta) serves it, but not
/// through its <c>MeterAdapter</c>: that adapter exports every .NET counter as a Prometheus <em>gauge</em> and lets
/// idle series expire (a counter that vanishes and comes back from 0 breaks <c>rate()</c>), and it listens to every
/// meter of the process. <see cref="MeterBridge"/> is the small replacement: it listens to this node's meter only
/// (several nodes run in one test process), exports a .NET <c>Counter</c> as a Prometheus counter, a
/// <c>Histogram</c> as a histogram with the buckets its instrument advises, an observable gauge as a gauge, each
/// under the instrument's own name (<c>msgmate_…</c>, verbatim). Each node has its own registry; besides ours it
/// holds prometheus-net's process and runtime metrics (<c>process_…</c>, <c>dotnet_…</c>), which operators expect.
/// </para>
/// <para>
/// The route is public (no key, like the probes; the leaving gate lets it through): it carries counts per channel,
/// provider, priority, lane and route pattern, never an address, a user id or a message id. It is not in the
/// OpenAPI document, as the probes are not: it answers text, not the envelope.
/// </para>
/// </summary>
public static class PrometheusExport
{
    public const string Path = "/metrics";

    public static IServiceCollection AddMsgMatePrometheus(this IServiceCollection services)
    {
        services.AddSingleton(_ =>
        {
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        services.AddSingleton<MeterBridge>();
        return services;
    }

    /// <summary>The duration of every request, labelled with its endpoint's route pattern. First in the pipeline: refusals count too.</summary>
    public static IApplicationBuilder UseMsgMateHttpMetrics(this IApplicationBuilder app)
    {
        var metrics = app.ApplicationServices.GetRequiredService<MsgMateMetrics>();
        return app.Use(async (ctx, next) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await next(ctx);
            }
            finally
            {
                metrics.HttpRequest(MethodLabel(ctx.Request.Method), RouteLabel(ctx.GetEndpoint()), ctx.Response.StatusCode, Stopwatch.GetElapsedTime(start));
            }
        });
    }

    public static IEndpointConventionBuilder MapMsgMateMetrics(this IEndpointRouteBuilder endpoints)
    {
        // Made now, not at the first scrape: a counter counted before would be lost.
        endpoints.ServiceProvider.GetRequiredService<MeterBridge>();
        var registry = endpoints.ServiceProvider.GetRequiredService<CollectorRegistry>();
        return endpoints.MapMetrics(settings => settings.Registry = registry, Path).Public();
    }

    /// <summary>The route pattern (<c>/msg/send_msg</c>), never the raw path; a request no route took is <c>unmatched</c>.</summary>
    public static string RouteLabel(Endpoint? endpoint) =>
        endpoint is RouteEndpoint { RoutePattern.RawText: { } pattern } && pattern != HttpWiring.FallbackPattern
            ? "/" + pattern.TrimStart('/')
            : "unmatched";

    /// <summary>The method, from a closed set: a client inventing methods does not invent series.</summary>
    public static string MethodLabel(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "HEAD" or "OPTIONS" or "PATCH" => method,
        _ => "OTHER",
    };
}

/// <summary>
/// Exports the instruments of this node's <see cref="MsgMateMetrics.MeterName"/> meter (the one made by this
/// container's <see cref="IMeterFactory"/>) into its Prometheus registry. A metric is made at its first measurement,
/// with the label names that measurement carries (each instrument is always recorded with the same ones); observable
/// gauges are read just before each collection.
/// </summary>
public sealed class MeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, Exported> _exported = new();

    private sealed record Exported(string[] LabelNames, Collector Metric);

    public MeterBridge(IMeterFactory meters, CollectorRegistry registry, MsgMateMetrics metrics)
    {
        // The node's meter exists before the listener starts: the listener is told of it at once.
        _ = metrics;
        _factory = Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MsgMateMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_exported.TryGetValue(instrument, out var exported))
        {
            var names = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                names[i] = tags[i].Key;
            }
            exported = _exported.GetOrAdd(instrument, _ => new Exported(names, Create(instrument, names)));
        }
        var values = new string[exported.LabelNames.Length];
        foreach (var tag in tags)
        {
            var at = Array.IndexOf(exported.LabelNames, tag.Key);
            if (at >= 0)
            {
                values[at] = tag.Value?.ToString() ?? "";
            }
        }
        for (var i = 0; i < values.Length; i++)
        {
            values[i] ??= "";
        }
        switch (exported.Metric)
        {
            case Counter counter:
                (values.Length == 0 ? counter : (ICounter)counter.WithLabels(values)).Inc(value);
                break;
            case Histogram histogram:
                (values.Length == 0 ? histogram : (IHistogram)histogram.WithLabels(values)).Observe(value);
                break;
            case Gauge gauge:
                (values.Length == 0 ? gauge : (IGauge)gauge.WithLabels(values)).Set(value);
                break;
        }
    }

    private Collector Create(Instrument instrument, string[] labelNames)
    {
        var help = instrument.Description ?? instrument.Name;
        return instrument switch
        {
            Counter<long> or Counter<double> => _factory.CreateCounter(instrument.Name, help, labelNames),
            Histogram<double> h => _factory.CreateHistogram(instrument.Name, help, labelNames,
                new HistogramConfiguration { Buckets = h.Advice?.HistogramBucketBoundaries?.ToArray() }),
            _ => _factory.CreateGauge(instrument.Name, help, labelNames),
        };
    }

    public void Dispose() => _listener.Dispose();
}
