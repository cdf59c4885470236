using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Dapper;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Delivery;

/// <summary>The answer to a send: ids of the stored records, or why nothing was stored.</summary>
/// <param name="MsgIds">All ids, up to <see cref="IntakeService.MaxIdsInAnswer"/>; <paramref name="Count"/> is the full number.</param>
public sealed record SendAnswer(ResultCode Code, string Message, string BatchId, IReadOnlyList<string> MsgIds, int Count, bool Truncated)
{
    public bool IsOk => Code == ResultCode.Ok;

    /// <summary>For a quota refusal: when to try again (the Retry-After header), in whole seconds.</summary>
    public int RetryAfterSeconds { get; init; }

    public static SendAnswer Fail(ResultCode code, string message) => new(code, message, "", [], 0, false);

    /// <summary>A quota said no (429 + Retry-After), or its counter could not be asked (fail closed: 503).</summary>
    public static SendAnswer Refused(Quotas.QuotaOutcome outcome) => outcome.Unavailable
        ? Fail(ResultCode.StoreFailed, "the quota counter (Redis) is unavailable; nothing was stored; retry")
        : Fail(ResultCode.QuotaExceeded, $"over the {outcome.Exhausted!.Describe()}; nothing was stored")
            with { RetryAfterSeconds = outcome.RetryAfterSeconds };
}

/// <summary>
/// Intake: validate, render, expand recipients (direct, user ids, tags streamed in pages), deduplicate, and
/// store one record per (recipient, channel) before answering: accept = durable. Small sends of concurrent
/// callers share one transaction (group commit), those with an idempotency key (an Idempotency-Key header, a
/// schedule's firing) too, each key stored with its records; a large send gets a transaction of its own. The queue
/// is fed from the stored records.
/// </summary>
public sealed class IntakeService
{
    public const int MaxIdsInAnswer = 10_000;
    private const int GroupCommitLimit = 500;
    private const int ChunkSize = 1000;

    private readonly TemplateService _templates;
    private readonly UserReadModel _users;
    private readonly RecordStore _records;
    private readonly IDeliverySignal _signal;
    private readonly TimeProvider _clock;
    private readonly ILogger<IntakeService> _log;
    // High priority has its own group commit, whose transactions go ahead of every other writer waiting.
    private readonly Lazy<BatchWriter<MessageRecord>> _groupCommit;
    private readonly Lazy<BatchWriter<MessageRecord>> _urgentGroupCommit;
    private readonly Lazy<BatchWriter<KeyedSend>> _keyedGroupCommit;
    private readonly Lazy<BatchWriter<KeyedSend>> _urgentKeyedGroupCommit;
    private readonly Schedules.ScheduleService _schedules;
    private readonly bool _smsTakesInline;
    private readonly Quotas.QuotaService _quotas;
    private readonly LimitOptions _limits;
    private readonly Observability.MsgMateMetrics _metrics;
    private readonly IdempotencyKeys _keys;

    public IntakeService(
        ActorSystem system, TemplateService templates, UserReadModel users, RecordStore records, IDeliverySignal signal,
        Schedules.ScheduleService schedules, TimeProvider clock, ILogger<IntakeService> log, MsgMateOptions options,
        Quotas.QuotaService quotas, Observability.MsgMateMetrics metrics, IdempotencyKeys keys)
    {
        _keys = keys;
        _quotas = quotas;
        _metrics = metrics;
        _smsTakesInline = Channels.Sms.SmsProviders.AcceptsInline(options.Sms);
        _limits = options.Limits;
        _schedules = schedules;
        _templates = templates;
        _users = users;
        _records = records;
        _signal = signal;
        _clock = clock;
        _log = log;
        _groupCommit = new Lazy<BatchWriter<MessageRecord>>(() => new BatchWriter<MessageRecord>(
            system, "intake", records => WriteGroupAsync(records, WriteUrgency.Normal), maxItems: 2000));
        _urgentGroupCommit = new Lazy<BatchWriter<MessageRecord>>(() => new BatchWriter<MessageRecord>(
            system, "intake-high", records => WriteGroupAsync(records, WriteUrgency.Urgent), maxItems: 2000));
        _keyedGroupCommit = new Lazy<BatchWriter<KeyedSend>>(() => new BatchWriter<KeyedSend>(
            system, "intake-keyed", sends => WriteKeyedGroupAsync(sends, WriteUrgency.Normal), maxItems: 2000, weightOf: k => k.Records.Count));
        _urgentKeyedGroupCommit = new Lazy<BatchWriter<KeyedSend>>(() => new BatchWriter<KeyedSend>(
            system, "intake-keyed-high", sends => WriteKeyedGroupAsync(sends, WriteUrgency.Urgent), maxItems: 2000, weightOf: k => k.Records.Count));
    }

