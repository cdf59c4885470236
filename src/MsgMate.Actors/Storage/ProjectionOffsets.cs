using Dapper;

namespace MsgMate.Actors.Storage;

/// <summary>Where each projection has read its tag up to (the journal's ordering number).</summary>
public sealed class ProjectionOffsets(SqlDatabase db)
{
    public async Task<long> LoadAsync(string projection, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT offset_value FROM mm_projection_offsets WHERE projection = @projection", new { projection }, cancellationToken: ct)) ?? 0;
    }

    public async Task SaveAsync(string projection, long offset, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var c = w.Connection;
        var (insert, suffix) = db.InsertIgnore;
        var args = new { projection, offset };
        var inserted = await c.ExecuteAsync(new CommandDefinition(
            $"{insert} mm_projection_offsets (projection, offset_value) VALUES (@projection, @offset){suffix}", args, w.Transaction, cancellationToken: ct));
        if (inserted == 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE mm_projection_offsets SET offset_value = @offset WHERE projection = @projection AND offset_value < @offset",
                args, w.Transaction, cancellationToken: ct));
        }
        await w.CommitAsync(ct);
    }
}
