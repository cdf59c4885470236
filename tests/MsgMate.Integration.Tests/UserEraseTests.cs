using System.Text;
using System.Text.Json;
using Dapper;
using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// <c>POST /user/erase</c> against real nodes, once per database kind (concrete classes at the end): the person's
/// contacts leave the entity, its journal and snapshots, the read model and their records, and stay gone across a
/// restart. Each test runs its own nodes (the restart is part of it).
/// </summary>
public abstract class UserEraseTests(Db kind)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact(DisplayName = "Erase: contacts gone from the user, list, tags, journal and snapshots; records masked, unsent ones cancelled; a restart keeps it so")]
    public async Task Erase_reaches_everything_and_survives_restart()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        var db = new SqlDatabase(new StorageOptions { Provider = provider, ConnectionString = connection });
        var n = Guid.NewGuid().ToString("N");
        var id = "erase_" + n[..10];
        var tag = "et_" + n[..8];
        var mobile = "139" + (Math.Abs(n.GetHashCode()) % 100_000_000).ToString("D8");
        var email = $"erin.{n[..8]}@example.com";
        var lark = "ou_erase" + n[..12];
        string[] personal = [mobile, email, lark, "Erin Erased", "Erin-the-nick"];
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();

        string emailMsg, larkMsg, laterMsg;
        await using (var first = await NodeHost.StartAsync(provider, connection))
        {
            (await first.PostAsync("/user/create", new { user_id = id, name = "Erin Erased", mobile, email, lark_id = lark, tags = new[] { tag } }))
                .ShouldSucceed();
            (await first.PostAsync("/user/update", new { user_id = id, nickname = "Erin-the-nick" })).ShouldSucceed();

            // Email goes to the development outbox (sent), Lark is not configured (failed), the later one waits (scheduled).
            var now = (await first.PostAsync("/msg/send_msg", new
            {
                user_ids = new[] { id }, channels = new[] { 1, 3 }, subject = "Hi Erin Erased", content = "Dear Erin Erased, {{code}}",
                templateData = new { code = "4711" },
            })).ShouldSucceed();
            var ids = now["msgIDs"].EnumerateArray().Select(e => e.GetString()!).ToList();
            var records = new List<JsonElement>();
            foreach (var msgId in ids)
            {
                records.Add(await WaitForFinalAsync(first, msgId));
            }
            emailMsg = ids[records.FindIndex(r => r.GetProperty("channel").GetInt32() == 1)];
            larkMsg = ids[records.FindIndex(r => r.GetProperty("channel").GetInt32() == 3)];
            laterMsg = (await first.PostAsync("/msg/send_msg", new { user_ids = new[] { id }, channels = new[] { 1 }, content = "later", sendTimestamp = future }))
                .ShouldSucceed()["msgID"].GetString()!;

            var erased = (await first.PostAsync("/user/erase", new { user_id = id })).ShouldSucceed();
            Assert.Equal(id, erased["user_id"].GetString());
            Assert.Equal(3, erased["records_masked"].GetInt32());
            Assert.Equal(1, erased["records_cancelled"].GetInt32());
            // The audit trail names the erase and its user id, never the erased contacts.
            var audit = (await first.GetAsync($"/admin/audit?action=user.erase&target={id}")).ShouldSucceed();
            Assert.Equal(1, audit["total"].GetInt64());
            Assert.DoesNotContain(email, audit.Body.ToString());

            await AssertErasedAsync(first, db, id, tag, personal);
            var emailRecord = (await first.GetAsync($"/msg/get_msg_record?msgID={emailMsg}")).ShouldSucceed();
            Assert.Equal(PersonalData.Mask(Channel.Email, email), emailRecord["to"].GetString());
            Assert.Equal(2, emailRecord["status"].GetInt32());
            Assert.Equal("", emailRecord["subject"].GetString());
            Assert.Empty(emailRecord["templateData"].EnumerateObject());
            var larkRecord = (await first.GetAsync($"/msg/get_msg_record?msgID={larkMsg}")).ShouldSucceed();
            Assert.Equal(PersonalData.Mask(Channel.Lark, lark), larkRecord["to"].GetString());
            Assert.Equal(3, larkRecord["status"].GetInt32());
            var later = (await first.GetAsync($"/msg/get_msg_record?msgID={laterMsg}")).ShouldSucceed();
            Assert.Equal(5, later["status"].GetInt32());
            Assert.Equal("cancelled: the recipient was erased", later["last_error"].GetString());
            Assert.Equal(0, (await first.GetAsync($"/msg/list_msg_records?to={Uri.EscapeDataString(email)}")).ShouldSucceed()["total"].GetInt64());

            // A resend of the failed record never reaches the masked address: it fails again without a provider call.
            (await first.PostAsync("/msg/resend", new { msgID = larkMsg })).ShouldSucceed();
            await Eventually.AssertAsync(
                async () => (await first.GetAsync($"/msg/get_msg_record?msgID={larkMsg}")).ShouldSucceed()["last_error"].GetString()!.Contains("erased"),
                Patience, "the re-driven record of the erased person failed as erased");

            // Sends by user id no longer find the person.
            (await first.PostAsync("/msg/send_msg", new { user_ids = new[] { id }, channels = new[] { 1 }, content = "x" })).ShouldFail(9002, 404);
        }

        await using var second = await NodeHost.StartAsync(provider, connection);
        await AssertErasedAsync(second, db, id, tag, personal);
        var again = (await second.PostAsync("/user/erase", new { user_id = id })).ShouldSucceed();
        Assert.Equal(3, again["records_masked"].GetInt32());
        Assert.Equal(0, again["records_cancelled"].GetInt32());
        await AssertErasedAsync(second, db, id, tag, personal);

        // The id is free again: a create starts a new user, shown everywhere as usual.
        (await second.PostAsync("/user/create", new { user_id = id, name = "Someone New", email = "new@example.com" })).ShouldSucceed();
        var user = (await second.GetAsync($"/user/get?user_id={id}")).ShouldSucceed()["user"];
        Assert.Equal("Someone New", user.GetProperty("name").GetString());
        Assert.Equal(1, (await second.GetAsync($"/user/list?user_id={id}")).ShouldSucceed()["total"].GetInt64());
    }

    [Fact(DisplayName = "Erase of an unknown user is 9002/404, of a bad id 8020/400, without a body 8021/400")]
    public async Task Erase_refuses_unknown_and_bad_input()
    {
        var (provider, connection) = await TestDatabases.CreateAsync(kind);
        await using var node = await NodeHost.StartAsync(provider, connection);

        (await node.PostAsync("/user/erase", new { user_id = "nobody_" + Guid.NewGuid().ToString("N")[..8] })).ShouldFail(9002, 404);
        (await node.PostAsync("/user/erase", new { user_id = "bad id" })).ShouldFail(8020, 400);
        (await node.PostAsync("/user/erase", new { })).ShouldFail(8020, 400);
        (await node.PostRawAsync("/user/erase", "{")).ShouldFail(8021, 400);
    }

    private static async Task AssertErasedAsync(NodeHost node, SqlDatabase db, string id, string tag, string[] personal)
    {
        (await node.GetAsync($"/user/get?user_id={id}")).ShouldFail(9002, 404);
        (await node.PostAsync("/user/update", new { user_id = id, nickname = "back" })).ShouldFail(9002, 404);
        Assert.Equal(0, (await node.GetAsync($"/user/list?user_id={id}")).ShouldSucceed()["total"].GetInt64());
        Assert.Equal(0, (await node.GetAsync("/user/list?keyword=erin")).ShouldSucceed()["total"].GetInt64());
        Assert.Equal(0, (await node.PostAsync("/user/find_by_tags", new { tags = new[] { tag } })).ShouldSucceed()["count"].GetInt64());
        var stats = (await node.GetAsync("/user/tag_statistics")).ShouldSucceed()["data"];
        Assert.DoesNotContain(stats.EnumerateArray(), e => e.GetProperty("tag").GetString() == tag);

        await using (var c = await db.OpenAsync())
        {
            var row = await c.QuerySingleAsync<(string Name, string Mobile, string Email, string LarkId, int Status)>(
                "SELECT name, mobile, email, lark_id, status FROM mm_users WHERE user_id = @id", new { id });
            Assert.Equal(("", "", "", "", -1), row);
            Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM mm_user_tags WHERE user_id = @id", new { id }));
            var stored = string.Join("\n", await c.QueryAsync<string>(
                "SELECT to_addr FROM mm_msg_records WHERE user_id = @id UNION ALL SELECT subject FROM mm_msg_records WHERE user_id = @id " +
                "UNION ALL SELECT body FROM mm_msg_records WHERE user_id = @id UNION ALL SELECT template_data FROM mm_msg_records WHERE user_id = @id",
                new { id }));
            AssertHoldsNone("the records", stored, personal);
        }

        // The journal keeps at most the tombstone (flagged deleted by the plugin, which keeps the highest sequence number).
        var persistenceId = "user-" + id;
        await using var journal = await db.OpenJournalAsync();
        var events = (await journal.QueryAsync<(long SequenceNr, byte[] Message)>(
            "SELECT sequence_number, message FROM journal WHERE persistence_id = @persistenceId", new { persistenceId })).ToList();
        Assert.True(events.Count <= 1, $"{events.Count} journal rows left for {persistenceId}");
        AssertHoldsNone("the journal", string.Join("\n", events.Select(e => Encoding.UTF8.GetString(e.Message))), personal);
        var snapshots = (await journal.QueryAsync<byte[]>("SELECT snapshot FROM snapshot WHERE persistence_id = @persistenceId", new { persistenceId })).ToList();
        Assert.NotEmpty(snapshots);
        AssertHoldsNone("the snapshots", string.Join("\n", snapshots.Select(s => Encoding.UTF8.GetString(s))), personal);
        // The tag rows (the projection's index: ordering, tag, sequence number, no payload) of the deleted events go with them.
        var tagged = (await journal.QueryAsync<long>("SELECT sequence_nr FROM tags WHERE persistence_id = @persistenceId", new { persistenceId })).ToList();
        Assert.True(tagged.All(t => events.Exists(e => e.SequenceNr == t)),
            $"tag rows [{string.Join(", ", tagged)}] point at deleted events (left: [{string.Join(", ", events.Select(e => e.SequenceNr))}])");
    }

    private static void AssertHoldsNone(string where, string text, string[] personal)
    {
        foreach (var value in personal)
        {
            Assert.False(text.Contains(value, StringComparison.OrdinalIgnoreCase), $"{where} still hold '{value}': {text}");
        }
    }

    private static async Task<JsonElement> WaitForFinalAsync(NodeHost node, string msgId)
    {
        JsonElement record = default;
        await Eventually.AssertAsync(async () =>
        {
            record = (await node.GetAsync($"/msg/get_msg_record?msgID={msgId}")).ShouldSucceed().Body;
            return record.GetProperty("status").GetInt32() is 2 or 3;
        }, Patience, () => $"message {msgId} final: {record}");
        return record;
    }
}

public sealed class UserEraseOnSqlite() : UserEraseTests(Db.Sqlite);

public sealed class UserEraseOnPostgres() : UserEraseTests(Db.PostgreSql);

public sealed class UserEraseOnMariaDb() : UserEraseTests(Db.MariaDb);
