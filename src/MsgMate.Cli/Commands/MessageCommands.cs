using System.CommandLine;

namespace MsgMate.Cli.Commands;

/// <summary><c>msg …</c>: one message's record and attempts, re-driving failed ones, cancelling one not sent yet.</summary>
public static class MessageCommands
{
    public static Command Build(MsgMateCli cli)
    {
        var msg = new Command("msg", "Messages: look one up, re-drive failed ones, cancel one not delivered yet");

        var get = new Command("get", "One message: status, channel, recipient, attempts and the last error");
        var getId = IdArgument();
        get.Arguments.Add(getId);
        cli.Action(get, async (parsed, s, ct) =>
        {
            var answer = await s.Client.GetAsync($"/msg/get_msg_record?msgID={Uri.EscapeDataString(parsed.GetValue(getId)!)}", ct);
            s.Print(answer, () =>
            {
                s.Fields([
                    ("msg_id", answer.Str("msgID")), ("status", Wire.MessageStatus(answer.Int("status"))),
                    ("channel", Wire.Channel(answer.Int("channel"))), ("priority", answer.Int("priority").ToString()),
                    ("to", answer.Str("to")), ("subject", answer.Str("subject")), ("template_id", answer.Str("templateID")),
                    ("retry_count", answer.Int("retry_count").ToString()), ("last_error", answer.Str("last_error")),
                    ("batch_id", answer.Str("batch_id")), ("source_id", answer.Str("source_id")), ("schedule_id", answer.Str("schedule_id")),
                    ("send_time", answer.Str("send_time")), ("sent_time", answer.Str("sent_time")), ("create_time", answer.Str("create_time")),
                ]);
                var attempts = answer.Items("attempts").ToList();
                if (attempts.Count > 0)
                {
                    s.Table(["#", "TIME", "PROVIDER", "OUTCOME", "MS", "NODE", "ERROR"], attempts.Select(a => Wire.Row(
                        a.Int("attempt").ToString(), a.Str("time"), a.Str("provider"), a.Str("outcome"), a.Str("duration_ms"), a.Str("node"), a.Str("error"))));
                }
            });
            return ExitCodes.Ok;
        });

        var resend = new Command("resend", "Re-drive failed messages with a fresh retry budget: one (ID) or a whole send (--batch ID)");
        var resendId = new Argument<string?>("ID") { Description = "The failed message's id", Arity = ArgumentArity.ZeroOrOne };
        var batch = new Option<string?>("--batch") { Description = "Every failed message of this send (send_msg's batchID)" };
        resend.Arguments.Add(resendId);
        resend.Options.Add(batch);
        cli.Action(resend, async (parsed, s, ct) =>
        {
            var (id, batchId) = (parsed.GetValue(resendId), parsed.GetValue(batch));
            if (string.IsNullOrWhiteSpace(id) == string.IsNullOrWhiteSpace(batchId))
            {
                return await cli.UsageAsync("msg resend takes a message ID or --batch ID, exactly one of them");
            }
            var answer = await s.Client.PostAsync("/msg/resend", id is { Length: > 0 } ? new { msgID = id } : (object)new { batchID = batchId! }, ct);
            s.Print(answer, () => s.Line($"re-driven: {answer.Int("count")} message(s)"));
            return ExitCodes.Ok;
        });

        var cancel = new Command("cancel", "Cancel a message not delivered yet (e.g. one sent for later)");
        var cancelId = IdArgument();
        cancel.Arguments.Add(cancelId);
        cli.Action(cancel, async (parsed, s, ct) =>
        {
            var id = parsed.GetValue(cancelId)!;
            var answer = await s.Client.PostAsync("/msg/cancel", new { msgID = id }, ct);
            s.Print(answer, () => s.Line($"{id} is cancelled"));
            return ExitCodes.Ok;
        });

        msg.Subcommands.Add(get);
        msg.Subcommands.Add(resend);
        msg.Subcommands.Add(cancel);
        return msg;
    }

    private static Argument<string> IdArgument() => new("ID") { Description = "The message's id (send_msg's msgID)" };
}
