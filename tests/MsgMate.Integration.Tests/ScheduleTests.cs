using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Schedules through the API against a real node (SQL queue; email to the development outbox). Steps that must
/// happen before a due time run under <see cref="BeforeDue"/>; firing precision is the entity spec's business
/// (under a test scheduler): here a firing is checked to come once and never early.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class ScheduleTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private NodeHost Node => fixture.Node;

    private static string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, Shanghai).ToString("yyyy-MM-dd HH:mm:ss");

    /// <summary>A whole second at least <paramref name="ahead"/> from now (the wire format has seconds).</summary>
    private static DateTimeOffset Second(TimeSpan ahead)
    {
        var t = DateTimeOffset.UtcNow + ahead;
        return t.AddTicks(-(t.Ticks % TimeSpan.TicksPerSecond)).AddSeconds(1);
    }

    private async Task<string> CreateAsync(object body) =>
        (await Node.PostAsync("/scheduled/create", body)).ShouldSucceed()["schedule_id"].GetString()!;

    private async Task<JsonElement> ScheduleAsync(string id) =>
        (await Node.GetAsync($"/scheduled/get?schedule_id={id}")).ShouldSucceed()["message"];

    private async Task<List<JsonElement>> RecordsAsync(string scheduleId) =>
        [.. (await Node.GetAsync($"/msg/list_msg_records?schedule_id={scheduleId}&page_size=100")).ShouldSucceed()["records"].EnumerateArray()];

    private Task WaitForAsync(string id, Func<JsonElement, bool> condition, string what) =>
        Eventually.AssertAsync(async () => condition(await ScheduleAsync(id)), TimeSpan.FromSeconds(60), what);

    /// <summary>
    /// Pause or cancel: refused (409) while a firing of a recurring schedule is under way, which on a busy machine
    /// can be much of each interval; asked again until the firing is recorded.
    /// </summary>
    private async Task BetweenFiringsAsync(string path, string id)
    {
        Answer answer = null!;
        await Eventually.AssertAsync(async () =>
        {
            answer = await Node.PostAsync(path, new { schedule_id = id });
            return answer.Code != 8049 || !answer.Msg.Contains("firing", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60), () => $"{path} between two firings (last answer {answer.Body})");
        answer.ShouldSucceed();
    }

    [Fact(DisplayName = "Due in a few seconds: waits pending until its time, then fires once, not early, and its records name the schedule")]
    public async Task Fires_once_on_time()
    {
        string? created = null;
        var (due, id) = await BeforeDue.RunAsync(TimeSpan.FromSeconds(3), async due =>
        {
            created = await CreateAsync(new { to = "sched@example.com", channels = new[] { 1 }, content = "on time", scheduled_time = Local(due) });
            var pending = await ScheduleAsync(created);
            Assert.Equal(1, pending.GetProperty("status").GetInt32());
            Assert.Equal(Local(due), pending.GetProperty("scheduled_time").GetString());
            Assert.Equal([Local(due)], pending.GetProperty("next_fire_times").EnumerateArray().Select(e => e.GetString()));
            return created;
        }, overran: async () => await Node.PostAsync("/scheduled/cancel", new { schedule_id = created }));

        await WaitForAsync(id, s => s.GetProperty("status").GetInt32() == 2, "the schedule is sent");
        var records = await RecordsAsync(id);
        var record = Assert.Single(records);
        var fired = DateTimeOffset.Parse(record.GetProperty("CreateTime").GetString()!);
        Assert.True(fired >= due.AddMilliseconds(-50), $"fired at {fired:O}, due {due:O}");
        var schedule = await ScheduleAsync(id);
        Assert.Equal(record.GetProperty("BatchID").GetString(), schedule.GetProperty("last_batch_id").GetString());
        Assert.Equal(1, schedule.GetProperty("fired_count").GetInt32());
    }

    [Fact(DisplayName = "Cancelled before its time: never sent (a control due at the same time is)")]
    public async Task Cancelled_never_sent()
    {
        var (_, (cancelled, control)) = await BeforeDue.RunAsync(TimeSpan.FromSeconds(4), async at =>
        {
            var due = Local(at);
            var cancelled = await CreateAsync(new { to = "no@example.com", channels = new[] { 1 }, content = "x", scheduled_time = due });
            var control = await CreateAsync(new { to = "yes@example.com", channels = new[] { 1 }, content = "x", scheduled_time = due });
            (await Node.PostAsync("/scheduled/cancel", new { schedule_id = cancelled })).ShouldSucceed();
            (await Node.PostAsync("/scheduled/cancel", new { schedule_id = cancelled })).ShouldFail(8049, 409);
            return (cancelled, control);
        });

        await WaitForAsync(control, s => s.GetProperty("status").GetInt32() == 2, "the control schedule is sent");
        Assert.Empty(await RecordsAsync(cancelled));
        Assert.Equal(3, (await ScheduleAsync(cancelled)).GetProperty("status").GetInt32());
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = control })).ShouldFail(8049, 409);
    }

    [Fact(DisplayName = "Every second, at most 5 times: 5 firings, 5 batches, then sent")]
    public async Task Recurring_five_times()
    {
        var id = await CreateAsync(new { to = "rec@example.com", channels = new[] { 1 }, content = "tick", interval_seconds = 1, max_count = 5 });
        var listed = (await Node.GetAsync("/scheduled/list?status=1")).ShouldSucceed()["messages"].EnumerateArray()
            .SingleOrDefault(m => m.GetProperty("schedule_id").GetString() == id);
        if (listed.ValueKind != JsonValueKind.Undefined)
        {
            Assert.Equal(1, listed.GetProperty("interval_seconds").GetInt64());
        }
        await WaitForAsync(id, s => s.GetProperty("status").GetInt32() == 2, "all five firings done");
        var records = await RecordsAsync(id);
        Assert.Equal(5, records.Count);
        Assert.Equal(5, records.Select(r => r.GetProperty("BatchID").GetString()).Distinct().Count());
        Assert.Equal(5, (await ScheduleAsync(id)).GetProperty("fired_count").GetInt32());
    }

    [Fact(DisplayName = "Paused, a recurring schedule stops firing; resumed, it goes on")]
    public async Task Pause_and_resume()
    {
        var id = await CreateAsync(new { to = "pause@example.com", channels = new[] { 1 }, content = "tick", interval_seconds = 1 });
        await WaitForAsync(id, s => s.GetProperty("fired_count").GetInt32() >= 2, "two firings");
        await BetweenFiringsAsync("/scheduled/pause", id);
        var paused = await ScheduleAsync(id);
        Assert.Equal(5, paused.GetProperty("status").GetInt32());
        var firedWhenPaused = paused.GetProperty("fired_count").GetInt32();

        // A control due 2 s later shows that time passed while the paused one stayed still (several intervals).
        var control = await CreateAsync(new { to = "ctl@example.com", channels = new[] { 1 }, content = "x", scheduled_time = Local(Second(TimeSpan.FromSeconds(2))) });
        await WaitForAsync(control, s => s.GetProperty("status").GetInt32() == 2, "the control is sent");
        Assert.Equal(firedWhenPaused, (await ScheduleAsync(id)).GetProperty("fired_count").GetInt32());
        Assert.Equal(firedWhenPaused, (await RecordsAsync(id)).Count);

        (await Node.PostAsync("/scheduled/resume", new { schedule_id = id })).ShouldSucceed();
        await WaitForAsync(id, s => s.GetProperty("fired_count").GetInt32() >= firedWhenPaused + 2, "firings go on after resume");
        await BetweenFiringsAsync("/scheduled/cancel", id);
    }

    [Fact(DisplayName = "Rescheduling a pending schedule moves its firing")]
    public async Task Reschedule()
    {
        var (due, id) = await BeforeDue.RunAsync(TimeSpan.FromSeconds(3), async due =>
        {
            var id = await CreateAsync(new { to = "move@example.com", channels = new[] { 1 }, content = "x", scheduled_time = Local(Second(TimeSpan.FromHours(1))) });
            (await Node.PostAsync("/scheduled/update", new { schedule_id = id, scheduled_time = Local(due), template_data = new { a = "b" } })).ShouldSucceed();
            Assert.Equal([Local(due)], (await ScheduleAsync(id)).GetProperty("next_fire_times").EnumerateArray().Select(e => e.GetString()));
            return id;
        });
        Assert.Equal(Local(due), (await ScheduleAsync(id)).GetProperty("scheduled_time").GetString());
        await WaitForAsync(id, s => s.GetProperty("status").GetInt32() == 2, "sent at the new time");
        Assert.Equal("{\"a\":\"b\"}", Assert.Single(await RecordsAsync(id)).GetProperty("TemplateData").GetString());
        (await Node.PostAsync("/scheduled/update", new { schedule_id = id, scheduled_time = Local(Second(TimeSpan.FromHours(1))) })).ShouldFail(8049, 409);
    }

    public static TheoryData<string, string, int, int> BadCreates() => new()
    {
        { "no time", """{"to":"a@example.com","channels":[1],"content":"x"}""", 8020, 400 },
        { "malformed time", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"tomorrow"}""", 8020, 400 },
        { "time without seconds", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"2030-01-01 10:00"}""", 8020, 400 },
        { "past time", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"2020-01-01 10:00:00"}""", 8020, 400 },
        { "bad cron", """{"to":"a@example.com","channels":[1],"content":"x","cron":"every day"}""", 8020, 400 },
        { "cron and interval", """{"to":"a@example.com","channels":[1],"content":"x","cron":"* * * * *","interval_seconds":5}""", 8020, 400 },
        { "bad zone", """{"to":"a@example.com","channels":[1],"content":"x","cron":"* * * * *","time_zone":"Mars/Base"}""", 8020, 400 },
        { "negative interval", """{"to":"a@example.com","channels":[1],"content":"x","interval_seconds":-5}""", 8020, 400 },
        { "max_count without recurrence", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"2035-01-01 10:00:00","max_count":3}""", 8020, 400 },
        { "no recipient", """{"channels":[1],"content":"x","scheduled_time":"2035-01-01 10:00:00"}""", 8020, 400 },
        { "unknown template", """{"to":"a@example.com","template_id":"nope","scheduled_time":"2035-01-01 10:00:00"}""", 8048, 404 },
        { "missing template data", """{"to":"a@example.com","channels":[1],"content":"Hi {{who}}","scheduled_time":"2035-01-01 10:00:00"}""", 8020, 400 },
        { "malformed JSON", """{"to":""", 8021, 400 },
        { "eleven years ahead", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"TIME+11Y"}""", 8020, 400 },
        { "year 9999", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"9999-12-31 23:59:59"}""", 8020, 400 },
        { "an interval from year 9999", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"9999-12-31 23:59:59","interval_seconds":31622400}""", 8020, 400 },
        { "cron of 129 characters", $$"""{"to":"a@example.com","channels":[1],"content":"x","cron":"0 9 * * {{string.Join(",", Enumerable.Repeat("1", 61))}}"}""", 8020, 400 },
        { "time_zone of 65 characters", $$"""{"to":"a@example.com","channels":[1],"content":"x","cron":"0 9 * * *","time_zone":"{{new string('z', 65)}}"}""", 8020, 400 },
        { "template_data of 101 entries", """{"to":"a@example.com","channels":[1],"content":"x","scheduled_time":"2035-01-01 10:00:00","template_data":{DATA101}}""", 8020, 400 },
        { "a lone surrogate", """{"to":"a@example.com","channels":[1],"content":"\ud800","scheduled_time":"2035-01-01 10:00:00"}""", 8021, 400 },
        { "a NUL", """{"to":"a@example.com","channels":[1],"content":"a\u0000b","scheduled_time":"2035-01-01 10:00:00"}""", 8020, 400 },
    };

    [Theory(DisplayName = "Bad schedules are refused with the documented code and nothing is created")]
    [MemberData(nameof(BadCreates))]
    public async Task Bad_create(string what, string body, int code, int status)
    {
        var before = (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64();
        body = body.Replace("TIME+11Y", Local(DateTimeOffset.UtcNow.AddYears(11)))
            .Replace("DATA101", string.Join(",", Enumerable.Range(0, 101).Select(i => $"\"k{i}\":\"v\"")));
        var answer = await Node.PostRawAsync("/scheduled/create", body);
        answer.ShouldFail(code, status);
        Assert.True(answer.Msg.Length > 5, what);
        Assert.Equal(before, (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64());
    }

    [Fact(DisplayName = "scheduled/create takes a Source-Id of 64 characters and refuses 65 (8020, nothing created); update refuses a schedule_id of 65")]
    public async Task Source_id_and_id_lengths()
    {
        var body = new { to = "a@example.com", channels = new[] { 1 }, content = "x", scheduled_time = Local(Second(TimeSpan.FromHours(1))) };
        var at = new string('s', 64);
        var id = (await Node.PostAsync("/scheduled/create", body, new Dictionary<string, string> { ["Source-Id"] = at })).ShouldSucceed()["schedule_id"].GetString()!;
        Assert.Equal(id, (await ScheduleAsync(id)).GetProperty("schedule_id").GetString());
        var before = (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64();
        (await Node.PostAsync("/scheduled/create", body, new Dictionary<string, string> { ["Source-Id"] = at + "s" })).ShouldFail(8020, 400);
        Assert.Equal(before, (await Node.GetAsync("/scheduled/list?page_size=1")).ShouldSucceed()["total"].GetInt64());
        (await Node.PostAsync("/scheduled/update", new { schedule_id = new string('i', 65), scheduled_time = body.scheduled_time })).ShouldFail(8020, 400);
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = id })).ShouldSucceed();
    }

    [Fact(DisplayName = "Unknown schedule ids answer 8051/404; bad list filters 8020/400")]
    public async Task Unknown_ids()
    {
        (await Node.GetAsync("/scheduled/get?schedule_id=nope")).ShouldFail(8051, 404);
        (await Node.GetAsync("/scheduled/get")).ShouldFail(8020, 400);
        (await Node.PostAsync("/scheduled/cancel", new { schedule_id = "nope" })).ShouldFail(8051, 404);
        (await Node.PostAsync("/scheduled/pause", new { schedule_id = "nope" })).ShouldFail(8051, 404);
        (await Node.PostAsync("/scheduled/update", new { schedule_id = "nope", scheduled_time = "2035-01-01 10:00:00" })).ShouldFail(8051, 404);
        (await Node.GetAsync("/scheduled/list?status=9")).ShouldFail(8020, 400);
    }
}
