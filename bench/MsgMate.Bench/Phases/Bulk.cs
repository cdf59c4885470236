using System.Collections.Concurrent;
using System.Text;

namespace MsgMate.Bench.Phases;

/// <summary>Bulk sends: many send_msg requests of up to 1,000 webhook recipients each, from a few concurrent submitters.</summary>
public static class Bulk
{
    /// <summary>One answered request: when it was sent and answered (harness seconds) and the ids it got.</summary>
    public sealed record Accepted(double SentAt, double AnsweredAt, IReadOnlyList<string> MsgIds);

    public sealed record Outcome(IReadOnlyList<Accepted> Accepted, int Failed, string? FirstError)
    {
        public int Messages => Accepted.Sum(a => a.MsgIds.Count);

        public double FirstAccept => Accepted.Min(a => a.AnsweredAt);

        public double LastAccept => Accepted.Max(a => a.AnsweredAt);

        public double FirstSent => Accepted.Min(a => a.SentAt);
    }

    /// <summary>JSON of a webhook send to recipients <paramref name="from"/>..from+count-1 of a sink tag.</summary>
    public static string Body(HttpSink sink, string tag, int from, int count, int priority, string content = "x")
    {
        var json = new StringBuilder(count * 48 + 80).Append("{\"to\":[");
        for (var i = 0; i < count; i++)
        {
            json.Append(i == 0 ? "\"" : ",\"").Append(sink.UrlFor(tag, (from + i).ToString())).Append('"');
        }
        return json.Append("],\"channels\":[6],\"content\":\"").Append(content).Append("\",\"priority\":").Append(priority).Append('}').ToString();
    }

    /// <summary>
    /// Sends <paramref name="total"/> recipients in requests of <paramref name="batch"/>, <paramref name="submitters"/>
    /// requests at a time. Bodies are built before the clock starts.
    /// </summary>
    public static async Task<Outcome> SubmitAsync(
        NodeApi api, HttpSink sink, string tag, int total, int batch, int priority, int submitters, string sourceId, int firstRecipient = 0)
    {
        var bodies = new ConcurrentQueue<string>();
        for (var from = 0; from < total; from += batch)
        {
            bodies.Enqueue(Body(sink, tag, firstRecipient + from, Math.Min(batch, total - from), priority));
        }
        var accepted = new ConcurrentBag<Accepted>();
        var failed = 0;
        string? firstError = null;
        await Task.WhenAll(Enumerable.Range(0, submitters).Select(_ => Task.Run(async () =>
        {
            while (bodies.TryDequeue(out var body))
            {
                var sent = BenchClock.Now;
                var answer = await api.SendAsync(body, sourceId, wantIds: true);
                var answered = BenchClock.Now;
                if (answer.Ok && answer.MsgIds is { } ids)
                {
                    accepted.Add(new Accepted(sent, answered, ids));
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"HTTP {answer.Status} code {answer.Code}: {answer.Error}", null);
                }
            }
        })));
        return new Outcome([.. accepted.OrderBy(a => a.AnsweredAt)], failed, firstError);
    }
}
