using System.CommandLine;
using System.Text.Json;

namespace MsgMate.Cli.Commands;

/// <summary><c>schedule …</c>: list and look up schedules; cancel, pause and resume one.</summary>
public static class ScheduleCommands
{
    public static Command Build(MsgMateCli cli)
    {
        var schedule = new Command("schedule", "Schedules: list, look one up, cancel, pause, resume");

        var list = new Command("list", "Schedules, newest first");
        var status = new Option<string?>("--status") { Description = "Only this status: pending, sent, cancelled, failed or paused" };
        status.AcceptOnlyFromAmong("pending", "sent", "cancelled", "failed", "paused");
        list.Options.Add(status);
        var paging = new PageOptions(list, "Schedules");
        cli.Action(list, async (parsed, s, ct) =>
        {
            var query = $"/scheduled/list?{paging.Query(parsed)}";
            if (parsed.GetValue(status) is { } named)
            {
                query += $"&status={Enumerable.Range(1, 5).First(n => Wire.ScheduleStatus(n) == named)}";
            }
            var answer = await s.Client.GetAsync(query, ct);
            s.Print(answer, () =>
            {
                s.Table(["ID", "STATUS", "SCHEDULED", "RECURRENCE", "FIRED", "NEXT", "LAST ERROR"],
                    answer.Items("messages").Select(m => Wire.Row(
                        m.Str("schedule_id"), Wire.ScheduleStatus(m.Int("status")), m.Str("scheduled_time"), Recurrence(m),
                        m.Int("fired_count").ToString(), m.Items("next_fire_times").FirstOrDefault().ToString(), m.Str("last_error"))));
                s.Line($"{answer.Str("total")} schedule(s); page {answer.Str("page")}");
            });
            return ExitCodes.Ok;
        });

        var get = new Command("get", "One schedule, with its next fire times");
        var getId = IdArgument();
        get.Arguments.Add(getId);
        cli.Action(get, async (parsed, s, ct) =>
        {
            var answer = await s.Client.GetAsync($"/scheduled/get?schedule_id={Uri.EscapeDataString(parsed.GetValue(getId)!)}", ct);
            var m = answer.TryGetProperty("message", out var item) ? item : default;
            s.Print(answer, () => s.Fields([
                ("schedule_id", m.Str("schedule_id")), ("status", Wire.ScheduleStatus(m.Int("status"))),
                ("scheduled_time", m.Str("scheduled_time")), ("recurrence", Recurrence(m)), ("fired_count", m.Int("fired_count").ToString()),
                ("next_fire_times", string.Join(" ", m.Items("next_fire_times").Select(t => t.ToString()))),
                ("template_id", m.Str("template_id")), ("channels", string.Join(",", m.Items("channels").Select(c => Wire.Channel(c.GetInt32())))),
                ("to", m.List("to")), ("user_ids", m.List("user_ids")), ("tags", m.List("tags")),
                ("last_batch_id", m.Str("last_batch_id")), ("last_error", m.Str("last_error")),
                ("create_time", m.Str("create_time")), ("modify_time", m.Str("modify_time")),
            ]));
            return ExitCodes.Ok;
        });

        schedule.Subcommands.Add(list);
        schedule.Subcommands.Add(get);
        schedule.Subcommands.Add(Change(cli, "cancel", "Cancel a pending schedule", "cancelled"));
        schedule.Subcommands.Add(Change(cli, "pause", "Pause a pending schedule", "paused"));
        schedule.Subcommands.Add(Change(cli, "resume", "Resume a paused schedule", "resumed"));
        return schedule;
    }

    private static Command Change(MsgMateCli cli, string name, string description, string done)
    {
        var verb = new Command(name, description);
        var id = IdArgument();
        verb.Arguments.Add(id);
        cli.Action(verb, async (parsed, s, ct) =>
        {
            var scheduleId = parsed.GetValue(id)!;
            var answer = await s.Client.PostAsync($"/scheduled/{name}", new { schedule_id = scheduleId }, ct);
            s.Print(answer, () => s.Line($"{scheduleId} is {done}"));
            return ExitCodes.Ok;
        });
        return verb;
    }

    private static string Recurrence(JsonElement m) =>
        m.Str("cron") is { Length: > 0 } cron ? $"cron {cron}"
        : m.Int("interval_seconds") is var every and > 0 ? $"every {every} s"
        : "once";

    private static Argument<string> IdArgument() => new("ID") { Description = "The schedule's id (scheduled/create's schedule_id)" };
}
