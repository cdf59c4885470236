using System.Globalization;
using System.Text;
using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// <c>/metrics</c> of a real node (on each queue mode, email over a scripted SMTP server): scraped before and after
/// sends that the test alone makes on this node, the counters move by exactly what happened, with the right labels,
/// and no label carries an address or an id. Concrete classes at the end.
/// </summary>
public abstract class MetricsTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : PipelineFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly string[] Lanes = ["high", "medium", "low", "retry"];

    private NodeHost Node => fixture.Node;

    private bool Kafka => fixture is KafkaOnSqlite;

    private ScriptedSmtpServer Smtp => fixture.Smtp;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Sends <paramref name="count"/> messages, one request each, to fresh addresses; answers their ids and addresses.</summary>
    private async Task<List<(string MsgId, string To)>> SendAsync(int count, int priority)
    {
        var sent = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var to = $"metrics-{Guid.NewGuid():N}@example.com";
            var id = (await Node.PostAsync("/msg/send_msg", new { to, channels = new[] { 1 }, subject = "s", content = "metrics", priority }))
                .ShouldSucceed()["msgID"].GetString()!;
            sent.Add((id, to));
        }
        return sent;
    }

    private async Task WaitForStatusAsync(IEnumerable<string> msgIds, int status)
    {
        foreach (var id in msgIds)
        {
            await Eventually.AssertAsync(
                async () => (await Node.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed()["status"].GetInt32() == status,
                Patience, $"message {id} reaches status {status}");
        }
    }

    private async Task<Scrape> ScrapeAsync()
    {
        using var response = await Node.Client.GetAsync("/metrics");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Scrape.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Scrapes until <paramref name="reached"/> holds (counting happens once outcomes are durable, just after the record shows them).</summary>
    private async Task<Scrape> ScrapeUntilAsync(Func<Scrape, bool> reached, string what)
    {
        Scrape last = null!;
        await Eventually.AssertAsync(async () => reached(last = await ScrapeAsync()), Patience, () =>
            $"{what}; the gauges last scraped: {string.Join(", ", last?.Samples.Where(s => s.Name is "msgmate_consumer_lag" or "msgmate_outbox_backlog" or "msgmate_lane_depth" or "msgmate_cluster_members").Select(s => $"{s.Name}{{{string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}") ?? [])}");
        return last;
    }

    [Fact(DisplayName = "N sends delivered over SMTP: accepted, sent, attempts (sent) and the latency count move by exactly N; the send_msg route pattern is in the HTTP histogram; names msgmate_ (or process_/dotnet_), no address or id in a label")]
    public async Task Sent_messages_are_counted()
    {
        const int n = 5;
        var before = await ScrapeAsync();
        var messages = await SendAsync(n, priority: 3);
        await WaitForStatusAsync(messages.Select(m => m.MsgId), 2);
        var after = await ScrapeUntilAsync(s => s.Delta(before, "msgmate_messages_sent_total", ("channel", "email"), ("priority", "high")) >= n,
            "the sent counter reaches N");

        double Moved(string name, params (string, string)[] labels) => after.Delta(before, name, labels);
        Assert.Equal(n, Moved("msgmate_messages_accepted_total", ("channel", "email"), ("priority", "high")));
        Assert.Equal(n, Moved("msgmate_messages_sent_total", ("channel", "email"), ("provider", $"smtp:{Smtp.Host}"), ("priority", "high")));
        Assert.Equal(n, Moved("msgmate_messages_sent_total"));
        Assert.Equal(0, Moved("msgmate_messages_failed_total"));
        Assert.Equal(n, Moved("msgmate_delivery_attempts_total", ("channel", "email"), ("provider", $"smtp:{Smtp.Host}"), ("outcome", "sent")));
        Assert.Equal(n, Moved("msgmate_delivery_attempts_total"));
        Assert.Equal(0, Moved("msgmate_delivery_retries_total"));
        Assert.Equal(n, Moved("msgmate_message_final_latency_seconds_count", ("priority", "high")));
        Assert.Equal(n, Moved("msgmate_message_final_latency_seconds_bucket", ("priority", "high"), ("le", "+Inf")));
        Assert.True(Moved("msgmate_message_final_latency_seconds_sum", ("priority", "high")) > 0);
        Assert.Equal(n, Moved("msgmate_http_request_duration_seconds_count", ("method", "POST"), ("route", "/msg/send_msg"), ("status", "200")));
        Assert.Contains(after.Samples, s => s.Name == "msgmate_http_request_duration_seconds_count" && s.Labels.GetValueOrDefault("route") == "/msg/get_msg_record");

        Assert.Empty(after.Samples.Select(s => s.Name).Where(name => !name.StartsWith("msgmate_") && !name.StartsWith("process_") && !name.StartsWith("dotnet_")).Distinct());
        Assert.Equal("counter", after.Types["msgmate_messages_accepted_total"]);
        Assert.Equal("histogram", after.Types["msgmate_message_final_latency_seconds"]);
        var labelValues = after.Samples.SelectMany(s => s.Labels.Values).Distinct().ToList();
        foreach (var (msgId, to) in messages)
        {
            Assert.DoesNotContain(labelValues, v => v.Contains(to, StringComparison.OrdinalIgnoreCase) || v.Contains(msgId, StringComparison.OrdinalIgnoreCase));
        }
        Assert.DoesNotContain(labelValues, v => v.Contains('@'));
        // Route patterns, never raw paths with their queries (get_msg_record?msgID=… was asked above).
        Assert.DoesNotContain(after.Samples, s => s.Labels.TryGetValue("route", out var route) && (route.Contains('=') || !route.StartsWith('/') && route != "unmatched"));
    }

    [Fact(DisplayName = "A sink that refuses permanently (550): failed and attempts (failed) move by exactly N, nothing sent, no retry")]
    public async Task Permanent_failures_are_counted()
    {
        const int n = 3;
        Smtp.ClearScript().RejectAllDeliveries(550);
        try
        {
            var before = await ScrapeAsync();
            var messages = await SendAsync(n, priority: 2);
            await WaitForStatusAsync(messages.Select(m => m.MsgId), 3);
            var after = await ScrapeUntilAsync(s => s.Delta(before, "msgmate_messages_failed_total", ("channel", "email"), ("priority", "medium")) >= n,
                "the failed counter reaches N");

            double Moved(string name, params (string, string)[] labels) => after.Delta(before, name, labels);
            Assert.Equal(n, Moved("msgmate_messages_accepted_total", ("channel", "email"), ("priority", "medium")));
            Assert.Equal(n, Moved("msgmate_messages_failed_total", ("channel", "email"), ("provider", $"smtp:{Smtp.Host}"), ("priority", "medium")));
            Assert.Equal(0, Moved("msgmate_messages_sent_total"));
            Assert.Equal(n, Moved("msgmate_delivery_attempts_total", ("channel", "email"), ("outcome", "failed")));
            Assert.Equal(n, Moved("msgmate_delivery_attempts_total"));
            Assert.Equal(0, Moved("msgmate_delivery_retries_total"));
            Assert.Equal(n, Moved("msgmate_message_final_latency_seconds_count", ("priority", "medium")));
            var labelValues = after.Samples.SelectMany(s => s.Labels.Values).ToHashSet();
            Assert.DoesNotContain(labelValues, v => messages.Any(m => v.Contains(m.To, StringComparison.OrdinalIgnoreCase)));
        }
        finally
        {
            Smtp.ClearScript();
        }
    }

    [Fact(DisplayName = "Sampled gauges: one member up, every lane's depth, the outbox backlog back at 0 (always on the SQL queue), on Kafka every lane's consumer lag, shards and entities per type; a schedule's firing is in the lateness histogram")]
    public async Task Gauges_and_schedule_lateness()
    {
        var before = await ScrapeAsync();
        var due = DateTimeOffset.UtcNow.AddSeconds(3);
        due = due.AddTicks(-(due.Ticks % TimeSpan.TicksPerSecond)).AddSeconds(1);
        (await Node.PostAsync("/scheduled/create", new
        {
            to = $"metrics-{Guid.NewGuid():N}@example.com", channels = new[] { 1 }, content = "x", priority = 1,
            scheduled_time = TimeZoneInfo.ConvertTime(due, Shanghai).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        })).ShouldSucceed();

        var after = await ScrapeUntilAsync(
            s => s.Value("msgmate_cluster_members", ("status", "up")) == 1
                 && s.Samples.Any(x => x.Name == "msgmate_sharding_shards" && x.Labels.GetValueOrDefault("type") == "schedule")
                 && s.Delta(before, "msgmate_schedule_lateness_seconds_count") >= 1
                 // Its message delivered too: nothing of this test is counted during the next one.
                 && s.Delta(before, "msgmate_messages_sent_total", ("priority", "low")) >= 1
                 // SQL queue: always 0; Kafka: 0 once the relay has published everything due.
                 && s.Value("msgmate_outbox_backlog") == 0
                 // Kafka: each lane's consumer lag from the brokers (sampled every 30 s; its value is asserted by QueueAdminTests).
                 && (!Kafka || Lanes.All(l => s.Samples.Any(x => x.Name == "msgmate_consumer_lag" && x.Labels.GetValueOrDefault("lane") == l && x.Value >= 0))),
            "the sampler has run, the schedule has fired and its message is sent");
        Assert.Equal(1, after.Delta(before, "msgmate_schedule_lateness_seconds_count"));
        Assert.Equal(0, after.Value("msgmate_cluster_members", ("status", "unreachable")));
        foreach (var lane in Lanes)
        {
            Assert.Contains(after.Samples, s => s.Name == "msgmate_lane_depth" && s.Labels.GetValueOrDefault("lane") == lane);
        }
        // The SQL queue has no consumer lag: its lane depth is the lag.
        Assert.Equal(Kafka, after.Samples.Any(s => s.Name == "msgmate_consumer_lag"));
        Assert.Contains(after.Samples, s => s.Name == "msgmate_outbox_backlog");
        foreach (var type in new[] { "user", "template", "schedule" })
        {
            Assert.Contains(after.Samples, s => s.Name == "msgmate_sharding_shards" && s.Labels.GetValueOrDefault("type") == type);
            Assert.Contains(after.Samples, s => s.Name == "msgmate_sharding_entities" && s.Labels.GetValueOrDefault("type") == type);
        }
        Assert.Equal("gauge", after.Types["msgmate_lane_depth"]);
    }

    /// <summary>One scrape in the Prometheus text format: samples with their labels, and the declared types.</summary>
    private sealed record Scrape(IReadOnlyList<Sample> Samples, IReadOnlyDictionary<string, string> Types)
    {
        /// <summary>The sum of the samples of <paramref name="name"/> whose labels include <paramref name="labels"/> (0 when none).</summary>
        public double Value(string name, params (string Key, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

        public double Delta(Scrape before, string name, params (string Key, string Value)[] labels) =>
            Value(name, labels) - before.Value(name, labels);

        public static Scrape Parse(string text)
        {
            var samples = new List<Sample>();
            var types = new Dictionary<string, string>();
            foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
            {
                if (line.StartsWith("# TYPE "))
                {
                    var parts = line.Split(' ');
                    types[parts[2]] = parts[3];
                    continue;
                }
                if (line.StartsWith('#'))
                {
                    continue;
                }
                var labels = new Dictionary<string, string>();
                var i = 0;
                while (i < line.Length && line[i] != '{' && line[i] != ' ')
                {
                    i++;
                }
                var name = line[..i];
                if (i < line.Length && line[i] == '{')
                {
                    i++;
                    while (line[i] != '}')
                    {
                        var eq = line.IndexOf('=', i);
                        var key = line[i..eq].Trim(',', ' ');
                        var value = new StringBuilder();
                        for (i = eq + 2; line[i] != '"'; i++)
                        {
                            if (line[i] == '\\')
                            {
                                i++;
                                value.Append(line[i] == 'n' ? '\n' : line[i]);
                            }
                            else
                            {
                                value.Append(line[i]);
                            }
                        }
                        labels[key] = value.ToString();
                        i++;
                        if (line[i] == ',')
                        {
                            i++;
                        }
                    }
                    i++;
                }
                var rest = line[i..].Trim().Split(' ');
                var number = rest[0] switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    var v => double.Parse(v, CultureInfo.InvariantCulture),
                };
                samples.Add(new Sample(name, labels, number));
            }
            return new Scrape(samples, types);
        }
    }

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}

public sealed class MetricsOnSqlQueueSqlite(SqlQueueOnSqlite fixture) : MetricsTests<SqlQueueOnSqlite>(fixture);

public sealed class MetricsOnKafka(KafkaOnSqlite fixture) : MetricsTests<KafkaOnSqlite>(fixture);
