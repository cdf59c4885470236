using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MsgMate.Deployment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Deployment.Tests;

/// <summary>
/// The provisioned Grafana dashboard asks only for metrics the node exports, by their labels: a renamed metric or
/// label shows here instead of as an empty panel.
/// </summary>
public sealed partial class DashboardTests(ITestOutputHelper output)
{
    /// <summary>The node's Prometheus names and labels (histograms: the base name; Prometheus adds _bucket, _sum, _count).</summary>
    private static readonly Dictionary<string, (string[] Labels, bool Histogram)> Metrics = new()
    {
        ["msgmate_messages_accepted_total"] = (["channel", "priority"], false),
        ["msgmate_messages_sent_total"] = (["channel", "provider", "priority"], false),
        ["msgmate_messages_failed_total"] = (["channel", "provider", "priority"], false),
        ["msgmate_delivery_attempts_total"] = (["channel", "provider", "outcome"], false),
        ["msgmate_delivery_retries_total"] = (["channel"], false),
        ["msgmate_message_final_latency_seconds"] = (["priority"], true),
        ["msgmate_lane_depth"] = (["lane"], false),
        ["msgmate_outbox_backlog"] = ([], false),
        ["msgmate_consumer_lag"] = (["lane"], false),
        ["msgmate_schedule_lateness_seconds"] = ([], true),
        ["msgmate_cluster_members"] = (["status"], false),
        ["msgmate_sharding_entities"] = (["type"], false),
        ["msgmate_sharding_shards"] = (["type"], false),
        ["msgmate_http_request_duration_seconds"] = (["method", "route", "status"], true),
    };

    /// <summary>Labels Prometheus adds to every scraped series.</summary>
    private static readonly string[] TargetLabels = ["instance", "job"];

    private static List<(string Panel, string Expr, string? Legend)> Targets()
    {
        var dashboard = JsonNode.Parse(Repo.Read("deploy/grafana/dashboards/msgmate.json"))!;
        Assert.Equal("msgmate", Yaml.Text(dashboard["uid"]));
        return [.. dashboard["panels"]!.AsArray()
            .Where(p => Yaml.Text(p!["type"]) != "row")
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => (Yaml.Text(p["title"])!, Yaml.Text(t!["expr"])!, Yaml.Text(t["legendFormat"]))))];
    }

    [Fact(DisplayName = "The dashboard parses and its queries use only the node's metric names, each of them at least once")]
    public void Dashboard_uses_only_known_metrics()
    {
        var targets = Targets();
        Assert.NotEmpty(targets);
        var used = new HashSet<string>();
        foreach (var (panel, expr, _) in targets)
        {
            var names = MetricNames(expr);
            Assert.True(names.Count > 0, $"{panel}: '{expr}' queries no msgmate_ metric");
            used.UnionWith(names);
        }
        Assert.Equal(Metrics.Keys.Order(StringComparer.Ordinal), used.Order(StringComparer.Ordinal));
        output.WriteLine($"{targets.Count} queries over {used.Count} metrics");
    }

    [Fact(DisplayName = "The dashboard's label matchers, `by` clauses and legends use only the labels of the metrics queried")]
    public void Dashboard_uses_only_known_labels()
    {
        foreach (var (panel, expr, legend) in Targets())
        {
            var names = MetricNames(expr);
            var allowed = names.SelectMany(n => Metrics[n].Labels).Concat(TargetLabels).ToHashSet();
            if (names.Any(n => Metrics[n].Histogram) && expr.Contains("_bucket", StringComparison.Ordinal))
            {
                allowed.Add("le");
            }
            var labels = Matchers().Matches(expr).SelectMany(m => LabelInMatcher().Matches(m.Groups[1].Value).Select(l => l.Groups[1].Value))
                .Concat(ByClauses().Matches(expr).SelectMany(m => m.Groups[1].Value.Split(',').Select(l => l.Trim())))
                .Concat(legend is null ? [] : LegendLabels().Matches(legend).Select(m => m.Groups[1].Value).Where(l => l != "__auto"));
            foreach (var label in labels)
            {
                Assert.True(allowed.Contains(label), $"{panel}: label '{label}' in '{expr}' (legend '{legend}') is not one of {string.Join(", ", allowed)}");
            }
        }
    }

    /// <summary>The metric names of an expression, a histogram's series (_bucket, _sum, _count) as its base name.</summary>
    private static HashSet<string> MetricNames(string expr)
    {
        var names = new HashSet<string>();
        foreach (Match match in MetricName().Matches(expr))
        {
            var name = match.Value;
            var histogram = HistogramSeries().Match(name);
            var baseName = histogram.Success && Metrics.TryGetValue(histogram.Groups[1].Value, out var h) && h.Histogram ? histogram.Groups[1].Value : name;
            Assert.True(Metrics.ContainsKey(baseName), $"'{name}' in '{expr}' is not a metric the node exports");
            names.Add(baseName);
        }
        return names;
    }

    [GeneratedRegex(@"\bmsgmate_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^(.*)_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();

    [GeneratedRegex(@"msgmate_[a-z0-9_]+\{([^}]*)\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)")]
    private static partial Regex LabelInMatcher();

    [GeneratedRegex(@"\b(?:by|without)\s*\(([^)]*)\)")]
    private static partial Regex ByClauses();

    [GeneratedRegex(@"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")]
    private static partial Regex LegendLabels();
}
