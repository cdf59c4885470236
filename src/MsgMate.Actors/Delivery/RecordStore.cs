using System.Data.Common;
using Dapper;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Delivery;

/// <summary>Filters of the record list; null is "any". Times are Unix milliseconds.</summary>
public sealed record RecordQuery(
    PageRequest Paging,
    string? MsgId = null,
    string? To = null,
    int? Status = null,
    int? Channel = null,
    int? Priority = null,
    string? BatchId = null,
    string? SourceId = null,
    string? ScheduleId = null,
    long? From = null,
    long? Until = null);

/// <summary>The outcome of one attempt, to be written with its record.</summary>
/// <param name="Status">The record's new status: Sent, Retrying or Failed.</param>
/// <param name="RetryCount">Retries scheduled so far in the current round (a resend starts a new round).</param>
/// <param name="NotBefore">For Retrying: when the next attempt may start (also kept in the attempt's history row).</param>
/// <param name="Node">The cluster node that made the attempt.</param>
/// <param name="Attempt">The number of the attempt's last provider call; earlier calls of the same attempt (failed over,
/// <paramref name="FailedOver"/>) take the numbers before it. For a deferral: the record's attempts, unchanged.</param>
/// <param name="ProviderMessageId">The provider's id of a sent message (Aliyun's BizId, Lark's message_id).</param>
/// <param name="FailedOver">Provider calls of this attempt that failed retryably before the last one took the message.</param>
/// <param name="Deferred">No provider was called: every one is over its rate; the record waits until <paramref name="NotBefore"/>
/// with its status and retry budget unchanged.</param>
public sealed record DeliveryOutcome(
    string MsgId, int Attempt, int Status, long At, int Channel, string Provider, string Error, int DurationMs, int RetryCount, long NotBefore,
    string Node, string ProviderMessageId = "", IReadOnlyList<Channels.ProviderTry>? FailedOver = null, bool Deferred = false);

/// <summary>What erasing a person did to the records: how many of theirs were masked, and how many of those were cancelled.</summary>
public sealed record RecipientErasure(int RecordsMasked, int RecordsCancelled);

public sealed record StatisticsRow(long Bucket, int Status, int Channel, int Priority, long Count);

/// <summary>
/// The open records of one lane (pending by priority, retrying on the retry lane) at one instant: due and not claimed,
/// claimed under a live lease (the SQL queue's in-flight), waiting for a later time (a retry's backoff, a deferral),
/// and due but not handed to the queue yet (Kafka's outbox backlog). Times are Unix milliseconds.
/// </summary>
public sealed record LaneBacklog(QueueLane Lane, long Due, long Leased, long Waiting, long Unpublished, long? OldestDue, long? NextWaiting);

/// <summary>A message whose last attempt failed for good, with its record's routing facts.</summary>
public sealed record DeadLetter(string MsgId, long At, int Channel, int Priority, int Attempts, string Error, string SourceId, string BatchId);

/// <summary>Which dead letters: null is "any"; <paramref name="MsgIds"/> names them one by one. Times are Unix milliseconds.</summary>
public sealed record DeadLetterFilter(
    IReadOnlyList<string>? MsgIds = null, int? Channel = null, long? From = null, long? Until = null, string? SourceOnly = null);

/// <summary>
/// SQL access to message records, attempts, dead letters and idempotency keys. Writes are batched by the
/// callers (intake group commit, delivery status writer): one transaction for many records.
/// </summary>
public sealed class RecordStore(SqlDatabase db)
{
    private const string Columns =
        "msg_id, batch_id, source_id, schedule_id, to_addr, user_id, channel, priority, template_id, template_data, subject, body, " +
        "is_html, sign_name, provider_template_id, status, attempts, retry_count, last_error, not_before, queued, create_time, modify_time, sent_time, " +
        "provider_msg_id";

    private static readonly string[] ColumnNames = Columns.Split(", ");

    public SqlDatabase Database => db;

    /// <summary>Inserts records inside the caller's transaction. <paramref name="queued"/>: already handed to the queue (SQL-queue mode).</summary>
    public Task InsertAsync(DbConnection c, DbTransaction tx, IReadOnlyList<MessageRecord> records, bool queued, CancellationToken ct = default) =>
        db.InsertManyAsync(c, tx, "mm_msg_records", ColumnNames, records, r => new object?[]
        {
            r.MsgId, r.BatchId, r.SourceId, r.ScheduleId, r.To, r.UserId, r.Channel, r.Priority, r.TemplateId, r.TemplateData,
            r.Subject, r.Body, r.IsHtml ? 1 : 0, r.SignName, r.ProviderTemplateId, r.Status, r.Attempts, r.RetryCount, r.LastError,
            r.NotBefore, queued ? 1 : 0, r.CreateTime, r.ModifyTime, r.SentTime, r.ProviderMessageId,
        }, ct: ct);

