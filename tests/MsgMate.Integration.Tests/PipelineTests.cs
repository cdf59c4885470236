using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Delivery;
using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// send_msg → records → queue → lanes → email over real SMTP, on each queue mode (concrete classes at the end).
/// Every test sends under its own Source-Id, so that its records can be counted apart.
/// </summary>
public abstract class PipelineTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : PipelineFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private NodeHost Node => fixture.Node;

    private ScriptedSmtpServer Smtp => fixture.Smtp;

    private static Dictionary<string, string> Source(string sourceId) => new() { ["Source-Id"] = sourceId };

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..20];

    private async Task<string> CreateTemplateAsync(string content, string subject = "Hello {{name}}", int channel = 1)
    {
        var created = await Node.PostAsync("/msg/create_template", new { sourceID = "pipeline", name = "t", channel, subject, content });
        return created.ShouldSucceed()["templateID"].GetString()!;
    }

    private async Task<JsonElement> WaitForStatusAsync(string msgId, int status)
    {
        JsonElement body = default;
        await Eventually.AssertAsync(async () =>
        {
            body = (await Node.GetAsync($"/msg/get_msg_record?msgID={msgId}")).ShouldSucceed().Body;
            return body.GetProperty("status").GetInt32() == status;
        }, Patience, () => $"message {msgId} reaches status {status} (last seen {body})");
        return body;
    }

    private async Task<long> CountRecordsAsync(string sourceId, int? status = null) =>
        (await Node.GetAsync($"/msg/list_msg_records?source_id={sourceId}{(status is null ? "" : $"&status={status}")}"))
        .ShouldSucceed()["total"].GetInt64();

    private IReadOnlyList<ReceivedMail> MailsFor(string msgId) =>
        Smtp.Messages.Where(m => m.Data.Contains(msgId, StringComparison.Ordinal)).ToList();

    [Fact(DisplayName = "A template send to direct, user-id and tag recipients: one record each, all sent with the rendered mail")]
    public async Task Send_to_everyone()
    {
        var source = NewId("src");
        var tag = NewId("tag");
        var (u1, u2) = (NewId("u"), NewId("u"));
        (await Node.PostAsync("/user/create", new { user_id = u1, name = "One", email = $"{u1}@example.com" })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = u2, name = "Two", email = $"{u2}@example.com", tags = new[] { tag } })).ShouldSucceed();
        var template = await CreateTemplateAsync("<p>Dear {{name}}, your code is <b>{{code}}</b></p>");

        var sent = (await Node.PostAsync("/msg/send_msg", new
        {
            to = "direct@example.com",
            user_ids = new[] { u1 },
            tags = new[] { tag },
            templateID = template,
            templateData = new Dictionary<string, object> { ["name"] = "<Ann & Bob>", ["code"] = 4711 },
            priority = 3,
        }, Source(source))).ShouldSucceed();

        var ids = sent["msgIDs"].EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Equal(3, sent["count"].GetInt32());
        Assert.Equal(ids[0], sent["msgID"].GetString());
        Assert.Equal(36, sent["batchID"].GetString()!.Length);
        foreach (var id in ids)
        {
            var record = await WaitForStatusAsync(id, 2);
            Assert.Equal(template, record.GetProperty("templateID").GetString());
            Assert.Equal("4711", record.GetProperty("templateData").GetProperty("code").GetString());
            Assert.Equal(3, record.GetProperty("priority").GetInt32());
            Assert.Equal(1, record.GetProperty("attempt_count").GetInt32());
            var mail = Assert.Single(MailsFor(id));
            Assert.Equal([record.GetProperty("to").GetString()!], mail.Recipients);
            Assert.Contains("Subject: Hello <Ann & Bob>", mail.Data);
            // The HTML part carries the template's markup with the caller's value encoded.
            Assert.Contains("&lt;Ann &amp; Bob&gt;", mail.Data);
        }
        Assert.Equal(
            new[] { "direct@example.com", $"{u1}@example.com", $"{u2}@example.com" }.Order(),
            ids.Select(id => Assert.Single(MailsFor(id)).Recipients[0]).Order());
        Assert.Equal(3, await CountRecordsAsync(source, status: 2));
    }

    [Fact(DisplayName = "Inline content goes out once per channel; a disabled user or a missing contact is a failed record with the reason")]
    public async Task Inline_content_and_unreachable_users()
    {
        var source = NewId("src");
        var (ok, noMail, off) = (NewId("u"), NewId("u"), NewId("u"));
        (await Node.PostAsync("/user/create", new { user_id = ok, name = "Ok", email = $"{ok}@example.com" })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = noMail, name = "NoMail", mobile = "13800138000" })).ShouldSucceed();
        (await Node.PostAsync("/user/create", new { user_id = off, name = "Off", email = $"{off}@example.com" })).ShouldSucceed();
        (await Node.PostAsync("/user/delete", new { user_id = off })).ShouldSucceed();

        var sent = (await Node.PostAsync("/msg/send_msg", new
        {
            user_ids = new[] { ok, noMail, off, ok },
            channels = new[] { 1 },
            subject = "Plain",
            content = "Hi {{who}}",
            templateData = new { who = "there" },
        }, Source(source))).ShouldSucceed();
        Assert.Equal(3, sent["count"].GetInt32());

        var records = (await Node.GetAsync($"/msg/list_msg_records?source_id={source}")).ShouldSucceed()["records"].EnumerateArray().ToList();
        var failed = records.Where(r => r.GetProperty("Status").GetInt32() == 3)
            .ToDictionary(r => r.GetProperty("To").GetString()!, r => r.GetProperty("LastError").GetString());
        Assert.Equal("user is disabled", failed[$"{off}@example.com"]);
        Assert.Equal("user has no email", failed[""]);
        var delivered = records.Single(r => r.GetProperty("To").GetString() == $"{ok}@example.com").GetProperty("MsgId").GetString()!;
        await WaitForStatusAsync(delivered, 2);
        Assert.Contains("Hi there", Assert.Single(MailsFor(delivered)).Data);
        Assert.Equal("{\"who\":\"there\"}", records[0].GetProperty("TemplateData").GetString());
    }

    [Fact(DisplayName = "Duplicates across to, user_ids and tags are removed")]
    public async Task Duplicates_removed()
    {
        var tag = NewId("tag");
        var user = NewId("u");
        (await Node.PostAsync("/user/create", new { user_id = user, name = "Dup", email = "dup@example.com", tags = new[] { tag } })).ShouldSucceed();
        var sent = (await Node.PostAsync("/msg/send_msg", new
        {
            to = new[] { "dup@example.com", "DUP@example.com" }, user_ids = new[] { user }, tags = new[] { tag },
            channels = new[] { 1 }, content = "once",
        })).ShouldSucceed();
        Assert.Equal(1, sent["count"].GetInt32());
        // Every test leaves no delivery in flight: the next one may script the SMTP server.
        await WaitForStatusAsync(sent["msgID"].GetString()!, 2);
    }

    [Fact(DisplayName = "A future sendTimestamp waits until its time; a cancelled one is never sent")]
    public async Task Future_send_and_cancel()
    {
        var template = await CreateTemplateAsync("later {{x}}", subject: "Later");
        var created = new List<string>();
        // Both due at the same whole second: when the one is sent, the other would have been too.
        var (due, (later, cancelled, scheduleId)) = await BeforeDue.RunAsync(TimeSpan.FromSeconds(4), async due =>
        {
            var later = (await Node.PostAsync("/msg/send_msg", new
            {
                to = "later@example.com", templateID = template, templateData = new { x = "1" }, sendTimestamp = due.ToUnixTimeMilliseconds(),
            })).ShouldSucceed()["msgID"].GetString()!;
            created.Add(later);
            var cancelled = (await Node.PostAsync("/msg/send_msg", new
            {
                to = "never@example.com", templateID = template, templateData = new { x = "2" }, sendTimestamp = due.ToUnixTimeSeconds(),
            })).ShouldSucceed()["msgID"].GetString()!;
            created.Add(cancelled);

            // Stored at once (real ids), waiting as "scheduled" (6) for the schedule entity that owns their timer.
            var waiting = (await Node.GetAsync($"/msg/get_msg_record?msgID={later}")).ShouldSucceed();
            Assert.Equal(6, waiting["status"].GetInt32());
            var scheduleId = waiting["schedule_id"].GetString()!;
            Assert.Equal(1, (await Node.GetAsync($"/scheduled/get?schedule_id={scheduleId}")).ShouldSucceed()["message"].GetProperty("status").GetInt32());
            (await Node.PostAsync("/msg/cancel", new { msgID = cancelled })).ShouldSucceed();
            (await Node.PostAsync("/msg/cancel", new { msgID = cancelled })).ShouldFail(8049, 409);
            return (later, cancelled, scheduleId);
        }, overran: async () =>
        {
            // A round that ran past its time leaves nothing to be delivered during the next tests (they script the server).
            foreach (var id in created)
            {
                await Node.PostAsync("/msg/cancel", new { msgID = id });
            }
            created.Clear();
        }, margin: TimeSpan.FromSeconds(1)); // the intake sends a sendTimestamp less than 1 s ahead at once

        var record = await WaitForStatusAsync(later, 2);
        var sentAt = DateTimeOffset.Parse(record.GetProperty("sent_time").GetString()!);
        Assert.True(sentAt >= due.AddMilliseconds(-5), $"sent at {sentAt:O}, due {due:O}");
        Assert.Single(MailsFor(later));
        Assert.Equal(5, (await Node.GetAsync($"/msg/get_msg_record?msgID={cancelled}")).ShouldSucceed()["status"].GetInt32());
        Assert.Empty(MailsFor(cancelled));
        (await Node.PostAsync("/msg/cancel", new { msgID = later })).ShouldFail(8049, 409);
        // The schedule records its firing after the intake released the records, possibly after they were delivered.
        await Eventually.AssertAsync(
            async () => (await Node.GetAsync($"/scheduled/get?schedule_id={scheduleId}")).ShouldSucceed()["message"].GetProperty("status").GetInt32() == 2,
            Patience, "the schedule of the future send is sent");
    }

    [Fact(DisplayName = "Cancelling the schedule of a future send cancels its waiting records")]
    public async Task Future_send_cancelled_through_its_schedule()
    {
        var id = (await Node.PostAsync("/msg/send_msg", new
        {
            to = new[] { "f1@example.com", "f2@example.com" }, channels = new[] { 1 }, content = "x",
            sendTimestamp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds(),
        })).ShouldSucceed()["msgID"].GetString()!;
        var scheduleId = (await Node.GetAsync($"/msg/get_msg_record?msgID={id}")).ShouldSucceed()["schedule_id"].GetString()!;
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = scheduleId })).ShouldSucceed();
        var records = (await Node.GetAsync($"/msg/list_msg_records?schedule_id={scheduleId}")).ShouldSucceed()["records"].EnumerateArray().ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(5, r.GetProperty("Status").GetInt32()));
    }

    [Fact(DisplayName = "An Idempotency-Key repeat answers the first answer; the same key with another body is refused")]
    public async Task Idempotency()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString(), ["Source-Id"] = NewId("src") };
        var body = new { to = "idem@example.com", channels = new[] { 1 }, content = "once only" };
        var first = (await Node.PostAsync("/msg/send_msg", body, key)).ShouldSucceed();
        var again = (await Node.PostAsync("/msg/send_msg", body, key)).ShouldSucceed();
        Assert.Equal(first["msgID"].GetString(), again["msgID"].GetString());
        Assert.Equal(first["batchID"].GetString(), again["batchID"].GetString());
        Assert.Equal(1, await CountRecordsAsync(key["Source-Id"]));

        (await Node.PostAsync("/msg/send_msg", body with { content = "changed" }, key)).ShouldFail(8049, 409);
        Assert.Equal(1, await CountRecordsAsync(key["Source-Id"]));
        await WaitForStatusAsync(first["msgID"].GetString()!, 2);
        Assert.Single(MailsFor(first["msgID"].GetString()!));
    }

    [Fact(DisplayName = "Concurrent sends with one Idempotency-Key, among others with keys of their own (one group commit): one is stored, all answer it")]
    public async Task Idempotency_concurrent()
    {
        var source = NewId("src");
        var shared = new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString(), ["Source-Id"] = source };
        var body = new { to = "idem-many@example.com", channels = new[] { 1 }, content = "once among many" };
        var others = NewId("others");
        var sends = Enumerable.Range(0, 16).Select(_ => Node.PostAsync("/msg/send_msg", body, shared))
            .Concat(Enumerable.Range(0, 16).Select(i => Node.PostAsync("/msg/send_msg",
                new { to = $"idem-other{i}@example.com", channels = new[] { 1 }, content = "each its own" },
                new Dictionary<string, string> { ["Idempotency-Key"] = $"k{i}", ["Source-Id"] = others })))
            .ToList();
        var answers = (await Task.WhenAll(sends)).Select(r => r.ShouldSucceed()).ToList();

        Assert.Single(answers.Take(16).Select(a => a["msgID"].GetString()).Distinct());
        Assert.Equal(16, answers.Skip(16).Select(a => a["msgID"].GetString()).Distinct().Count());
        Assert.Equal(1, await CountRecordsAsync(source));
        Assert.Equal(16, await CountRecordsAsync(others));
        await WaitForStatusAsync(answers[0]["msgID"].GetString()!, 2);
        Assert.Single(MailsFor(answers[0]["msgID"].GetString()!));
    }

    [Fact(DisplayName = "Refused N times then accepted: sent on attempt N+1, with growing delays between attempts")]
    public async Task Retry_then_sent()
    {
        Smtp.ClearScript().FailDeliveries(2, 451);
        try
        {
            var id = (await Node.PostAsync("/msg/send_msg", new { to = "retry@example.com", channels = new[] { 1 }, content = "retry me" }))
                .ShouldSucceed()["msgID"].GetString()!;
            var record = await WaitForStatusAsync(id, 2);
            var attempts = record.GetProperty("attempts").EnumerateArray().ToList();
            Assert.Equal(3, attempts.Count);
            Assert.Equal([4, 4, 2], attempts.Select(a => a.GetProperty("outcome").GetInt32()));
            Assert.Contains("451", attempts[0].GetProperty("error").GetString());
            Assert.Equal(2, record.GetProperty("retry_count").GetInt32());

            // The backoffs the node decided, as its attempt history keeps them (each refused attempt's scheduled
            // retry time), not how soon the queue happened to pick the retries up on this machine.
            var history = await Node.Services.GetRequiredService<RecordStore>().AttemptsAsync(id);
            Assert.Equal([1, 2, 3], history.Select(a => a.Attempt));
            var decided = history.Take(2).Select(a => TimeSpan.FromMilliseconds(a.RetryAt - a.At)).ToList();
            var policy = Node.Services.GetRequiredService<DeliveryOptions>().Retry;
            var expected = new[] { RetryPolicy.Backoff(policy, 1, 0.5), RetryPolicy.Backoff(policy, 2, 0.5) };
            // The fixture's policy: 500 ms doubling, no jitter.
            Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)], expected);
            Assert.Equal(expected, decided);
            Assert.True(decided[1] > decided[0], $"backoffs {decided[0]} then {decided[1]}");
            Assert.Equal(0, history[2].RetryAt);
            // And no retry started before the time it was scheduled for (slowness only makes it later).
            Assert.True(history[1].At >= history[0].RetryAt, $"attempt 2 at {history[1].At}, scheduled for {history[0].RetryAt}");
            Assert.True(history[2].At >= history[1].RetryAt, $"attempt 3 at {history[2].At}, scheduled for {history[1].RetryAt}");
        }
        finally
        {
            Smtp.ClearScript();
        }
    }

    [Fact(DisplayName = "Always refused: failed after 1 + max_retry_count attempts, dead-lettered; resend then delivers it")]
    public async Task Exhausted_then_resend()
    {
        Smtp.ClearScript().FailDeliveries(int.MaxValue, 451);
        string id;
        try
        {
            id = (await Node.PostAsync("/msg/send_msg", new { to = "dead@example.com", channels = new[] { 1 }, content = "doomed" }))
                .ShouldSucceed()["msgID"].GetString()!;
            var failed = await WaitForStatusAsync(id, 3);
            Assert.Equal(1 + PipelineFixture.MaxRetryCount, failed.GetProperty("attempts").GetArrayLength());
            Assert.Contains("451", failed.GetProperty("last_error").GetString());
        }
        finally
        {
            Smtp.ClearScript();
        }
        (await Node.PostAsync("/msg/resend", new { msgID = id })).ShouldSucceed();
        var sent = await WaitForStatusAsync(id, 2);
        Assert.Equal(2 + PipelineFixture.MaxRetryCount, sent.GetProperty("attempt_count").GetInt32());
        Assert.Single(MailsFor(id));
        (await Node.PostAsync("/msg/resend", new { msgID = id })).ShouldFail(8049, 409);
    }

    [Fact(DisplayName = "A permanent refusal (550) fails at once, without retries")]
    public async Task Permanent_failure()
    {
        Smtp.ClearScript().RejectAllDeliveries(550);
        try
        {
            var id = (await Node.PostAsync("/msg/send_msg", new { to = "nobody@example.com", channels = new[] { 1 }, content = "x" }))
                .ShouldSucceed()["msgID"].GetString()!;
            var record = await WaitForStatusAsync(id, 3);
            Assert.Equal(1, record.GetProperty("attempt_count").GetInt32());
            Assert.Contains("550", record.GetProperty("last_error").GetString());
        }
        finally
        {
            Smtp.ClearScript();
        }
    }

    [Fact(DisplayName = "A channel that is not configured fails permanently with a clear reason")]
    public async Task Unconfigured_channel()
    {
        var id = (await Node.PostAsync("/msg/send_msg", new { to = "ou_abc123", channels = new[] { 3 }, content = "lark" }))
            .ShouldSucceed()["msgID"].GetString()!;
        var record = await WaitForStatusAsync(id, 3);
        Assert.Contains("not configured", record.GetProperty("last_error").GetString());
    }

    [Fact(DisplayName = "Webhook: the exact JSON is POSTed to the URL; a 503 is retried, a 200 delivers")]
    public async Task Webhook()
    {
        var port = NodeProcess.FreePort();
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var received = new List<(string Method, string ContentType, JsonElement Body)>();
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                using var doc = JsonDocument.Parse(await reader.ReadToEndAsync());
                received.Add((context.Request.HttpMethod, context.Request.ContentType ?? "", doc.RootElement.Clone()));
                context.Response.StatusCode = i == 0 ? 503 : 200;
                context.Response.Close();
            }
        });

        var id = (await Node.PostAsync("/msg/send_msg", new
        {
            to = $"http://127.0.0.1:{port}/hook/in", channels = new[] { 6 }, subject = "S", content = "hook {{x}}", templateData = new { x = "1" },
        })).ShouldSucceed()["msgID"].GetString()!;
        var record = await WaitForStatusAsync(id, 2);
        await serving.WaitAsync(Patience);

        Assert.Equal(2, record.GetProperty("attempt_count").GetInt32());
        Assert.Contains("503", record.GetProperty("attempts")[0].GetProperty("error").GetString());
        Assert.All(received, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.StartsWith("application/json", r.ContentType);
            Assert.Equal(id, r.Body.GetProperty("msgID").GetString());
            Assert.Equal("S", r.Body.GetProperty("subject").GetString());
            Assert.Equal("hook 1", r.Body.GetProperty("content").GetString());
            Assert.Equal("1", r.Body.GetProperty("templateData").GetProperty("x").GetString());
        });
    }

    [Fact(DisplayName = "Statistics count the records by status, channel and priority per hour")]
    public async Task Statistics()
    {
        var stats = (await Node.GetAsync("/msg/statistics?granularity=day")).ShouldSucceed();
        Assert.Equal("day", stats["granularity"].GetString());
        var before = stats["total"].GetInt64();
        var id = (await Node.PostAsync("/msg/send_msg", new { to = "stats@example.com", channels = new[] { 1 }, content = "x", priority = 1 }))
            .ShouldSucceed()["msgID"].GetString()!;
        await WaitForStatusAsync(id, 2);
        var after = (await Node.GetAsync("/msg/statistics")).ShouldSucceed();
        Assert.Equal(before + 1, after["total"].GetInt64());
        Assert.Contains(after["buckets"].EnumerateArray(), b => b.GetProperty("priority").GetInt32() == 1 && b.GetProperty("channel").GetInt32() == 1);
    }
}

public sealed class PipelineOnSqlQueueSqlite(SqlQueueOnSqlite fixture) : PipelineTests<SqlQueueOnSqlite>(fixture);

public sealed class PipelineOnSqlQueuePostgres(SqlQueueOnPostgres fixture) : PipelineTests<SqlQueueOnPostgres>(fixture);

public sealed class PipelineOnKafka(KafkaOnSqlite fixture) : PipelineTests<KafkaOnSqlite>(fixture);

public sealed class PipelineOnSqlQueueMariaDb(SqlQueueOnMariaDb fixture) : PipelineTests<SqlQueueOnMariaDb>(fixture);
