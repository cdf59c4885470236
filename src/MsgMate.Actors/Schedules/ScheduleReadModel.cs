using System.Text.Json;
using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Schedules;

/// <summary>
/// The SQL read model of schedules, and the due-time index the waker reads. Written on the write path and by
/// the projection (firings happen inside the entity, so the projection carries them here), versioned by the
/// entity's sequence number so that a row never moves backwards.
/// </summary>
public sealed class ScheduleReadModel(SqlDatabase db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task UpsertAsync(ScheduleState s, long version, CancellationToken ct = default)
    {
        var row = new
        {
            s.ScheduleId,
            SourceId = s.Spec?.SourceId ?? "",
            s.Status,
            ScheduledTime = s.FirstAtMs,
            NextFireAt = s.NextFireAtMs,
            s.FiredCount,
            ActualSendTime = s.ActualSendTimeMs,
            State = JsonSerializer.Serialize(s, Json),
            CreateTime = s.CreatedAt.ToUnixTimeMilliseconds(),
            ModifyTime = s.ModifiedAt.ToUnixTimeMilliseconds(),
            Version = version,
        };
        var (insert, suffix) = db.InsertIgnore;
        await using var w = await db.BeginWriteAsync(ct: ct);
        var c = w.Connection;
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            $"""
             {insert} mm_schedules (schedule_id, source_id, status, scheduled_time, next_fire_at, fired_count, actual_send_time, state, create_time, modify_time, version)
             VALUES (@ScheduleId, @SourceId, @Status, @ScheduledTime, @NextFireAt, @FiredCount, @ActualSendTime, @State, @CreateTime, @ModifyTime, @Version){suffix}
             """, row, w.Transaction, cancellationToken: ct));
        if (inserted == 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                UPDATE mm_schedules SET source_id = @SourceId, status = @Status, scheduled_time = @ScheduledTime, next_fire_at = @NextFireAt,
                  fired_count = @FiredCount, actual_send_time = @ActualSendTime, state = @State, create_time = @CreateTime,
                  modify_time = @ModifyTime, version = @Version
                WHERE schedule_id = @ScheduleId AND version < @Version
                """, row, w.Transaction, cancellationToken: ct));
        }
        await w.CommitAsync(ct);
    }

    public async Task ApplyAsync(IScheduleEvent evt, long sequenceNr, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var current = await c.QuerySingleOrDefaultAsync<(string State, long Version)?>(new CommandDefinition(
            "SELECT state, version FROM mm_schedules WHERE schedule_id = @id", new { id = evt.ScheduleId }, cancellationToken: ct));
        if (current is { } row && row.Version >= sequenceNr)
        {
            return;
        }
        var state = current is { } existing ? JsonSerializer.Deserialize<ScheduleState>(existing.State, Json)! : ScheduleState.Empty(evt.ScheduleId);
        await UpsertAsync(state.Apply(evt), sequenceNr, ct);
    }

    public async Task<Page<ScheduleState>> ListAsync(PageRequest paging, int? status, CancellationToken ct = default)
    {
        var where = status is null ? "" : "WHERE status = @status";
        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM mm_schedules {where}", new { status }, cancellationToken: ct));
        var rows = await c.QueryAsync<string>(new CommandDefinition(
            $"SELECT state FROM mm_schedules {where} ORDER BY create_time DESC, schedule_id DESC LIMIT @take OFFSET @skip",
            new { status, take = paging.PageSize, skip = paging.Skip }, cancellationToken: ct));
        return new Page<ScheduleState>(rows.Select(r => JsonSerializer.Deserialize<ScheduleState>(r, Json)!).ToList(), total);
    }

    /// <summary>Pending schedules due before <paramref name="untilMs"/> (overdue ones included), soonest first.</summary>
    /// <summary>
    /// Active schedules due by <paramref name="untilMs"/>, in due order, a page at a time: <paramref name="after"/> is the
    /// last (due time, id) of the previous page.
    /// </summary>
    public async Task<IReadOnlyList<(string ScheduleId, long NextFireAt)>> DueAsync(
        long untilMs, int limit, (long NextFireAt, string ScheduleId)? after = null, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string, long)>(new CommandDefinition(
            $"""
             SELECT schedule_id, next_fire_at FROM mm_schedules
             WHERE status = 1 AND next_fire_at > 0 AND next_fire_at <= @untilMs
             {(after is null ? "" : "AND (next_fire_at > @afterAt OR (next_fire_at = @afterAt AND schedule_id > @afterId))")}
             ORDER BY next_fire_at, schedule_id LIMIT @limit
             """, new { untilMs, limit, afterAt = after?.NextFireAt ?? 0, afterId = after?.ScheduleId ?? "" }, cancellationToken: ct));
        return rows.ToList();
    }
}
