using System.Text;
using Dapper;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Templates;

public sealed record TemplateListQuery(PageRequest Paging, string? SourceId = null, int? Channel = null);

/// <summary>
/// The SQL read model of templates (list pages). Same rules as the user read model: written on the write
/// path and by the projection, versioned so that it never moves backwards. Deleted templates keep their row,
/// flagged, so that a replayed older event cannot bring them back.
/// </summary>
public sealed class TemplateReadModel(SqlDatabase db)
{
    private const string Columns =
        "template_id, source_id, name, channel, subject, content, sign_name, rel_template_id, status, deleted, create_time, modify_time, version";

    public async Task UpsertAsync(TemplateState state, long version, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var c = w.Connection;
        var row = TemplateRow.From(state, version);
        var (insert, suffix) = db.InsertIgnore;
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            $"""
             {insert} mm_templates ({Columns})
             VALUES (@TemplateId, @SourceId, @Name, @Channel, @Subject, @Content, @SignName, @RelTemplateId, @Status, @Deleted, @CreateTime, @ModifyTime, @Version){suffix}
             """, row, w.Transaction, cancellationToken: ct));
        if (inserted == 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                UPDATE mm_templates SET source_id = @SourceId, name = @Name, channel = @Channel, subject = @Subject, content = @Content,
                  sign_name = @SignName, rel_template_id = @RelTemplateId, status = @Status, deleted = @Deleted,
                  create_time = @CreateTime, modify_time = @ModifyTime, version = @Version
                WHERE template_id = @TemplateId AND version < @Version
                """, row, w.Transaction, cancellationToken: ct));
        }
        await w.CommitAsync(ct);
    }

    public async Task ApplyAsync(ITemplateEvent evt, long sequenceNr, CancellationToken ct = default)
    {
        var current = await LoadAsync(evt.TemplateId, ct);
        if (current is not null && current.Version >= sequenceNr)
        {
            return;
        }
        var state = current?.ToState() ?? TemplateState.Empty(evt.TemplateId);
        await UpsertAsync(state.Apply(evt), sequenceNr, ct);
    }

    public async Task<Page<TemplateState>> ListAsync(TemplateListQuery query, CancellationToken ct = default)
    {
        var where = new StringBuilder("WHERE deleted = 0");
        var args = new DynamicParameters();
        if (!string.IsNullOrEmpty(query.SourceId))
        {
            where.Append(" AND source_id = @sourceId");
            args.Add("sourceId", query.SourceId);
        }
        if (query.Channel is { } channel)
        {
            where.Append(" AND channel = @channel");
            args.Add("channel", channel);
        }
        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM mm_templates {where}", args, cancellationToken: ct));
        args.Add("take", query.Paging.PageSize);
        args.Add("skip", query.Paging.Skip);
        var rows = await c.QueryAsync<TemplateRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_templates {where} ORDER BY create_time DESC, template_id DESC LIMIT @take OFFSET @skip",
            args, cancellationToken: ct));
        return new Page<TemplateState>(rows.Select(r => r.ToState()).ToList(), total);
    }

    private async Task<TemplateRow?> LoadAsync(string templateId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<TemplateRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_templates WHERE template_id = @templateId", new { templateId }, cancellationToken: ct));
    }

    private sealed class TemplateRow
    {
        public string TemplateId { get; set; } = "";
        public string SourceId { get; set; } = "";
        public string Name { get; set; } = "";
        public int Channel { get; set; }
        public string Subject { get; set; } = "";
        public string Content { get; set; } = "";
        public string SignName { get; set; } = "";
        public string RelTemplateId { get; set; } = "";
        public int Status { get; set; }
        public int Deleted { get; set; }
        public long CreateTime { get; set; }
        public long ModifyTime { get; set; }
        public long Version { get; set; }

        public static TemplateRow From(TemplateState s, long version) => new()
        {
            TemplateId = s.TemplateId,
            SourceId = s.Draft.SourceId,
            Name = s.Draft.Name,
            Channel = s.Draft.Channel,
            Subject = s.Draft.Subject,
            Content = s.Draft.Content,
            SignName = s.Draft.SignName,
            RelTemplateId = s.Draft.RelTemplateId,
            Status = s.Status,
            Deleted = s.Deleted ? 1 : 0,
            CreateTime = s.CreatedAt.ToUnixTimeMilliseconds(),
            ModifyTime = s.ModifiedAt.ToUnixTimeMilliseconds(),
            Version = version,
        };

        public TemplateState ToState() => new(
            TemplateId,
            true,
            Deleted != 0,
            new TemplateDraft(SourceId, Name, Channel, Subject, Content, SignName, RelTemplateId),
            Status,
            DateTimeOffset.FromUnixTimeMilliseconds(CreateTime),
            DateTimeOffset.FromUnixTimeMilliseconds(ModifyTime));
    }
}
