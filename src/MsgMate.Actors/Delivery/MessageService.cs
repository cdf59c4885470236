using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// The use cases on stored messages: read one, cancel, re-drive. <c>sourceOnly</c> is the caller's own source when
/// it may only touch those (a key without the admin scope); a message of another source is "not found" to it, so
/// that ids of other systems' messages are not confirmed.
/// </summary>
public sealed class MessageService(RecordStore records, IDeliverySignal signal, TimeProvider clock)
{
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<MessageRecord?> GetAsync(string msgId, string? sourceOnly, CancellationToken ct = default)
    {
        var record = await records.GetAsync(msgId, ct);
        return record is null || (sourceOnly is not null && record.SourceId != sourceOnly) ? null : record;
    }

    /// <summary>Cancels a message not yet final; the rejection says why not.</summary>
    public async Task<Rejection?> CancelAsync(string msgId, string? sourceOnly, CancellationToken ct = default)
    {
        if (await GetAsync(msgId, sourceOnly, ct) is null)
        {
            return NotFound("message", msgId);
        }
        if (await records.CancelAsync(msgId, Now, ct))
        {
            return null;
        }
        var record = await records.GetAsync(msgId, ct);
        return new Rejection(ResultCode.Conflict,
            $"message {InputText.Quote(msgId)} cannot be cancelled: it is already {MessageStatus.Name(record?.Status ?? MessageStatus.Cancelled)}");
    }

    /// <summary>Re-drives failed messages (one, or a batch): how many, or why none.</summary>
    public async Task<(int Count, Rejection? Problem)> ResendAsync(string? msgId, string? batchId, string? sourceOnly, CancellationToken ct = default)
    {
        var count = await records.ResendAsync(msgId, batchId, Now, sourceOnly, ct);
        if (count > 0)
        {
            signal.RecordsStored(0);
            return (count, null);
        }
        var known = msgId is not null
            ? await GetAsync(msgId, sourceOnly, ct) is not null
            : (await records.ListAsync(new RecordQuery(new(1, 1), BatchId: batchId, SourceId: sourceOnly), ct)).Total > 0;
        return known
            ? (0, new Rejection(ResultCode.Conflict, "nothing to resend: only failed messages can be re-driven"))
            : (0, NotFound(msgId is not null ? "message" : "batch", msgId ?? batchId!));
    }

    /// <summary>The most dead letters one re-drive takes (one transaction); <c>remaining</c> in its answer says whether to go on.</summary>
    public const int MaxRedrive = 1000;

    /// <summary>The dead letters the filter selects, newest first (all sources: an operator's view).</summary>
    public Task<Page<DeadLetter>> DeadLettersAsync(DeadLetterFilter filter, PageRequest paging, CancellationToken ct = default) =>
        records.DeadLettersAsync(filter, paging, ct);

    /// <summary>
    /// Re-drives dead letters, oldest first, up to <paramref name="limit"/>: each message pending again with a fresh retry
    /// budget, as a resend. A filter must select something (ids, a channel or a time range) unless <paramref name="all"/>
    /// says every dead letter is meant: an empty request re-driving everything by accident is refused.
    /// </summary>
    public async Task<(int Redriven, long Remaining, Rejection? Problem)> RedriveDeadLettersAsync(
        DeadLetterFilter filter, bool all, int limit, CancellationToken ct = default)
    {
        var selects = filter.MsgIds is { Count: > 0 } || filter.Channel is not null || filter.From is not null || filter.Until is not null;
        if (!selects && !all)
        {
            return (0, 0, Rejection.Invalid("name the dead letters to re-drive: msg_ids, channel, start_time or end_time, or all=true for every one"));
        }
        if (limit is < 1 or > MaxRedrive)
        {
            return (0, 0, Rejection.Invalid($"limit must be between 1 and {MaxRedrive}"));
        }
        var (count, remaining) = await records.RedriveDeadLettersAsync(filter, limit, Now, ct);
        if (count > 0)
        {
            signal.RecordsStored(0);
        }
        return (count, remaining, null);
    }

    private static Rejection NotFound(string what, string id) => new(ResultCode.MessageNotFound, $"{what} {InputText.Quote(id)} not found");
}
