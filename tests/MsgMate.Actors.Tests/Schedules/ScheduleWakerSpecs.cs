using Akka.TestKit.Xunit2;
using Dapper;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Tests.Schedules;

/// <summary>The due-time index's waker against a real SQLite read model: what it wakes, page by page.</summary>
public sealed class ScheduleWakerSpecs : TestKit, IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"msgmate-waker-{Guid.NewGuid():N}.db");
    private readonly SqlDatabase _db;

    public ScheduleWakerSpecs()
    {
        _db = new SqlDatabase(new StorageOptions { Provider = "sqlite", ConnectionString = $"Data Source={_file}" });
    }

    public async Task InitializeAsync() => await _db.EnsureSchemaAsync();

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(f);
        }
        return Task.CompletedTask;
    }

    [Fact(DisplayName = "Schedule waker: more schedules due than one page holds — every one is woken, page after page, each once")]
    public async Task Wakes_beyond_the_first_page()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-06-01T00:00:00Z"));
        var due = clock.GetUtcNow().AddSeconds(5).ToUnixTimeMilliseconds();
        // Seven due in the same millisecond (keyset paging must not stop at equal due times), two later, one paused.
        var ids = Enumerable.Range(0, 7).Select(i => ($"s{i}", due)).Append(("later-1", due + 1)).Append(("later-2", due + 2)).ToList();
        await using (var c = await _db.OpenAsync())
        {
            foreach (var (id, at) in ids.Append(("paused", due)))
            {
                await c.ExecuteAsync(
                    """
                    INSERT INTO mm_schedules (schedule_id, source_id, status, scheduled_time, next_fire_at, fired_count, actual_send_time, state, create_time, modify_time, version)
                    VALUES (@id, 'crm', @status, @at, @at, 0, 0, '{}', 0, 0, 1)
                    """, new { id, at, status = id == "paused" ? ScheduleStatus.Paused : ScheduleStatus.Pending });
            }
        }
        var entities = CreateTestProbe();

        Sys.ActorOf(ScheduleWaker.PropsFor(new ScheduleReadModel(_db), entities.Ref, clock, TimeSpan.FromMilliseconds(50), pageSize: 3));

        // 9 due schedules in pages of 3, one page a tick; the clock stands still, so none is woken twice (within 10 s).
        var woken = new List<string>();
        for (var i = 0; i < ids.Count; i++)
        {
            woken.Add(entities.ExpectMsg<ScheduleCommands.Wake>(TimeSpan.FromSeconds(30)).ScheduleId);
        }
        Assert.Equal(ids.Select(x => x.Item1).Order(), woken.Order());
        entities.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
