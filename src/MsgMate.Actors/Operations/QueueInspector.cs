using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue;
using MsgMate.Actors.Queue.Kafka;

namespace MsgMate.Actors.Operations;

/// <summary>One lane as the operator sees it: what the record store holds for it and, on Kafka, its group's consumer lag.</summary>
public sealed record LaneReport(LaneBacklog Backlog, LaneLag? Lag);

/// <summary>
/// The delivery queue at <paramref name="At"/> (Unix milliseconds): <paramref name="Queue"/> is <c>sql</c> or <c>kafka</c>;
/// on Kafka <paramref name="LagProblem"/> says why the brokers gave no lag (the lanes' store figures stand without it).
/// </summary>
public sealed record QueueReport(string Queue, long At, IReadOnlyList<LaneReport> Lanes, string? LagProblem);

/// <summary>
/// Answers <c>msgmate queue lag</c>: per lane the records due and not claimed (the SQL queue's depth), those claimed
/// under a live lease (in flight), those waiting for a later time (retries in their backoff), those due but not handed
/// to Kafka yet (the outbox backlog), and on Kafka the consumer lag from the brokers. Read-only: one grouped query on
/// the record store and, on Kafka, one offset fetch per lane.
/// </summary>
/// <param name="kafka">The node's lag probe in Kafka mode; none on the SQL queue.</param>
public sealed class QueueInspector(RecordStore records, TimeProvider clock, KafkaLagProbe? kafka = null)
{
    public async Task<QueueReport> InspectAsync(TimeSpan timeout, CancellationToken ct)
    {
        var at = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var backlogs = await records.LaneBacklogAsync(at, (int)Math.Ceiling(timeout.TotalSeconds), ct);
        if (kafka is null)
        {
            return new QueueReport("sql", at, [.. backlogs.Select(b => new LaneReport(b, null))], null);
        }
        IReadOnlyList<LaneLag>? lags = null;
        string? problem = null;
        try
        {
            lags = await kafka.LagAsync(timeout, ct);
        }
        catch (Confluent.Kafka.KafkaException ex)
        {
            problem = $"the brokers gave no consumer lag: {ex.Message}";
        }
        return new QueueReport("kafka", at,
            [.. backlogs.Select(b => new LaneReport(b, lags?.SingleOrDefault(l => l.Lane == b.Lane)))], problem);
    }
}
