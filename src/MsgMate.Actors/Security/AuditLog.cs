using System.Text;
using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Security;

/// <summary>One entry of the audit trail.</summary>
public sealed record AuditEntry(
    string Id, long At, string KeyId, string SourceId, string Remote, string Action, string Target, string Detail);

/// <summary>Filters of <c>/admin/audit</c>; null matches everything.</summary>
public sealed record AuditQuery(
    PageRequest Paging, string? Action = null, string? KeyId = null, string? SourceId = null, string? Target = null,
    long? From = null, long? Until = null);

/// <summary>
/// Who changed what, and when, in <c>mm_audit</c>: keys, quotas, templates, users, schedules, resends, cancels and
/// erases. Written after the change succeeded. Targets and details are ids and field names, never contacts or
/// secrets (an erase names the user id, not the addresses it removed).
/// </summary>
public sealed class AuditLog(SqlDatabase db, TimeProvider clock)
{
    public const int MaxDetailLength = 1024;

    public async Task RecordAsync(Caller caller, string remote, string action, string target, string detail = "", CancellationToken ct = default)
    {
        var entry = new AuditEntry(
            Guid.NewGuid().ToString("N"), clock.GetUtcNow().ToUnixTimeMilliseconds(), caller.KeyId, caller.SourceId,
            Cut(remote, 64), action, Cut(target, 128), Cut(detail, MaxDetailLength));
        await using var w = await db.BeginWriteAsync(ct: ct);
        await w.Connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO mm_audit (id, at, key_id, source_id, remote, action, target, detail) VALUES (@Id, @At, @KeyId, @SourceId, @Remote, @Action, @Target, @Detail)",
            entry, w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
    }

    public async Task<Page<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        var p = new DynamicParameters();
        void Equal(string column, string? value)
        {
            if (value is not null)
            {
                where.Append($" AND {column} = @{column}");
                p.Add(column, value);
            }
        }
        Equal("action", query.Action);
        Equal("key_id", query.KeyId);
        Equal("source_id", query.SourceId);
        Equal("target", query.Target);
        if (query.From is { } from)
        {
            where.Append(" AND at >= @from");
            p.Add("from", from);
        }
        if (query.Until is { } until)
        {
            where.Append(" AND at <= @until");
            p.Add("until", until);
        }
        p.Add("limit", query.Paging.PageSize);
        p.Add("offset", query.Paging.Skip);
        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM mm_audit{where}", p, cancellationToken: ct));
        var items = await c.QueryAsync<AuditEntry>(new CommandDefinition(
            $"SELECT id, at, key_id, source_id, remote, action, target, detail FROM mm_audit{where} ORDER BY at DESC, id LIMIT @limit OFFSET @offset",
            p, cancellationToken: ct));
        return new Page<AuditEntry>([.. items], total);
    }

    private static string Cut(string value, int max) => value.Length <= max ? value : value[..max];
}