    /// <summary>A small send with an idempotency key, for the keyed group commit.</summary>
    private sealed class KeyedSend(IReadOnlyList<MessageRecord> records, IdempotencyKey key, string response)
    {
        public IReadOnlyList<MessageRecord> Records { get; } = records;

        public IdempotencyKey Key { get; } = key;

        public string Response { get; } = response;

        /// <summary>Set by the writer: the key was new, and the records are in the transaction.</summary>
        public bool Stored { get; set; }
    }

    public async Task<SendAnswer> SubmitAsync(SendRequest request, string? idempotencyKey, CancellationToken ct = default)
    {
        if (request.ReleaseBatchId.Length > 0)
        {
            // The firing of a future send_msg: its records are stored already, waiting; release them.
            var released = await _records.ReleaseBatchAsync(request.ReleaseBatchId, _clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
            _signal.RecordsStored(0);
            return new SendAnswer(ResultCode.Ok, "ok", request.ReleaseBatchId, [], released, false);
        }

        // A repeat is answered before anything else is checked: what was accepted once stays accepted.
        string? requestHash = null;
        if (idempotencyKey is not null)
        {
            requestHash = Hash(request);
            var earlier = await FindIdempotentAsync(request.SourceId, idempotencyKey, ct);
            if (earlier is not null)
            {
                return earlier.Value.Hash == requestHash
                    ? earlier.Value.Answer
                    : SendAnswer.Fail(ResultCode.Conflict, "Idempotency-Key was already used with a different request");
            }
        }

        var checkedSend = await CheckAsync(request, ct);
        if (checkedSend.Rejection is not null)
        {
            return SendAnswer.Fail(checkedSend.Rejection.Code, checkedSend.Rejection.Message);
        }
        var contents = checkedSend.Contents;

        var named = request.UserIds.IsEmpty ? [] : await _users.GetManyAsync(request.UserIds.Distinct().ToList(), ct);
        var unknown = request.UserIds.Except(named.Select(u => u.UserId)).ToList();
        if (unknown.Count > 0)
        {
            return SendAnswer.Fail(ResultCode.UserNotFound,
                $"unknown user_ids: {InputText.QuoteAll(unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : "")}");
        }

        var batchId = Guid.NewGuid().ToString();
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        // A schedule's firing counts against the quotas but is never refused by them: it was accepted when the
        // schedule was created, and a refusal here would have no caller to retry it.
        var firing = request.ScheduleId.Length > 0;
        if (request.ScheduleId.Length == 0 && request.SendAtMs > now + 1000)
        {
            // A refused send must leave nothing behind, not even a schedule: whom it reaches is counted first.
            var reach = await CountAsync(Expand(request, contents, named, batchId, now, ct), _limits.MaxRecordsPerSend + 1L);
            if (reach == 0)
            {
                return Nobody();
            }
            if (reach > _limits.MaxRecordsPerSend)
            {
                return TooManyRecords();
            }
            // A future sendTimestamp uses the schedules' mechanism: a schedule entity owns the timer and, when due,
            // releases this batch. It is created first: if storing the records fails, it fires and releases nothing.
            var scheduleId = Schedules.ScheduleService.NewScheduleId();
            var spec = new Schedules.ScheduleSpec(request.SourceId, request.To, request.UserIds, request.Tags, request.Channels,
                request.Subject, request.Priority, request.TemplateId, request.Content, request.TemplateData, batchId);
            var created = await _schedules.SendAsync(new Schedules.ScheduleCommands.Create(scheduleId, spec, request.SendAtMs, null), ct);
            if (!created.IsOk)
            {
                return SendAnswer.Fail(created.Code, created.Message);
            }
            request = request with { ScheduleId = scheduleId };
        }
        var records = Expand(request, contents, named, batchId, now, ct);
        var key = idempotencyKey is null ? (IdempotencyKey?)null : new IdempotencyKey(request.SourceId, idempotencyKey, requestHash!, now);
        var answer = await StoreAsync(records, batchId, key, UrgencyOf(request), firing, ct);
        if (answer.IsOk)
        {
            _signal.RecordsStored(request.SendAtMs > now ? request.SendAtMs : 0);
        }
        return answer;
    }

    /// <summary>
    /// Everything about a send that can be checked before its recipients are looked up: shape, template
    /// (exists, usable), rendering (no placeholder without a value), direct addresses. Schedules use it at
    /// creation, so that a schedule that could never fire is refused at once.
    /// </summary>
    public async Task<(ImmutableArray<ChannelContent> Contents, Rejection? Rejection)> CheckAsync(SendRequest request, CancellationToken ct = default)
    {
        var shapeError = SendPlanner.ValidateShape(request, _limits);
        if (shapeError is not null)
        {
            return (default, Rejection.Invalid(shapeError));
        }
        TemplateState? template = null;
        if (!string.IsNullOrEmpty(request.TemplateId))
        {
            var reply = await _templates.SendAsync(new TemplateCommands.Get(request.TemplateId), ct);
            if (!reply.IsOk)
            {
                return (default, new Rejection(reply.Code, reply.Message));
            }
            template = reply.State;
        }
        var (contents, rejection) = SendPlanner.PlanContent(request, template, _limits);
        if (rejection is not null)
        {
            return (default, rejection);
        }
        foreach (var content in contents)
        {
            var badAddress = request.To.Select(a => SendPlanner.ValidateAddress(content.Channel, a.Trim())).FirstOrDefault(e => e is not null);
            if (badAddress is not null)
            {
                return (default, Rejection.Invalid(badAddress));
            }
            if (content.Channel == Channel.Sms && content.ProviderTemplateId.Length == 0 && !_smsTakesInline)
            {
                // Aliyun sends only its own approved templates: refused now, never a failed record later.
                return (default, Rejection.Invalid(
                    "SMS needs an Aliyun template: a template with relTemplateID, or MsgMate:Sms:ContentTemplateCode configured for inline content"));
            }
        }
        return (contents, null);
    }

    /// <summary>Every (recipient, channel) of the send as a record, deduplicated by address per channel.</summary>
    private async IAsyncEnumerable<MessageRecord> Expand(
        SendRequest r, ImmutableArray<ChannelContent> contents, IReadOnlyList<UserState> named, string batchId, long now,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var notBefore = Math.Max(r.SendAtMs, now);
        var waiting = r.ScheduleId.Length > 0 && r.SendAtMs > now ? MessageStatus.Scheduled : MessageStatus.Pending;
        var data = JsonSerializer.Serialize(r.TemplateData);
        // Hashes, not addresses: a 100k audience costs a few MB here, whatever the address lengths.
        var seen = new HashSet<UInt128>();
        var byId = named.ToDictionary(u => u.UserId);

        MessageRecord? Make(ChannelContent c, string address, string userId, string? failure)
        {
            if (failure is null && !seen.Add(Key(c.Channel, address)))
            {
                return null;
            }
            return new MessageRecord
            {
                MsgId = Guid.NewGuid().ToString(), BatchId = batchId, SourceId = r.SourceId, ScheduleId = r.ScheduleId,
                To = address, UserId = userId, Channel = (int)c.Channel, Priority = r.Priority, TemplateId = r.TemplateId ?? "",
                TemplateData = data, Subject = c.Subject, Body = c.Body, IsHtml = c.IsHtml, SignName = c.SignName,
                ProviderTemplateId = c.ProviderTemplateId,
                Status = failure is null ? waiting : MessageStatus.Failed,
                LastError = failure ?? "", NotBefore = notBefore, CreateTime = now, ModifyTime = now,
            };
        }

        foreach (var content in contents)
        {
            foreach (var address in r.To.Select(a => a.Trim()))
            {
                if (Make(content, address, "", null) is { } record) yield return record;
            }
            foreach (var userId in r.UserIds.Distinct())
            {
                var user = byId[userId];
                var address = SendPlanner.AddressOf(content.Channel, user.Profile);
                var failure = !user.Enabled ? "user is disabled"
                    : address.Length == 0 ? $"user has no {SendPlanner.ContactField(content.Channel)}"
                    : null;
                if (Make(content, address, userId, failure) is { } record) yield return record;
            }
            if (!r.Tags.IsEmpty)
            {
                await foreach (var page in _users.StreamByTagsAsync(r.Tags.Distinct().ToList(), ChunkSize, ct))
                {
                    foreach (var user in page)
                    {
                        var address = SendPlanner.AddressOf(content.Channel, user.Profile);
                        var failure = address.Length == 0 ? $"user has no {SendPlanner.ContactField(content.Channel)}" : null;
                        if (Make(content, address, user.UserId, failure) is { } record) yield return record;
                    }
                }
            }
        }
    }

    /// <summary>Small sends through the group commit; a large one in its own transaction, in chunks.</summary>
    private static WriteUrgency UrgencyOf(SendRequest request) =>
        request.Priority == MessagePriority.High ? WriteUrgency.Urgent : WriteUrgency.Normal;

    private async Task<SendAnswer> StoreAsync(
        IAsyncEnumerable<MessageRecord> records, string batchId, IdempotencyKey? key, WriteUrgency urgency, bool firing, CancellationToken ct)
    {
        var first = new List<MessageRecord>(GroupCommitLimit + 1);
        await using var e = records.GetAsyncEnumerator(ct);
        while (first.Count <= GroupCommitLimit && await e.MoveNextAsync())
        {
            first.Add(e.Current);
        }
        if (first.Count == 0)
        {
            return Nobody();
        }
        if (first.Count > _limits.MaxRecordsPerSend)
        {
            return TooManyRecords();
        }
        var stored = first.Count <= GroupCommitLimit
            ? await StoreInGroupAsync(first, batchId, key, urgency, firing, ct)
            : await StoreInOwnTransactionAsync(first, e, batchId, key, urgency, firing, ct);
        if (stored is not null)
        {
            return stored;
        }
        // The key was taken by a concurrent request that committed first: answer as it did.
        var winner = await FindIdempotentAsync(key!.Value.SourceId, key.Value.Key, ct)
            ?? throw new InvalidOperationException("an idempotency key was taken, but its answer could not be read");
        return winner.Hash == key.Value.Hash
            ? winner.Answer
            : SendAnswer.Fail(ResultCode.Conflict, "Idempotency-Key was already used with a different request");
    }

    /// <summary>
    /// A send of up to <see cref="GroupCommitLimit"/> records in a group commit (the keyed one when it has a key, which
    /// is stored with its answer); null if its key was taken.
    /// </summary>
    private async Task<SendAnswer?> StoreInGroupAsync(
        List<MessageRecord> records, string batchId, IdempotencyKey? key, WriteUrgency urgency, bool firing, CancellationToken ct)
    {
        var (outcome, taken) = await _quotas.TakeAsync(records, firing, ct);
        if (!outcome.Allowed)
        {
            return SendAnswer.Refused(outcome);
        }
        var answer = Answer(batchId, records.Select(r => r.MsgId).ToList(), records.Count);
        var keyed = key is { } k ? new KeyedSend(records, k, JsonSerializer.Serialize(answer)) : null;
        var urgent = urgency == WriteUrgency.Urgent;
        try
        {
            await (keyed is null
                ? (urgent ? _urgentGroupCommit : _groupCommit).Value.WriteAsync(records)
                : (urgent ? _urgentKeyedGroupCommit : _keyedGroupCommit).Value.WriteAsync([keyed]));
        }
        catch
        {
            await _quotas.RefundAsync(taken, CancellationToken.None);
            throw;
        }
        if (keyed is { Stored: false })
        {
            await _quotas.RefundAsync(taken, CancellationToken.None);
            return null;
        }
        _metrics.Accepted(new Observability.AcceptedTally().Add(records));
        return answer;
    }

    /// <returns>The answer, or null when the idempotency key was taken by a request that committed first.</returns>
    private async Task<SendAnswer?> StoreInOwnTransactionAsync(
        List<MessageRecord> buffered, IAsyncEnumerator<MessageRecord> rest, string batchId,
        IdempotencyKey? idempotency, WriteUrgency urgency, bool firing, CancellationToken ct)
    {
        // Each chunk takes its quota before it is inserted; a refusal rolls the whole send back and gives back
        // what the earlier chunks took. Whatever ends the transaction without a commit gives it back too.
        var taken = new List<Quotas.BucketDebit>();
        var committed = false;
        try
        {
            return await StoreChunksAsync();
        }
        finally
        {
            if (!committed)
            {
                await _quotas.RefundAsync(taken, CancellationToken.None);
            }
        }

        async Task<SendAnswer?> StoreChunksAsync()
        {
            var ids = new List<string>();
            var count = 0;
            var tally = new Observability.AcceptedTally();
            // The first chunk is built before the turn at the write lock is taken: a request of up to ChunkSize
            // recipients holds the lock only for its inserts, not for building its records.
            var more = true;
            while (buffered.Count < ChunkSize && (more = await rest.MoveNextAsync()))
            {
                buffered.Add(rest.Current);
            }
            if (buffered.Count > _limits.MaxRecordsPerSend)
            {
                return TooManyRecords();
            }
            await using var w = await _records.Database.BeginWriteAsync(urgency, ct);
            var (c, tx) = (w.Connection, w.Transaction);
            // First, so that a concurrent request with the same key waits on this row (and then finds it taken).
            if (idempotency is { } k && !await _keys.ClaimAsync(w, k, "", ct))
            {
                await w.RollbackAsync(ct);
                return null;
            }

            async Task<SendAnswer?> FlushAsync(List<MessageRecord> chunk)
            {
                var (outcome, took) = await _quotas.TakeAsync(chunk, firing, ct);
                if (!outcome.Allowed)
                {
                    return SendAnswer.Refused(outcome);
                }
                taken.AddRange(took);
                await _records.InsertAsync(c, tx, chunk, queued: false, ct);
                count += chunk.Count;
                tally.Add(chunk);
                ids.AddRange(chunk.Take(MaxIdsInAnswer - ids.Count).Select(r => r.MsgId));
                chunk.Clear();
                return null;
            }

            var chunk = buffered;
            while (more && (more = await rest.MoveNextAsync()))
            {
                chunk.Add(rest.Current);
                if (count + chunk.Count > _limits.MaxRecordsPerSend)
                {
                    // Counted as the audience is read: nothing of it is committed, and the rest is never read.
                    await w.RollbackAsync(ct);
                    return TooManyRecords();
                }
                if (chunk.Count >= ChunkSize && await FlushAsync(chunk) is { } refusedMidway)
                {
                    await w.RollbackAsync(ct);
                    return refusedMidway;
                }
            }
            if (chunk.Count > 0 && await FlushAsync(chunk) is { } refused)
            {
                await w.RollbackAsync(ct);
                return refused;
            }
            if (count == 0)
            {
                await w.RollbackAsync(ct);
                return Nobody();
            }
            var answer = Answer(batchId, ids, count);
            if (idempotency is { } stored)
            {
                await _keys.AnswerAsync(w, stored, JsonSerializer.Serialize(answer), ct);
            }
            await w.CommitAsync(ct);
            committed = true;
            _metrics.Accepted(tally);
            if (count > GroupCommitLimit)
            {
                _log.LogInformation("Batch {BatchId}: {Count} records stored", batchId, count);
            }
            return answer;
        }
    }

    private async Task WriteGroupAsync(IReadOnlyList<MessageRecord> records, WriteUrgency urgency)
    {
        await using var w = await _records.Database.BeginWriteAsync(urgency);
        await _records.InsertAsync(w.Connection, w.Transaction, records, queued: false);
        await w.CommitAsync();
    }

    /// <summary>
    /// Many keyed sends in one transaction: each key is claimed with its answer, and only the records of the sends
    /// whose key was new are inserted (a key taken before, or earlier in the same batch, stores nothing). Keys are
    /// claimed in key order, so that two nodes' batches holding the same keys wait on each other instead of deadlocking.
    /// </summary>
    private async Task WriteKeyedGroupAsync(IReadOnlyList<KeyedSend> sends, WriteUrgency urgency)
    {
        await using var w = await _records.Database.BeginWriteAsync(urgency);
        var records = new List<MessageRecord>();
        foreach (var send in sends.OrderBy(s => s.Key.SourceId, StringComparer.Ordinal).ThenBy(s => s.Key.Key, StringComparer.Ordinal))
        {
            send.Stored = await _keys.ClaimAsync(w, send.Key, send.Response);
            if (send.Stored)
            {
                records.AddRange(send.Records);
            }
        }
        await _records.InsertAsync(w.Connection, w.Transaction, records, queued: false);
        await w.CommitAsync();
    }

    private async Task<(string Hash, SendAnswer Answer)?> FindIdempotentAsync(string sourceId, string key, CancellationToken ct) =>
        await _keys.FindAsync(sourceId, key, _clock.GetUtcNow().ToUnixTimeMilliseconds(), ct) is { } found
            ? (found.Hash, JsonSerializer.Deserialize<SendAnswer>(found.Answer)!)
            : null;

    private static SendAnswer Nobody() => SendAnswer.Fail(ResultCode.InvalidArgument, "the send reaches nobody: no tagged user and no address");

    private static async Task<long> CountAsync(IAsyncEnumerable<MessageRecord> records, long upTo)
    {
        long count = 0;
        await foreach (var _ in records)
        {
            if (++count >= upTo)
            {
                break;
            }
        }
        return count;
    }

    private SendAnswer TooManyRecords() => SendAnswer.Fail(ResultCode.InvalidArgument,
        $"the send reaches more than {_limits.MaxRecordsPerSend} recipients (records: recipients × channels; MsgMate:Limits:MaxRecordsPerSend)");

    private static SendAnswer Answer(string batchId, IReadOnlyList<string> ids, int count) =>
        new(ResultCode.Ok, "ok", batchId, ids, count, count > ids.Count);

    private static string Hash(SendRequest r) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(r)));

    private static UInt128 Key(Common.Channel channel, string address)
    {
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(System.Text.Encoding.UTF8.GetBytes($"{(int)channel}|{address.ToLowerInvariant()}"), digest);
        return new UInt128(BitConverter.ToUInt64(digest[..8]), BitConverter.ToUInt64(digest[8..]));
    }
}

/// <summary>Told by the intake when records were stored, so that delivery looks at once rather than at its next poll.</summary>
public interface IDeliverySignal
{
    /// <param name="dueAtMs">When the new records are due (0 = now).</param>
    void RecordsStored(long dueAtMs);
}
