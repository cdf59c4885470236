namespace MsgMate.Bench.Phases;

/// <summary>
/// The intake load: N concurrent clients sending send_msg back to back through one connection pool, a warm-up and
/// then a measured window. The same load drives the node and the bare-Kestrel ceiling, so that their ratio compares
/// like with like.
/// </summary>
public static class IntakeLoad
{
    /// <param name="Latencies">Per request answered with code 0, started and ended inside the window, in ms.</param>
    public sealed record Result(double WindowStart, double WindowEnd, List<double> Latencies, int Errors, int WarmupRequests, string? FirstError);

    public static async Task<Result> RunAsync(BenchOptions options, NodeApi api, Func<int, int, string> body, Action? onWindowStart = null)
    {
        var windowStart = BenchClock.Now + options.IntakeWarmup.TotalSeconds;
        var windowEnd = windowStart + options.IntakeDuration.TotalSeconds;
        var latencies = new List<double>[options.Clients];
        var errors = new int[options.Clients];
        var warmup = new int[options.Clients];
        string? firstError = null;
        var run = Guid.NewGuid().ToString("N")[..8];

        async Task ClientAsync(int c)
        {
            await Task.Yield();
            var mine = latencies[c] = new List<double>(8192);
            for (var seq = 0; ; seq++)
            {
                var sent = BenchClock.Now;
                if (sent >= windowEnd)
                {
                    break;
                }
                var answer = await api.SendAsync(body(c, seq), "bench-intake",
                    idempotencyKey: options.IdempotencyKeys ? $"{run}-{c}-{seq}" : null);
                var answered = BenchClock.Now;
                var inWindow = sent >= windowStart && answered <= windowEnd;
                if (!answer.Ok)
                {
                    if (inWindow)
                    {
                        errors[c]++;
                    }
                    Interlocked.CompareExchange(ref firstError, $"HTTP {answer.Status} code {answer.Code}: {answer.Error}", null);
                }
                else if (inWindow)
                {
                    mine.Add(answered - sent);
                }
                else if (sent < windowStart)
                {
                    warmup[c]++;
                }
            }
        }

        var clients = Enumerable.Range(0, options.Clients).Select(ClientAsync).ToList();
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, windowStart - BenchClock.Now)));
        onWindowStart?.Invoke();
        await Task.WhenAll(clients);
        return new Result(windowStart, windowEnd, [.. latencies.SelectMany(l => l)], errors.Sum(), warmup.Sum(), firstError);
    }
}
