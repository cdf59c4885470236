using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Delivery;

/// <summary>
/// Purges expired idempotency keys every <see cref="Interval"/>: a key per keyed send and per schedule firing would
/// otherwise stay for good. In batches of <see cref="Batch"/>, each its own short transaction, so that intake's
/// writers are never held up by one long delete. Every node runs it; a key deleted by two is deleted once.
/// </summary>
public sealed class IdempotencyJanitor(IdempotencyKeys keys, TimeProvider clock, ILogger<IdempotencyJanitor> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    public const int Batch = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, as the gauges: a hand-moved test clock must not stop the purge; the clock says what has expired.
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Idempotency keys not purged this time: {Error}", PersonalData.Describe(ex));
            }
        }
    }

    /// <summary>Deletes every key expired now, batch by batch; how many.</summary>
    public async Task<long> PurgeAsync(CancellationToken ct)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await keys.PurgeExpiredAsync(clock.GetUtcNow().ToUnixTimeMilliseconds(), Batch, ct);
            total += deleted;
        }
        while (deleted >= Batch);
        if (total > 0)
        {
            log.LogInformation("Idempotency keys: {Count} expired ones purged", total);
        }
        return total;
    }
}
