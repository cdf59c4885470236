using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Users;

/// <summary>Filters of the user list. Null means "any".</summary>
public sealed record UserListQuery(
    PageRequest Paging,
    string? UserId = null,
    string? Keyword = null,
    string? Tag = null,
    int? Status = null);

public sealed record TagCount(string Tag, long Count);

/// <summary>
/// The SQL read model of users: list, search, find-by-tags and tag statistics without waking entities.
/// Written on the write path (read-your-writes) and by the projection (repair); both carry the entity's
/// sequence number and a row never moves backwards, so the two paths may race and repeat freely.
/// An erased user stays as a tombstone row (<see cref="ErasedStatus"/>, every other column empty): its version keeps
/// a late projection from writing the person's earlier events back, and no read shows it.
/// </summary>
public sealed class UserReadModel(SqlDatabase db)
{
    /// <summary>The status of a tombstone row. Never on the wire: every read leaves such rows out.</summary>
    public const int ErasedStatus = -1;

    private const string Columns =
        "user_id, name, nickname, mobile, email, lark_id, dingtalk_id, wechat_id, tags, status, create_time, modify_time, version";

    public async Task UpsertAsync(UserState state, long version, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var (c, tx) = (w.Connection, w.Transaction);
        var row = UserRow.From(state, version);
        var (insert, suffix) = db.InsertIgnore;
        var changed = await c.ExecuteAsync(new CommandDefinition(
            $"""
             {insert} mm_users ({Columns})
             VALUES (@UserId, @Name, @Nickname, @Mobile, @Email, @LarkId, @DingtalkId, @WechatId, @Tags, @Status, @CreateTime, @ModifyTime, @Version){suffix}
             """, row, tx, cancellationToken: ct)) == 1;
        if (!changed)
        {
            changed = await c.ExecuteAsync(new CommandDefinition(
                """
                UPDATE mm_users SET name = @Name, nickname = @Nickname, mobile = @Mobile, email = @Email, lark_id = @LarkId,
                  dingtalk_id = @DingtalkId, wechat_id = @WechatId, tags = @Tags, status = @Status,
                  create_time = @CreateTime, modify_time = @ModifyTime, version = @Version
                WHERE user_id = @UserId AND version < @Version
                """, row, tx, cancellationToken: ct)) == 1;
            if (changed)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM mm_user_tags WHERE user_id = @UserId", row, tx, cancellationToken: ct));
            }
        }
        if (changed && state.Tags.Length > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO mm_user_tags (tag, user_id) VALUES (@tag, @userId)",
                state.Tags.Select(tag => new { tag, userId = state.UserId }), tx, cancellationToken: ct));
        }
        await w.CommitAsync(ct);
    }

    /// <summary>Folds one journal event into the row, unless the row already holds it.</summary>
    public async Task ApplyAsync(IUserEvent evt, long sequenceNr, CancellationToken ct = default)
    {
        var current = await LoadAsync(evt.UserId, ct);
        if (current is not null && current.Version >= sequenceNr)
        {
            return;
        }
        var state = current?.ToState() ?? UserState.Empty(evt.UserId);
        await UpsertAsync(state.Apply(evt), sequenceNr, ct);
    }

    public async Task<Page<UserState>> ListAsync(UserListQuery query, CancellationToken ct = default)
    {
        var where = new StringBuilder($"WHERE status <> {ErasedStatus}");
        var args = new DynamicParameters();
        if (!string.IsNullOrEmpty(query.UserId))
        {
            where.Append(" AND user_id = @userId");
            args.Add("userId", query.UserId);
        }
        if (!string.IsNullOrEmpty(query.Keyword))
        {
            where.Append(" AND (LOWER(user_id) LIKE @kw OR LOWER(name) LIKE @kw OR LOWER(nickname) LIKE @kw OR LOWER(email) LIKE @kw OR mobile LIKE @kw)");
            args.Add("kw", "%" + query.Keyword.ToLowerInvariant() + "%");
        }
        if (!string.IsNullOrEmpty(query.Tag))
        {
            where.Append(" AND user_id IN (SELECT user_id FROM mm_user_tags WHERE tag = @tag)");
            args.Add("tag", query.Tag);
        }
        if (query.Status is { } status)
        {
            where.Append(" AND status = @status");
            args.Add("status", status);
        }
        return await PageAsync(where.ToString(), args, query.Paging, ct);
    }

    /// <summary>Enabled users carrying all (or any) of the tags: the audience a tag send reaches.</summary>
    public async Task<Page<UserState>> FindByTagsAsync(IReadOnlyCollection<string> tags, bool matchAll, PageRequest paging, CancellationToken ct = default)
    {
        var args = new DynamicParameters();
        args.Add("tags", tags.ToArray());
        args.Add("n", tags.Count);
        var match = matchAll
            ? $"SELECT user_id FROM mm_user_tags WHERE {db.InList("tag", "tags")} GROUP BY user_id HAVING COUNT(*) = @n"
            : $"SELECT user_id FROM mm_user_tags WHERE {db.InList("tag", "tags")}";
        return await PageAsync($"WHERE status = 1 AND user_id IN ({match})", args, paging, ct);
    }

    /// <summary>The users with these ids (enabled or disabled); ids without a user, or of an erased one, are simply absent.</summary>
    public async Task<IReadOnlyList<UserState>> GetManyAsync(IReadOnlyCollection<string> userIds, CancellationToken ct = default)
    {
        var result = new List<UserState>(userIds.Count);
        await using var c = await db.OpenAsync(ct);
        foreach (var chunk in userIds.Chunk(500))
        {
            var rows = await c.QueryAsync<UserRow>(new CommandDefinition(
                $"SELECT {Columns} FROM mm_users WHERE {db.InList("user_id", "ids")} AND status <> {ErasedStatus}", new { ids = chunk }, cancellationToken: ct));
            result.AddRange(rows.Select(r => r.ToState()));
        }
        return result;
    }

    /// <summary>
    /// Every enabled user carrying any of the tags, in pages by user id (keyset): a tag audience of any size
    /// is read a page at a time, never held in memory whole.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<UserState>> StreamByTagsAsync(
        IReadOnlyCollection<string> tags, int pageSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var after = "";
        while (true)
        {
            List<UserRow> rows;
            await using (var c = await db.OpenAsync(ct))
            {
                rows = (await c.QueryAsync<UserRow>(new CommandDefinition(
                    $"""
                     SELECT {Columns} FROM mm_users
                     WHERE status = 1 AND user_id > @after
                       AND user_id IN (SELECT user_id FROM mm_user_tags WHERE {db.InList("tag", "tags")})
                     ORDER BY user_id LIMIT @pageSize
                     """, new { after, tags = tags.ToArray(), pageSize }, cancellationToken: ct))).ToList();
            }
            if (rows.Count == 0)
            {
                yield break;
            }
            yield return rows.Select(r => r.ToState()).ToList();
            if (rows.Count < pageSize)
            {
                yield break;
            }
            after = rows[^1].UserId;
        }
    }

    /// <summary>How many enabled users carry each tag, most used first.</summary>
    /// <summary>The <paramref name="limit"/> most used tags of enabled users, most used first.</summary>
    public async Task<IReadOnlyList<TagCount>> TagStatisticsAsync(int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string Tag, long Count)>(new CommandDefinition(
            """
            SELECT t.tag, COUNT(*) AS cnt FROM mm_user_tags t JOIN mm_users u ON u.user_id = t.user_id
            WHERE u.status = 1 GROUP BY t.tag ORDER BY cnt DESC, t.tag LIMIT @limit
            """, new { limit }, cancellationToken: ct));
        return rows.Select(r => new TagCount(r.Tag, r.Count)).ToList();
    }

    private async Task<Page<UserState>> PageAsync(string where, DynamicParameters args, PageRequest paging, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM mm_users {where}", args, cancellationToken: ct));
        args.Add("take", paging.PageSize);
        args.Add("skip", paging.Skip);
        var rows = await c.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_users {where} ORDER BY create_time DESC, user_id DESC LIMIT @take OFFSET @skip",
            args, cancellationToken: ct));
        return new Page<UserState>(rows.Select(r => r.ToState()).ToList(), total);
    }

    private async Task<UserRow?> LoadAsync(string userId, CancellationToken ct)
    {
        await using DbConnection c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_users WHERE user_id = @userId", new { userId }, cancellationToken: ct));
    }

    private sealed class UserRow
    {
        public string UserId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Nickname { get; set; } = "";
        public string Mobile { get; set; } = "";
        public string Email { get; set; } = "";
        public string LarkId { get; set; } = "";
        public string DingtalkId { get; set; } = "";
        public string WechatId { get; set; } = "";
        public string Tags { get; set; } = "[]";
        public int Status { get; set; }
        public long CreateTime { get; set; }
        public long ModifyTime { get; set; }
        public long Version { get; set; }

        public static UserRow From(UserState s, long version) => new()
        {
            UserId = s.UserId,
            Name = s.Profile.Name,
            Nickname = s.Profile.Nickname,
            Mobile = s.Profile.Mobile,
            Email = s.Profile.Email,
            LarkId = s.Profile.LarkId,
            DingtalkId = s.Profile.DingtalkId,
            WechatId = s.Profile.WechatId,
            Tags = JsonSerializer.Serialize(s.Tags),
            Status = s.Erased ? ErasedStatus : s.Status,
            CreateTime = s.Erased ? 0 : s.CreatedAt.ToUnixTimeMilliseconds(),
            ModifyTime = s.ModifiedAt.ToUnixTimeMilliseconds(),
            Version = version,
        };

        public UserState ToState() => Status == ErasedStatus
            ? UserState.Empty(UserId) with { Erased = true, ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(ModifyTime) }
            : new(
                UserId,
                true,
                new UserProfile(Name, Nickname, Mobile, Email, LarkId, DingtalkId, WechatId),
                JsonSerializer.Deserialize<ImmutableArray<string>>(Tags),
                Status == 1,
                DateTimeOffset.FromUnixTimeMilliseconds(CreateTime),
                DateTimeOffset.FromUnixTimeMilliseconds(ModifyTime));
    }
}
