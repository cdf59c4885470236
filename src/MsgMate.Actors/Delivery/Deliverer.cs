using System.Text.Json;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// Delivers jobs in the steps that the lane streams run as stages: <see cref="LoadAsync"/> (the records of a batch
/// of jobs), <see cref="SendAsync"/> (send, decide) with the lane's parallelism, then <see cref="RecordAsync"/>
/// writing a batch of outcomes at once.
/// A failed attempt is retried after an exponential backoff with jitter while the retry budget lasts (retryable
/// errors only), then it is final <c>failed</c> with the last error and a dead-letter row.
/// </summary>
public sealed class Deliverer
{
    private readonly RecordStore _records;
    private readonly ProviderRouter _providers;
    private readonly IDeliverySignal _signal;
    private readonly DeliveryOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<Deliverer> _log;
    private readonly BatchWriter<DeliveryOutcome> _outcomes;
    private readonly string _node;
    private readonly Observability.MsgMateMetrics _metrics;

    public Deliverer(
        ActorSystem system, RecordStore records, ProviderRouter providers, IDeliverySignal signal,
        DeliveryOptions options, TimeProvider clock, ILogger<Deliverer> log, Observability.MsgMateMetrics metrics)
    {
        _metrics = metrics;
        _records = records;
        _providers = providers;
        _signal = signal;
        _options = options;
        _clock = clock;
        _log = log;
        _node = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        _outcomes = new BatchWriter<DeliveryOutcome>(system, "outcomes", batch => records.ApplyOutcomesAsync(batch), maxItems: 500);
    }

    /// <summary>
    /// What one job came to: its offset, and the outcome to record (none when it was skipped); for the metrics, the
    /// record's priority and accept time and each provider call's outcome (<c>sent</c>, <c>retry</c>, <c>failed</c>).
    /// </summary>
    public sealed record Attempted(
        ICommittableOffset Offset, DeliveryOutcome? Outcome, int Priority = 0, long AcceptedAt = 0,
        IReadOnlyList<(string Provider, string Outcome)>? Calls = null);

    /// <summary>A job and its record as loaded just before the send (null: there is no such record).</summary>
    public sealed record Loaded(CommittableJob Committable, MessageRecord? Record);

    /// <summary>Loads the records of a batch of jobs, in one query.</summary>
    public async Task<IReadOnlyList<Loaded>> LoadAsync(IReadOnlyList<CommittableJob> jobs)
    {
        var ids = jobs.Select(j => j.Job.MsgId).Distinct().ToList();
        var records = await PersistentlyAsync(() => _records.GetManyAsync(ids), "load records");
        var byId = records.ToDictionary(r => r.MsgId);
        return [.. jobs.Select(j => new Loaded(j, byId.GetValueOrDefault(j.Job.MsgId)))];
    }

    /// <summary>
    /// Sends one loaded job: skips it if the record is final or this attempt already happened (a record already
    /// sent is never sent again), sends through the channel actor and decides the outcome. The outcome is written
    /// by <see cref="RecordAsync"/>, in batches, before the offset is committed.
    /// </summary>
    public async Task<Attempted> SendAsync(Loaded loaded)
    {
        var (committable, record) = loaded;
        var job = committable.Job;
        if (record is null || MessageStatus.IsFinal(record.Status) || record.Attempts >= job.Attempt)
        {
            // Already final, or a redelivered copy of an attempt that was made.
            return new Attempted(committable.Offset, null);
        }

        if (PersonalData.IsMasked(record.To))
        {
            // An erased person's record re-driven: its address is only a mask, and a***@example.com is a valid address.
            return new Attempted(committable.Offset, new DeliveryOutcome(
                record.MsgId, record.Attempts + 1, MessageStatus.Failed, _clock.GetUtcNow().ToUnixTimeMilliseconds(), record.Channel, "",
                "the recipient was erased: its address is masked", 0, record.RetryCount, record.NotBefore, _node), record.Priority, record.CreateTime);
        }

        var route = await _providers.SendAsync(ToOutbound(record), _options.AttemptTimeout);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (route.Deferred)
        {
            // Every provider is over its rate: back to the queue at the reserved slot, the send slot is free at once.
            return new Attempted(committable.Offset, new DeliveryOutcome(
                record.MsgId, record.Attempts, record.Status, now, record.Channel, "", "waiting for the provider's rate limit", 0,
                record.RetryCount, route.DeferredUntil, _node, Deferred: true));
        }

        var last = route.Last;
        var (status, retryCount, notBefore) = last.Result switch
        {
            SendResult.Sent => (MessageStatus.Sent, record.RetryCount, record.NotBefore),
            SendResult.RetryableFailure when RetryPolicy.MayRetry(_options.Retry, record.RetryCount) =>
                (MessageStatus.Retrying, record.RetryCount + 1, now + RetryDelayMs(record.RetryCount + 1, last.RetryAfter)),
            _ => (MessageStatus.Failed, record.RetryCount, record.NotBefore),
        };
        // Providers keep personal data out of their errors already; this is the one door into the error columns, so the
        // recipient is masked here once more, whichever provider wrote the text.
        var error = last.Result == SendResult.Sent ? "" : ErrorText(last.Error.Length == 0 ? "unknown error" : last.Error, record.To);
        var failedOver = route.Tries.Count > 1
            ? route.Tries.Take(route.Tries.Count - 1).Select(t => t with { Error = ErrorText(t.Error, record.To) }).ToList()
            : null;
        if (_log.IsEnabled(LogLevel.Debug))
        {
            _log.LogDebug("Message {MsgId} ({Channel} to {To}): {Result} via {Provider} on attempt {Attempt}{Error}",
                record.MsgId, (Channel)record.Channel, PersonalData.Mask((Channel)record.Channel, record.To), last.Result, last.Provider,
                record.Attempts + route.Tries.Count, error.Length == 0 ? "" : ": " + error);
        }
        // Every call but the last failed over (a retryable failure or a backed-off provider); the last one is the outcome.
        var lastCall = status switch { MessageStatus.Sent => "sent", MessageStatus.Retrying => "retry", _ => "failed" };
        var calls = route.Tries.Select((t, i) => (t.Provider, i < route.Tries.Count - 1 ? "retry" : lastCall)).ToList();
        return new Attempted(committable.Offset, new DeliveryOutcome(
            record.MsgId, record.Attempts + route.Tries.Count, status, now, record.Channel, last.Provider, error, last.DurationMs, retryCount,
            notBefore, _node, last.ProviderMessageId, failedOver), record.Priority, record.CreateTime, calls);
    }

