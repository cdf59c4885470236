using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// A client that keeps sending while the cluster changes under it, as a business system with a list of node
/// addresses would: each request goes to the next node; a refused connection or a 503 moves on to the next one (the
/// request is not counted as accepted). Every answer is tallied so that a test can say how the API behaved.
/// </summary>
public sealed class SteadySender : IAsyncDisposable
{
    private readonly Uri[] _nodes;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly ConcurrentBag<string> _accepted = [];
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private int _next;
    private long _requests;

    /// <param name="recipients">Recipients per request (email addresses, channel 1).</param>
    /// <param name="pause">Between one worker's requests: keeps the load steady rather than as fast as possible.</param>
    public SteadySender(IReadOnlyList<Uri> nodes, int workers = 2, int recipients = 5, TimeSpan? pause = null)
    {
        _nodes = [.. nodes];
        var wait = pause ?? TimeSpan.FromMilliseconds(100);
        _workers = Enumerable.Range(0, workers).Select(w => RunAsync(w, recipients, wait)).ToArray();
    }

    /// <summary>Message ids the cluster accepted (answer 200, code 0).</summary>
    public IReadOnlyCollection<string> Accepted => _accepted;

    /// <summary>Answers by kind: "200", "503/8070", "refused" (no connection), "timeout", …</summary>
    public IReadOnlyDictionary<string, int> Answers => _answers;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Answers with a 5xx status other than 503 (a 503 is the retryable refusal of a leaving or busy node).</summary>
    public int ServerErrors => _answers.Where(a => a.Key.StartsWith('5') && !a.Key.StartsWith("503")).Sum(a => a.Value);

    public string Summary => string.Join(", ", _answers.OrderBy(a => a.Key).Select(a => $"{a.Key}: {a.Value}"));

    private async Task RunAsync(int worker, int recipients, TimeSpan pause)
    {
        var ct = _stop.Token;
        for (var n = 0; !ct.IsCancellationRequested; n++)
        {
            var node = _nodes[(int)((uint)Interlocked.Increment(ref _next) % _nodes.Length)];
            var to = Enumerable.Range(0, recipients).Select(i => $"steady{worker}-{n}-{i}@example.com").ToArray();
            var body = JsonSerializer.Serialize(new { to, channels = new[] { 1 }, content = "steady", priority = 1 + n % 3 });
            string kind;
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await _client.PostAsync(new Uri(node, "/msg/send_msg"), content, CancellationToken.None);
                var answer = await Answer.ReadAsync(response);
                kind = answer.Status == 200 ? "200" : $"{answer.Status}/{answer.Code}";
                if (answer.Status == 200 && answer.Code == 0)
                {
                    foreach (var id in answer["msgIDs"].EnumerateArray())
                    {
                        _accepted.Add(id.GetString()!);
                    }
                }
            }
            catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                kind = "refused";
            }
            catch (HttpRequestException)
            {
                // The node went away mid-request (reset, closed): the outcome is unknown, the records may exist.
                kind = "dropped";
            }
            catch (TaskCanceledException)
            {
                kind = "timeout";
            }
            Interlocked.Increment(ref _requests);
            _answers.AddOrUpdate(kind, 1, (_, v) => v + 1);
            try
            {
                await Task.Delay(pause, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops sending and waits for the requests in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
