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
    public static Task<Outcome> SubmitAsync(
        NodeApi api, HttpSink sink, string tag, int total, int batch, int priority, int submitters, string sourceId, int firstRecipient = 0) =>
        SubmitAsync([api], sink, tag, total, batch, priority, submitters, sourceId, firstRecipient);

    /// <summary>
    /// The same over several nodes of one cluster: submitter i starts at node i and moves to the next node after a
    /// request without an answer or with a 503 (a crashed or leaving node), sending that body again there, as a client
    /// behind a load balancer would; a body is given up after one round of every node.
    /// </summary>
    public static async Task<Outcome> SubmitAsync(
        IReadOnlyList<NodeApi> apis, HttpSink sink, string tag, int total, int batch, int priority, int submitters, string sourceId,
        int firstRecipient = 0, Action<int>? onAccepted = null)
    {
        var bodies = new ConcurrentQueue<string>();
        for (var from = 0; from < total; from += batch)
        {
            bodies.Enqueue(Body(sink, tag, firstRecipient + from, Math.Min(batch, total - from), priority));
        }
        var accepted = new ConcurrentBag<Accepted>();
        var failed = 0;
        string? firstError = null;
        var acceptedMessages = 0;
        await Task.WhenAll(Enumerable.Range(0, submitters).Select(submitter => Task.Run(async () =>
        {
            var node = submitter % apis.Count;
            while (bodies.TryDequeue(out var body))
            {
                var sent = BenchClock.Now;
                var answer = await apis[node].SendAsync(body, sourceId, wantIds: true);
                for (var moved = 1; moved < apis.Count && answer.Status is 0 or 503; moved++)
                {
                    node = (node + 1) % apis.Count;
                    answer = await apis[node].SendAsync(body, sourceId, wantIds: true);
                }
                var answered = BenchClock.Now;
                if (answer.Ok && answer.MsgIds is { } ids)
                {
                    accepted.Add(new Accepted(sent, answered, ids));
                    onAccepted?.Invoke(Interlocked.Add(ref acceptedMessages, ids.Count));
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
