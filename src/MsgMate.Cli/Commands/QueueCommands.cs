using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace MsgMate.Cli.Commands;

/// <summary><c>queue lag</c> and <c>dead-letters …</c>: the delivery queue's lanes, and messages that failed for good.</summary>
public static class QueueCommands
{
    public static Command BuildQueue(MsgMateCli cli)
    {
        var queue = new Command("queue", "The delivery queue's lanes");
        var lag = new Command("lag", "Per lane: records due and not claimed, in flight, waiting retries, not yet published, the oldest due one's age; on Kafka the consumer lag");
        cli.Action(lag, async (_, s, ct) =>
        {
            var answer = await s.Client.GetAsync("/admin/queue", ct);
            var kafka = answer.Str("queue") == "kafka";
            s.Print(answer, () =>
            {
                string[] headers = ["LANE", "DUE", "IN FLIGHT", "WAITING", "NEXT WAITING", "OLDEST DUE"];
                s.Table(kafka ? [.. headers, "UNPUBLISHED", "CONSUMER LAG", "PARTITIONS"] : headers,
                    answer.Items("lanes").Select(l =>
                    {
                        string[] row = [l.Str("lane"), l.Str("due"), l.Str("in_flight"), l.Str("waiting"), Age(l, "next_waiting_in_ms"), Age(l, "oldest_due_age_ms")];
                        return kafka ? [.. row, l.Str("unpublished"), l.Str("consumer_lag"), l.Str("partitions")] : row;
                    }));
                s.Line(kafka ? "queue: Kafka (consumer lag from the brokers, summed over the lane's partitions)" : "queue: SQL table (due = the lane's depth)");
                if (answer.Str("lag_problem") is { Length: > 0 } problem)
                {
                    s.Line(problem);
                }
            });
            return ExitCodes.Ok;
        });
        queue.Subcommands.Add(lag);
        return queue;
    }

    public static Command BuildDeadLetters(MsgMateCli cli)
    {
        var deadLetters = new Command("dead-letters", "Messages that failed for good: list them, re-drive them");

        var list = new Command("list", "Dead letters, newest first, with their last error");
        var channel = ChannelOption("Only this channel");
        list.Options.Add(channel);
        var paging = new PageOptions(list, "Dead letters");
        cli.Action(list, async (parsed, s, ct) =>
        {
            var query = $"/admin/dead-letters?{paging.Query(parsed)}";
            if (parsed.GetValue(channel) is { } c)
            {
                query += $"&channel={c}";
            }
            var answer = await s.Client.GetAsync(query, ct);
            s.Print(answer, () =>
            {
                s.Table(["MSG ID", "FAILED AT", "CHANNEL", "PRIORITY", "ATTEMPTS", "SOURCE", "ERROR"],
                    answer.Items("dead_letters").Select(d => Wire.Row(
                        d.Str("msg_id"), d.Str("failed_at"), Wire.Channel(d.Int("channel")), d.Str("priority"), d.Str("attempts"), d.Str("source_id"), d.Str("error"))));
                s.Line($"{answer.Str("total")} dead letter(s); page {answer.Str("page")}");
            });
            return ExitCodes.Ok;
        });

        var redrive = new Command("redrive", "Re-drive dead letters with a fresh retry budget: by ID, every one of a channel (--channel), or --all");
        var ids = new Argument<string[]>("ID") { Description = "Dead letters' message ids", Arity = ArgumentArity.ZeroOrMore };
        var redriveChannel = ChannelOption("Every dead letter of this channel");
        var all = new Option<bool>("--all") { Description = "Every dead letter" };
        redrive.Arguments.Add(ids);
        redrive.Options.Add(redriveChannel);
        redrive.Options.Add(all);
        cli.Action(redrive, async (parsed, s, ct) =>
        {
            var named = parsed.GetValue(ids) ?? [];
            var onChannel = parsed.GetValue(redriveChannel);
            var everyOne = parsed.GetValue(all);
            if (named.Length == 0 && onChannel is null && !everyOne)
            {
                return await cli.UsageAsync("dead-letters redrive needs IDs, --channel N or --all");
            }
            // The node re-drives at most its limit per call, in one transaction each: go on while it says more remain,
            // but no further than what the first answer said there was (messages failing again are not chased).
            long total = 0, target = 0, remaining, count;
            do
            {
                var answer = await s.Client.PostAsync("/admin/dead-letters/redrive",
                    new { msg_ids = named.Length > 0 ? named : null, channel = onChannel, all = everyOne }, ct);
                (count, remaining) = (answer.Int("count"), answer.Long("remaining"));
                target = total == 0 ? count + remaining : target;
                total += count;
            }
            while (named.Length == 0 && count > 0 && remaining > 0 && total < target);
            var summary = JsonSerializer.SerializeToElement(new { code = 0, msg = "ok", count = total, remaining });
            s.Print(summary, () => s.Line($"re-driven: {total} message(s); {remaining} dead letter(s) of that selection left"));
            return ExitCodes.Ok;
        });

        deadLetters.Subcommands.Add(list);
        deadLetters.Subcommands.Add(redrive);
        return deadLetters;
    }

    private static Option<int?> ChannelOption(string description) =>
        new("--channel") { Description = $"{description}: 1 email, 2 sms, 3 lark, 4 wecom, 5 dingtalk, 6 webhook" };

    /// <summary>Milliseconds as people read them: 850 ms, 12.3 s, 4.0 min; empty when the node gave none.</summary>
    private static string Age(JsonElement lane, string name) =>
        lane.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms)
            ? ms < 1000 ? $"{ms} ms"
            : ms < 120_000 ? (ms / 1000.0).ToString("0.0 's'", CultureInfo.InvariantCulture)
            : (ms / 60_000.0).ToString("0.0 'min'", CultureInfo.InvariantCulture)
            : "";
}