    public async Task<MessageRecord?> GetAsync(string msgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<RecordRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_msg_records WHERE msg_id = @msgId", new { msgId }, cancellationToken: ct));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<MessageRecord>> GetManyAsync(IReadOnlyCollection<string> msgIds, CancellationToken ct = default)
    {
        if (msgIds.Count == 0)
        {
            return [];
        }
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<RecordRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_msg_records WHERE {db.InList("msg_id", "ids")}", new { ids = msgIds.ToArray() }, cancellationToken: ct));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<AttemptRecord>> AttemptsAsync(string msgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<AttemptRow>(new CommandDefinition(
            "SELECT msg_id, attempt, at, channel, provider, outcome, error, duration_ms, node, retry_at, provider_msg_id FROM mm_msg_attempts WHERE msg_id = @msgId ORDER BY attempt",
            new { msgId }, cancellationToken: ct));
        return rows.Select(a => new AttemptRecord(
            a.MsgId, a.Attempt, a.At, a.Channel, a.Provider, a.Outcome, a.Error, a.DurationMs, a.Node, a.RetryAt, a.ProviderMsgId)).ToList();
    }

    public async Task<Page<MessageRecord>> ListAsync(RecordQuery q, CancellationToken ct = default)
    {
        var filter = new SqlFilter()
            .Add(q.MsgId, "msg_id = @msgId", "msgId")
            .Add(q.To, "to_addr = @to", "to")
            .Add(q.Status, "status = @status", "status")
            .Add(q.Channel, "channel = @channel", "channel")
            .Add(q.Priority, "priority = @priority", "priority")
            .Add(q.BatchId, "batch_id = @batchId", "batchId")
            .Add(q.SourceId, "source_id = @sourceId", "sourceId")
            .Add(q.ScheduleId, "schedule_id = @scheduleId", "scheduleId")
            .Add(q.From, "create_time >= @from", "from")
            .Add(q.Until, "create_time <= @until", "until");
        var (where, args) = (filter.ToString(), filter.Args);

        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM mm_msg_records {where}", args, cancellationToken: ct));
        args.Add("take", q.Paging.PageSize);
        args.Add("skip", q.Paging.Skip);
        var rows = await c.QueryAsync<RecordRow>(new CommandDefinition(
            $"SELECT {Columns} FROM mm_msg_records {where} ORDER BY create_time DESC, msg_id DESC LIMIT @take OFFSET @skip",
            args, cancellationToken: ct));
        return new Page<MessageRecord>(rows.Select(r => r.ToRecord()).ToList(), total);
    }

    /// <summary>
    /// Writes the outcomes of many attempts in one transaction: record status, attempt history and dead letters.
    /// An attempt already written (a redelivered job) is not written twice, and a final record never changes.
    /// A retry is unqueued again (the outbox publishes it to the retry lane when due); a final record is marked queued:
    /// nothing of it is left to publish, and it stays out of the outbox's <c>queued = 0</c> index range, which
    /// <see cref="TakeUnqueuedAsync"/> walks in due order — with every final record in it, each poll walked the whole
    /// history of the table before reaching the open records.
    /// </summary>
    public async Task ApplyOutcomesAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(WriteUrgency.Delivery, ct);
        var (c, tx) = (w.Connection, w.Transaction);
        if (db.Provider == SqlProvider.PostgreSql && outcomes.Count > 1 && outcomes.Select(o => o.MsgId).Distinct().Count() == outcomes.Count)
        {
            await ApplyDistinctOutcomesAsArraysAsync(c, tx, outcomes, ct);
            await w.CommitAsync(ct);
            return;
        }
        // Each statement is parsed once for the whole batch.
        await using var defer = new RepeatedStatement(c, tx,
            """
            UPDATE mm_msg_records
            SET not_before = @NotBefore, last_error = @Error, modify_time = @At, queued = 0, lease_until = 0, claim_token = ''
            WHERE msg_id = @MsgId AND status IN (1, 4) AND attempts = @Attempt
            """, "NotBefore", "Error", "At", "MsgId", "Attempt");
        await using var update = new RepeatedStatement(c, tx,
            """
            UPDATE mm_msg_records
            SET status = @Status, attempts = @Attempt, last_error = @Error, modify_time = @At,
                retry_count = @RetryCount, provider_msg_id = @ProviderMessageId,
                sent_time = CASE WHEN @Status = 2 THEN @At ELSE sent_time END,
                not_before = @NotBefore, queued = CASE WHEN @Status = 4 THEN 0 ELSE 1 END, lease_until = 0, claim_token = ''
            WHERE msg_id = @MsgId AND status IN (1, 4) AND attempts < @Attempt
            """, "Status", "Attempt", "Error", "At", "RetryCount", "ProviderMessageId", "NotBefore", "MsgId");
        await using var attempt = new RepeatedStatement(c, tx,
            """
            INSERT INTO mm_msg_attempts (msg_id, attempt, at, channel, provider, outcome, error, duration_ms, node, retry_at, provider_msg_id)
            VALUES (@MsgId, @Attempt, @At, @Channel, @Provider, @Outcome, @Error, @DurationMs, @Node, @RetryAt, @ProviderMessageId)
            """, "MsgId", "Attempt", "At", "Channel", "Provider", "Outcome", "Error", "DurationMs", "Node", "RetryAt", "ProviderMessageId");
        var (insert, suffix) = db.InsertIgnore;
        await using var deadLetter = new RepeatedStatement(c, tx,
            $"{insert} mm_dead_letters (msg_id, at, channel, error) VALUES (@MsgId, @At, @Channel, @Error){suffix}",
            "MsgId", "At", "Channel", "Error");
        foreach (var o in outcomes)
        {
            if (o.Deferred)
            {
                // Back to the queue at the provider's next slot: no attempt was made, nothing of the budget is spent.
                await defer.ExecuteAsync(ct, o.NotBefore, o.Error, o.At, o.MsgId, o.Attempt);
                continue;
            }
            var updated = await update.ExecuteAsync(ct,
                o.Status, o.Attempt, o.Error, o.At, o.RetryCount, o.ProviderMessageId, o.NotBefore, o.MsgId);
            if (updated == 0)
            {
                continue;
            }
            foreach (var a in AttemptRowsOf(o))
            {
                await attempt.ExecuteAsync(ct, a.MsgId, a.Attempt, a.At, a.Channel, a.Provider, a.Outcome, a.Error, a.DurationMs, a.Node,
                    a.RetryAt, a.ProviderMsgId);
            }
            if (o.Status == MessageStatus.Failed)
            {
                await deadLetter.ExecuteAsync(ct, o.MsgId, o.At, o.Channel, o.Error);
            }
        }
        await w.CommitAsync(ct);
    }

    /// <summary>
    /// The attempt history rows of an outcome: the provider calls that failed over before the last one (numbered before
    /// it), then the last; a retry keeps the not-before time its policy chose.
    /// </summary>
    private static IEnumerable<AttemptRow> AttemptRowsOf(DeliveryOutcome o)
    {
        var failedOver = o.FailedOver ?? [];
        for (var i = 0; i < failedOver.Count; i++)
        {
            var t = failedOver[i];
            yield return new AttemptRow
            {
                MsgId = o.MsgId, Attempt = o.Attempt - failedOver.Count + i, At = o.At, Channel = o.Channel, Provider = t.Provider,
                Outcome = MessageStatus.Retrying, Error = t.Error, DurationMs = t.DurationMs, Node = o.Node,
            };
        }
        yield return new AttemptRow
        {
            MsgId = o.MsgId, Attempt = o.Attempt, At = o.At, Channel = o.Channel, Provider = o.Provider, Outcome = o.Status, Error = o.Error,
            DurationMs = o.DurationMs, Node = o.Node, RetryAt = o.Status == MessageStatus.Retrying ? o.NotBefore : 0L, ProviderMsgId = o.ProviderMessageId,
        };
    }

    /// <summary>
    /// PostgreSQL, a batch of distinct messages: each statement runs once for the whole batch over arrays (unnest)
    /// instead of once per row — the per-row outcome update was a sixth of the server's statement time in the
    /// profile (bench/README.md). The conditions are the per-row statements' own; which records the update changed
    /// (RETURNING) decides whose attempts and dead letters are written. With one message twice in a batch (a
    /// redelivered job) the order of its outcomes matters, and the per-row path takes the batch.
    /// </summary>
    private static async Task ApplyDistinctOutcomesAsArraysAsync(DbConnection c, DbTransaction tx, IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken ct)
    {
        var deferred = outcomes.Where(o => o.Deferred).ToList();
        if (deferred.Count > 0)
        {
            // Back to the queue at the provider's next slot: no attempt was made, nothing of the budget is spent.
            await c.ExecuteAsync(new CommandDefinition(
                """
                UPDATE mm_msg_records AS r
                SET not_before = v.not_before, last_error = v.error, modify_time = v.at, queued = 0, lease_until = 0, claim_token = ''
                FROM unnest(@ids, @notBefores, @errors, @ats, @attempts) AS v(msg_id, not_before, error, at, attempt)
                WHERE r.msg_id = v.msg_id AND r.status IN (1, 4) AND r.attempts = v.attempt
                """,
                new
                {
                    ids = deferred.Select(o => o.MsgId).ToArray(), notBefores = deferred.Select(o => o.NotBefore).ToArray(),
                    errors = deferred.Select(o => o.Error).ToArray(), ats = deferred.Select(o => o.At).ToArray(),
                    attempts = deferred.Select(o => o.Attempt).ToArray(),
                }, tx, cancellationToken: ct));
        }
        var made = outcomes.Where(o => !o.Deferred).ToList();
        if (made.Count == 0)
        {
            return;
        }
        var changed = (await c.QueryAsync<string>(new CommandDefinition(
            """
            UPDATE mm_msg_records AS r
            SET status = v.status, attempts = v.attempt, last_error = v.error, modify_time = v.at, retry_count = v.retry_count,
                provider_msg_id = v.provider_msg_id, sent_time = CASE WHEN v.status = 2 THEN v.at ELSE r.sent_time END,
                not_before = v.not_before, queued = CASE WHEN v.status = 4 THEN 0 ELSE 1 END, lease_until = 0, claim_token = ''
            FROM unnest(@ids, @statuses, @attempts, @errors, @ats, @retryCounts, @providerIds, @notBefores)
                 AS v(msg_id, status, attempt, error, at, retry_count, provider_msg_id, not_before)
            WHERE r.msg_id = v.msg_id AND r.status IN (1, 4) AND r.attempts < v.attempt
            RETURNING r.msg_id
            """,
            new
            {
                ids = made.Select(o => o.MsgId).ToArray(), statuses = made.Select(o => o.Status).ToArray(),
                attempts = made.Select(o => o.Attempt).ToArray(), errors = made.Select(o => o.Error).ToArray(),
                ats = made.Select(o => o.At).ToArray(), retryCounts = made.Select(o => o.RetryCount).ToArray(),
                providerIds = made.Select(o => o.ProviderMessageId).ToArray(), notBefores = made.Select(o => o.NotBefore).ToArray(),
            }, tx, cancellationToken: ct))).ToHashSet();
        var applied = made.Where(o => changed.Contains(o.MsgId)).ToList();
        var rows = applied.SelectMany(AttemptRowsOf).ToList();
        if (rows.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO mm_msg_attempts (msg_id, attempt, at, channel, provider, outcome, error, duration_ms, node, retry_at, provider_msg_id)
                SELECT * FROM unnest(@ids, @attempts, @ats, @channels, @providers, @outcomes, @errors, @durations, @nodes, @retryAts, @providerIds)
                """,
                new
                {
                    ids = rows.Select(a => a.MsgId).ToArray(), attempts = rows.Select(a => a.Attempt).ToArray(), ats = rows.Select(a => a.At).ToArray(),
                    channels = rows.Select(a => a.Channel).ToArray(), providers = rows.Select(a => a.Provider).ToArray(),
                    outcomes = rows.Select(a => a.Outcome).ToArray(), errors = rows.Select(a => a.Error).ToArray(),
                    durations = rows.Select(a => a.DurationMs).ToArray(), nodes = rows.Select(a => a.Node).ToArray(),
                    retryAts = rows.Select(a => a.RetryAt).ToArray(), providerIds = rows.Select(a => a.ProviderMsgId).ToArray(),
                }, tx, cancellationToken: ct));
        }
        var dead = applied.Where(o => o.Status == MessageStatus.Failed).ToList();
        if (dead.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO mm_dead_letters (msg_id, at, channel, error)
                SELECT * FROM unnest(@ids, @ats, @channels, @errors) ON CONFLICT DO NOTHING
                """,
                new
                {
                    ids = dead.Select(o => o.MsgId).ToArray(), ats = dead.Select(o => o.At).ToArray(),
                    channels = dead.Select(o => o.Channel).ToArray(), errors = dead.Select(o => o.Error).ToArray(),
                }, tx, cancellationToken: ct));
        }
    }

    /// <summary>Cancels a message that has not been delivered yet. False when it is already final or unknown.</summary>
    public async Task<bool> CancelAsync(string msgId, long now, CancellationToken ct = default)
    {
        return await ExecuteWriteAsync(
            "UPDATE mm_msg_records SET status = 5, queued = 1, modify_time = @now, last_error = 'cancelled' WHERE msg_id = @msgId AND status IN (1, 4, 6)",
            new { msgId, now }, ct) == 1;
    }

    /// <summary>A future send's firing: its scheduled records become pending, due now. Cancelled ones stay cancelled.</summary>
    public async Task<int> ReleaseBatchAsync(string batchId, long now, CancellationToken ct = default)
    {
        return await ExecuteWriteAsync(
            "UPDATE mm_msg_records SET status = 1, not_before = @now, queued = 0, modify_time = @now WHERE batch_id = @batchId AND status = 6",
            new { batchId, now }, ct);
    }

    /// <summary>A future send's schedule was cancelled: so are its records still waiting.</summary>
    public async Task<int> CancelScheduledAsync(string scheduleId, long now, CancellationToken ct = default)
    {
        return await ExecuteWriteAsync(
            "UPDATE mm_msg_records SET status = 5, queued = 1, modify_time = @now, last_error = 'cancelled' WHERE schedule_id = @scheduleId AND status = 6",
            new { scheduleId, now }, ct);
    }

    /// <summary>
    /// A failed record re-driven: pending and due now, not queued and not leased, with a fresh retry budget. Attempt
    /// numbers keep counting (the history is kept); the retry budget starts again from here.
    /// </summary>
    private const string RedriveAssignments =
        "status = 1, retry_count = 0, not_before = @now, queued = 0, lease_until = 0, claim_token = '', modify_time = @now";

    /// <summary>Re-drives failed messages (one, or a whole batch): pending again, a fresh round of attempts.</summary>
    /// <param name="sourceOnly">Only records of this source (a key's own); null: any source.</param>
    public async Task<int> ResendAsync(string? msgId, string? batchId, long now, string? sourceOnly = null, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var (c, tx) = (w.Connection, w.Transaction);
        var filter = (msgId is not null ? "msg_id = @msgId" : "batch_id = @batchId") + (sourceOnly is null ? "" : " AND source_id = @sourceOnly");
        var args = new { msgId, batchId, now, sourceOnly };
        var count = await c.ExecuteAsync(new CommandDefinition(
            $"UPDATE mm_msg_records SET {RedriveAssignments} WHERE {filter} AND status = 3", args, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM mm_dead_letters WHERE msg_id IN (SELECT msg_id FROM mm_msg_records WHERE {filter} AND status = 1)",
            args, tx, cancellationToken: ct));
        await w.CommitAsync(ct);
        return count;
    }

    /// <summary>
    /// Outbox: records due but not yet handed to the queue (new, retrying, re-driven), high priority first, then
    /// oldest due first within a priority — a backlog of low never holds back a high message here either.
    /// </summary>
    public async Task<IReadOnlyList<(QueueLane Lane, DeliveryJob Job)>> TakeUnqueuedAsync(long now, int limit, CancellationToken ct = default)
    {
        var taken = new List<(QueueLane, DeliveryJob)>();
        await using var c = await db.OpenAsync(ct);
        foreach (var priority in new[] { MessagePriority.High, MessagePriority.Medium, MessagePriority.Low })
        {
            if (taken.Count >= limit)
            {
                break;
            }
            var rows = await c.QueryAsync<(string MsgId, int Priority, int Channel, int Attempts, int Status, long NotBefore)>(new CommandDefinition(
                """
                SELECT msg_id, priority, channel, attempts, status, not_before FROM mm_msg_records
                WHERE queued = 0 AND priority = @priority AND not_before <= @now AND status IN (1, 4)
                ORDER BY not_before LIMIT @limit
                """, new { now, priority, limit = limit - taken.Count }, cancellationToken: ct));
            taken.AddRange(rows.Select(r => (r.Status == MessageStatus.Retrying ? QueueLane.Retry : (QueueLane)r.Priority,
                new DeliveryJob(r.MsgId, r.Priority, r.Channel, r.Attempts + 1, r.NotBefore))));
        }
        return taken;
    }

    /// <summary>
    /// Outbox: marks published jobs queued, only where the record is still at the attempt the job carries. A job can
    /// be consumed and its attempt's outcome written (queued = 0, attempts + 1, maybe a retry due) before the relay
    /// gets the publish acknowledgement and marks it; an unconditional mark would then hide the next attempt from
    /// <see cref="TakeUnqueuedAsync"/> for good.
    /// </summary>
    public async Task MarkQueuedAsync(IReadOnlyCollection<DeliveryJob> published, CancellationToken ct = default)
    {
        await using var w = await db.BeginWriteAsync(WriteUrgency.Delivery, ct);
        if (db.Provider == SqlProvider.Sqlite)
        {
            // In-process, one prepared statement per row: an IN list of thousands of ids would bind thousands of
            // parameters by name on every batch.
            await using var mark = new RepeatedStatement(w.Connection, w.Transaction,
                "UPDATE mm_msg_records SET queued = 1 WHERE msg_id = @msgId AND attempts = @attempts AND status IN (1, 4)",
                "msgId", "attempts");
            foreach (var job in published)
            {
                await mark.ExecuteAsync(ct, job.MsgId, job.Attempt - 1);
            }
        }
        else
        {
            // A server: one round trip per attempt number, not per row.
            foreach (var jobs in published.GroupBy(j => j.Attempt))
            {
                await w.Connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE mm_msg_records SET queued = 1 WHERE {db.InList("msg_id", "ids")} AND attempts = @attempts AND status IN (1, 4)",
                    new { ids = jobs.Select(j => j.MsgId).ToArray(), attempts = jobs.Key - 1 }, w.Transaction, cancellationToken: ct));
            }
        }
        await w.CommitAsync(ct);
    }

    /// <summary>
    /// SQL queue: claims up to <paramref name="limit"/> due records of a lane with a lease. A crashed consumer's
    /// lease runs out and its records come back. Safe between nodes: the lease conditions are checked again by
    /// the UPDATE itself, so two claimers never both win a row.
    /// </summary>
    /// <param name="claimant">The token's prefix: who claims (<see cref="Queue.Sql.LeaseOwners"/>).</param>
    public async Task<IReadOnlyList<DeliveryJob>> ClaimAsync(
        QueueLane lane, long now, int limit, TimeSpan lease, string claimant = "", CancellationToken ct = default)
    {
        var token = claimant.Length == 0 ? Guid.NewGuid().ToString() : Queue.Sql.LeaseOwners.NewToken(claimant);
        var laneFilter = lane == QueueLane.Retry ? "status = 4" : "status = 1 AND priority = @priority";
        var args = new { now, limit, token, until = now + (long)lease.TotalMilliseconds, priority = (int)lane };
        await using var w = await db.BeginWriteAsync(WriteUrgency.Delivery, ct);
        var c = w.Connection;
        var claimed = await c.ExecuteAsync(new CommandDefinition(
            $"""
             UPDATE mm_msg_records SET lease_until = @until, claim_token = @token
             WHERE msg_id IN (SELECT msg_id FROM (
                 SELECT msg_id FROM mm_msg_records WHERE {laneFilter} AND not_before <= @now AND lease_until < @now
                 ORDER BY not_before LIMIT @limit) AS due)
               AND {laneFilter} AND lease_until < @now
             """, args, w.Transaction, cancellationToken: ct));
        if (claimed == 0)
        {
            return [];
        }
        var rows = await c.QueryAsync<(string MsgId, int Priority, int Channel, int Attempts, long NotBefore)>(new CommandDefinition(
            "SELECT msg_id, priority, channel, attempts, not_before FROM mm_msg_records WHERE claim_token = @token ORDER BY not_before",
            args, w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
        return rows.Select(r => new DeliveryJob(r.MsgId, r.Priority, r.Channel, r.Attempts + 1, r.NotBefore)).ToList();
    }

    /// <summary>
    /// SQL queue: gives back the leases the release covers (<see cref="Queue.Sql.LeaseRelease.Covers"/>): their records
    /// are claimable at once. Only for claimants known dead.
    /// </summary>
    public async Task<int> ReleaseLeasesAsync(Queue.Sql.LeaseRelease release, CancellationToken ct = default)
    {
        var (prefix, except) = release;
        var exceptFilter = except is null ? "" : " AND SUBSTR(claim_token, 1, @exceptLength) <> @except";
        return await ExecuteWriteAsync(
            $"""
             UPDATE mm_msg_records SET lease_until = 0, claim_token = ''
             WHERE status IN (1, 4) AND lease_until > 0 AND SUBSTR(claim_token, 1, @prefixLength) = @prefix{exceptFilter}
             """,
            new { prefix, prefixLength = prefix.Length, except = except ?? "", exceptLength = except?.Length ?? 0 }, ct);
    }

    /// <summary>The error a record of an erased person keeps when it was still waiting to be sent.</summary>
    public const string ErasedRecipientError = "cancelled: the recipient was erased";

    /// <summary>
    /// The records part of erasing a person: every record of the user (by user_id) keeps its address only masked
    /// (<see cref="Common.PersonalData"/>), loses its rendered subject and body and its template data, and the errors of
    /// the record, its attempts and its dead letter are scrubbed once more. A record not yet sent is cancelled (its
    /// masked address must never be delivered to). In pages of <paramref name="pageSize"/> records, one transaction
    /// each: a person with a long history does not hold the write lock for long. Repeating it changes nothing more.
    /// Not reached: records sent to the person's address directly (<c>to</c>, without user_id), and an attempt under
    /// way on another node at this moment, which still goes out to the address it loaded.
    /// </summary>
    public async Task<RecipientErasure> EraseRecipientAsync(string userId, long now, int pageSize = 500, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var (records, cancelled) = (0, 0);
        var after = "";
        while (true)
        {
            await using var w = await db.BeginWriteAsync(ct: ct);
            var (c, tx) = (w.Connection, w.Transaction);
            var rows = (await c.QueryAsync<(string MsgId, int Channel, string ToAddr, int Status, string LastError)>(new CommandDefinition(
                """
                SELECT msg_id, channel, to_addr, status, last_error FROM mm_msg_records
                WHERE user_id = @userId AND msg_id > @after ORDER BY msg_id LIMIT @pageSize
                """, new { userId, after, pageSize }, tx, cancellationToken: ct))).ToList();
            if (rows.Count == 0)
            {
                break;
            }
            var addresses = rows.ToDictionary(r => r.MsgId, r => r.ToAddr);
            // last_error before status: MySQL assigns left to right, so the CASE must see the status as it was.
            await using (var record = new RepeatedStatement(c, tx,
                """
                UPDATE mm_msg_records
                SET to_addr = @to, subject = '', body = '', template_data = '{}',
                    last_error = CASE WHEN status IN (1, 4, 6) THEN @cancelled ELSE @error END,
                    status = CASE WHEN status IN (1, 4, 6) THEN 5 ELSE status END,
                    modify_time = @now
                WHERE msg_id = @msgId
                """, "to", "cancelled", "error", "now", "msgId"))
            {
                foreach (var r in rows)
                {
                    await record.ExecuteAsync(ct, Common.PersonalData.Mask((Common.Channel)r.Channel, r.ToAddr), ErasedRecipientError,
                        Common.PersonalData.Scrub(r.LastError, 1000, r.ToAddr), now, r.MsgId);
                }
            }
            var ids = rows.Select(r => r.MsgId).ToArray();
            var attempts = await c.QueryAsync<(string MsgId, int Attempt, string Error)>(new CommandDefinition(
                $"SELECT msg_id, attempt, error FROM mm_msg_attempts WHERE {db.InList("msg_id", "ids")} AND error <> ''",
                new { ids }, tx, cancellationToken: ct));
            await using (var attempt = new RepeatedStatement(c, tx,
                "UPDATE mm_msg_attempts SET error = @error WHERE msg_id = @msgId AND attempt = @attempt", "error", "msgId", "attempt"))
            {
                foreach (var a in attempts)
                {
                    await attempt.ExecuteAsync(ct, Common.PersonalData.Scrub(a.Error, 1000, addresses[a.MsgId]), a.MsgId, a.Attempt);
                }
            }
            var deadLetters = await c.QueryAsync<(string MsgId, string Error)>(new CommandDefinition(
                $"SELECT msg_id, error FROM mm_dead_letters WHERE {db.InList("msg_id", "ids")}", new { ids }, tx, cancellationToken: ct));
            await using (var deadLetter = new RepeatedStatement(c, tx,
                "UPDATE mm_dead_letters SET error = @error WHERE msg_id = @msgId", "error", "msgId"))
            {
                foreach (var d in deadLetters)
                {
                    await deadLetter.ExecuteAsync(ct, Common.PersonalData.Scrub(d.Error, 1000, addresses[d.MsgId]), d.MsgId);
                }
            }
            await w.CommitAsync(ct);
            records += rows.Count;
            cancelled += rows.Count(r => r.Status is MessageStatus.Pending or MessageStatus.Retrying or MessageStatus.Scheduled);
            if (rows.Count < pageSize)
            {
                break;
            }
            after = rows[^1].MsgId;
        }
        return new RecipientErasure(records, cancelled);
    }

    /// <summary>One write statement in its own transaction, in its turn at the write lock.</summary>
    /// <summary>
    /// Per lane, what the queue holds at <paramref name="now"/> (<see cref="LaneBacklog"/>): one grouped scan of the open
    /// records (pending and retrying; scheduled ones belong to their schedule, not to a lane yet).
    /// </summary>
    public async Task<IReadOnlyList<LaneBacklog>> LaneBacklogAsync(long now, int? commandTimeoutSeconds = null, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<BacklogRow>(new CommandDefinition(
            """
            SELECT status, priority,
                   COUNT(CASE WHEN not_before <= @now AND lease_until < @now THEN 1 END) AS due,
                   COUNT(CASE WHEN not_before <= @now AND lease_until >= @now THEN 1 END) AS leased,
                   COUNT(CASE WHEN not_before > @now THEN 1 END) AS waiting,
                   COUNT(CASE WHEN not_before <= @now AND queued = 0 THEN 1 END) AS unpublished,
                   MIN(CASE WHEN not_before <= @now AND lease_until < @now THEN not_before END) AS oldest_due,
                   MIN(CASE WHEN not_before > @now THEN not_before END) AS next_waiting
            FROM mm_msg_records WHERE status IN (@pending, @retrying)
            GROUP BY status, priority
            """,
            new { now, pending = MessageStatus.Pending, retrying = MessageStatus.Retrying },
            commandTimeout: commandTimeoutSeconds, cancellationToken: ct));
        var lanes = Enum.GetValues<QueueLane>().ToDictionary(l => l, l => new LaneBacklog(l, 0, 0, 0, 0, null, null));
        foreach (var r in rows)
        {
            var lane = r.Status == MessageStatus.Retrying ? QueueLane.Retry : (QueueLane)(int)r.Priority;
            if (lanes.TryGetValue(lane, out var sum))
            {
                lanes[lane] = new LaneBacklog(lane, sum.Due + r.Due, sum.Leased + r.Leased, sum.Waiting + r.Waiting, sum.Unpublished + r.Unpublished,
                    Earliest(sum.OldestDue, r.OldestDue), Earliest(sum.NextWaiting, r.NextWaiting));
            }
        }
        return [.. lanes.Values.OrderByDescending(l => l.Lane == QueueLane.Retry ? 0 : (int)l.Lane)];
    }

    private static long? Earliest(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>The dead letters the filter selects, newest first: messages failed for good that were not re-driven since.</summary>
    public async Task<Page<DeadLetter>> DeadLettersAsync(DeadLetterFilter filter, PageRequest paging, CancellationToken ct = default)
    {
        var (where, args) = DeadLetterWhere(filter);
        await using var c = await db.OpenAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM mm_dead_letters d JOIN mm_msg_records r ON r.msg_id = d.msg_id {where}", args, cancellationToken: ct));
        args.Add("take", paging.PageSize);
        args.Add("skip", paging.Skip);
        var rows = await c.QueryAsync<DeadLetterRow>(new CommandDefinition(
            $"""
             SELECT d.msg_id, d.at, d.channel, r.priority, r.attempts, d.error, r.source_id, r.batch_id
             FROM mm_dead_letters d JOIN mm_msg_records r ON r.msg_id = d.msg_id {where}
             ORDER BY d.at DESC, d.msg_id DESC LIMIT @take OFFSET @skip
             """, args, cancellationToken: ct));
        return new Page<DeadLetter>(
            [.. rows.Select(r => new DeadLetter(r.MsgId, r.At, r.Channel, r.Priority, r.Attempts, r.Error, r.SourceId, r.BatchId))], total);
    }

    /// <summary>
    /// Re-drives up to <paramref name="limit"/> of the dead letters the filter selects, oldest first, in one transaction:
    /// their records pending again with a fresh retry budget (as <see cref="ResendAsync"/>), their dead letters gone.
    /// Answers how many were re-driven and how many the filter still selects.
    /// </summary>
    public async Task<(int Redriven, long Remaining)> RedriveDeadLettersAsync(DeadLetterFilter filter, int limit, long now, CancellationToken ct = default)
    {
        var (where, args) = DeadLetterWhere(filter);
        args.Add("limit", limit);
        args.Add("now", now);
        await using var w = await db.BeginWriteAsync(ct: ct);
        var (c, tx) = (w.Connection, w.Transaction);
        var ids = (await c.QueryAsync<string>(new CommandDefinition(
            $"SELECT d.msg_id FROM mm_dead_letters d JOIN mm_msg_records r ON r.msg_id = d.msg_id {where} ORDER BY d.at, d.msg_id LIMIT @limit",
            args, tx, cancellationToken: ct))).ToArray();
        var count = 0;
        if (ids.Length > 0)
        {
            var chosen = new { ids, now };
            count = await c.ExecuteAsync(new CommandDefinition(
                $"UPDATE mm_msg_records SET {RedriveAssignments} WHERE {db.InList("msg_id", "ids")} AND status = 3", chosen, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM mm_dead_letters WHERE {db.InList("msg_id", "ids")}", chosen, tx, cancellationToken: ct));
        }
        var remaining = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM mm_dead_letters d JOIN mm_msg_records r ON r.msg_id = d.msg_id {where}", args, tx, cancellationToken: ct));
        await w.CommitAsync(ct);
        return (count, remaining);
    }

    /// <summary>The WHERE of a dead-letter selection; only letters whose record is still failed (a re-driven one is not).</summary>
    private (string Where, DynamicParameters Args) DeadLetterWhere(DeadLetterFilter f)
    {
        var filter = new SqlFilter("r.status = @failed")
            .Add(f.Channel, "d.channel = @channel", "channel")
            .Add(f.From, "d.at >= @from", "from")
            .Add(f.Until, "d.at <= @until", "until")
            .Add(f.SourceOnly, "r.source_id = @sourceOnly", "sourceOnly");
        filter.Args.Add("failed", MessageStatus.Failed);
        if (f.MsgIds is { Count: > 0 } ids)
        {
            filter.Add(ids.ToArray(), db.InList("d.msg_id", "ids"), "ids");
        }
        return (filter.ToString(), filter.Args);
    }

    private async Task<int> ExecuteWriteAsync(string sql, object args, CancellationToken ct)
    {
        await using var w = await db.BeginWriteAsync(ct: ct);
        var count = await w.Connection.ExecuteAsync(new CommandDefinition(sql, args, w.Transaction, cancellationToken: ct));
        await w.CommitAsync(ct);
        return count;
    }

    /// <summary>Counts by time bucket (hour or day in the given zone offset), status, channel and priority.</summary>
    public async Task<IReadOnlyList<StatisticsRow>> StatisticsAsync(
        long from, long until, bool byDay, TimeSpan zoneOffset, string? sourceOnly = null, CancellationToken ct = default)
    {
        var size = byDay ? 86_400_000L : 3_600_000L;
        var offset = (long)zoneOffset.TotalMilliseconds;
        var bucket = $"{db.IntDiv("create_time + @offset", "@size")} * @size - @offset";
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long Bucket, int Status, int Channel, int Priority, long Count)>(new CommandDefinition(
            $"""
             SELECT {bucket} AS bucket, status, channel, priority, COUNT(*) AS cnt FROM mm_msg_records
             WHERE create_time >= @from AND create_time < @until{(sourceOnly is null ? "" : " AND source_id = @sourceOnly")}
             GROUP BY {bucket}, status, channel, priority ORDER BY bucket, status, channel, priority
             """, new { from, until, size, offset, sourceOnly }, cancellationToken: ct));
        return rows.Select(r => new StatisticsRow(r.Bucket, r.Status, r.Channel, r.Priority, r.Count)).ToList();
    }

    private sealed class BacklogRow
    {
        public long Status { get; set; }
        public long Priority { get; set; }
        public long Due { get; set; }
        public long Leased { get; set; }
        public long Waiting { get; set; }
        public long Unpublished { get; set; }
        public long? OldestDue { get; set; }
        public long? NextWaiting { get; set; }
    }

    private sealed class DeadLetterRow
    {
        public string MsgId { get; set; } = "";
        public long At { get; set; }
        public int Channel { get; set; }
        public int Priority { get; set; }
        public int Attempts { get; set; }
        public string Error { get; set; } = "";
        public string SourceId { get; set; } = "";
        public string BatchId { get; set; } = "";
    }

    private sealed class RecordRow
    {
        public string MsgId { get; set; } = "";
        public string BatchId { get; set; } = "";
        public string SourceId { get; set; } = "";
        public string ScheduleId { get; set; } = "";
        public string ToAddr { get; set; } = "";
        public string UserId { get; set; } = "";
        public int Channel { get; set; }
        public int Priority { get; set; }
        public string TemplateId { get; set; } = "";
        public string TemplateData { get; set; } = "{}";
        public string Subject { get; set; } = "";
        public string Body { get; set; } = "";
        public int IsHtml { get; set; }
        public string SignName { get; set; } = "";
        public string ProviderTemplateId { get; set; } = "";
        public int Status { get; set; }
        public int Attempts { get; set; }
        public int RetryCount { get; set; }
        public string LastError { get; set; } = "";
        public long NotBefore { get; set; }
        public int Queued { get; set; }
        public long CreateTime { get; set; }
        public long ModifyTime { get; set; }
        public long SentTime { get; set; }
        public string ProviderMsgId { get; set; } = "";

        public MessageRecord ToRecord() => new()
        {
            MsgId = MsgId, BatchId = BatchId, SourceId = SourceId, ScheduleId = ScheduleId, To = ToAddr, UserId = UserId,
            Channel = Channel, Priority = Priority, TemplateId = TemplateId, TemplateData = TemplateData, Subject = Subject,
            Body = Body, IsHtml = IsHtml != 0, SignName = SignName, ProviderTemplateId = ProviderTemplateId, Status = Status,
            Attempts = Attempts, RetryCount = RetryCount, LastError = LastError, NotBefore = NotBefore,
            CreateTime = CreateTime, ModifyTime = ModifyTime, SentTime = SentTime, ProviderMessageId = ProviderMsgId,
        };
    }

    private sealed class AttemptRow
    {
        public string MsgId { get; set; } = "";
        public int Attempt { get; set; }
        public long At { get; set; }
        public int Channel { get; set; }
        public string Provider { get; set; } = "";
        public int Outcome { get; set; }
        public string Error { get; set; } = "";
        public int DurationMs { get; set; }
        public string Node { get; set; } = "";
        public long RetryAt { get; set; }
        public string ProviderMsgId { get; set; } = "";
    }
}