    /// <summary>The policy's backoff, or longer when the provider said when to come back (a rate-limit answer).</summary>
    private long RetryDelayMs(int retry, TimeSpan? providerSaid)
    {
        var backoff = RetryPolicy.Backoff(_options.Retry, retry, Random.Shared.NextDouble());
        return (long)(providerSaid is { } said && said > backoff ? said : backoff).TotalMilliseconds;
    }

    /// <summary>
    /// Writes the outcomes of a batch of attempts (one transaction, shared with the other lanes' batches) and only
    /// then hands the batch on to be committed: commit after the record is final or scheduled for its retry.
    /// </summary>
    public async Task<IReadOnlyList<Attempted>> RecordAsync(IReadOnlyList<Attempted> batch)
    {
        var outcomes = batch.Select(a => a.Outcome).OfType<DeliveryOutcome>().ToList();
        if (outcomes.Count == 0)
        {
            return batch;
        }
        await PersistentlyAsync(async () =>
        {
            await _outcomes.WriteAsync(outcomes);
            return true;
        }, "write outcomes");
        Count(batch);
        foreach (var o in outcomes)
        {
            if (o.Deferred || o.Status == MessageStatus.Retrying)
            {
                _signal.RecordsStored(o.NotBefore);
            }
            else if (o.Status == MessageStatus.Failed)
            {
                _log.LogWarning("Message {MsgId} failed after {Attempts} attempt(s): {Error}", o.MsgId, o.Attempt, o.Error);
            }
        }
        return batch;
    }

    /// <summary>
    /// Counted once the outcomes are durable, as they were decided. (An outcome the store no longer applies — the
    /// record was cancelled while its send was under way — is counted all the same: the provider was called.)
    /// </summary>
    private void Count(IReadOnlyList<Attempted> batch)
    {
        foreach (var a in batch)
        {
            if (a.Outcome is not { Deferred: false } o)
            {
                continue;
            }
            foreach (var (provider, outcome) in a.Calls ?? [])
            {
                _metrics.Attempt(o.Channel, provider, outcome);
            }
            if (o.Status == MessageStatus.Retrying)
            {
                _metrics.RetryScheduled(o.Channel);
            }
            else if (o.Status is MessageStatus.Sent or MessageStatus.Failed)
            {
                _metrics.Final(o.Channel, o.Provider, a.Priority, o.Status == MessageStatus.Sent, TimeSpan.FromMilliseconds(o.At - a.AcceptedAt));
            }
        }
    }

    private static OutboundMessage ToOutbound(MessageRecord r) => new(
        r.MsgId, (Channel)r.Channel, r.To, r.Subject, r.Body, r.IsHtml, r.SignName, r.ProviderTemplateId,
        JsonSerializer.Deserialize<Dictionary<string, string>>(r.TemplateData));

    /// <summary>
    /// The record store is the source of truth: while it is unreachable the job waits here (and with it, by
    /// back-pressure, its lane) instead of being dropped or committed unrecorded.
    /// </summary>
    private async Task<T> PersistentlyAsync<T>(Func<Task<T>> action, string what)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                _log.LogWarning("Record store unavailable ({What}): {Error}; retrying in {Delay}", what, ex.GetType().Name, delay);
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(5000, delay.TotalMilliseconds * 2));
            }
        }
    }

    /// <summary>At most 1000 characters (the error columns hold 1024), the recipient and anything address-like masked.</summary>
    private static string ErrorText(string error, string recipient) => PersonalData.Scrub(error, 1000, recipient);
}
