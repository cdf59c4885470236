using System.Diagnostics;
using Akka.Actor;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels;

/// <summary>One provider of a channel's route, as configured: the client and how the router uses it.</summary>
public sealed record ProviderRegistration(IProvider Provider, ProviderPolicy Policy);

/// <summary>One call to one provider within a delivery attempt, for the attempt history.</summary>
public sealed record ProviderTry(string Provider, SendResult Result, string Error, int DurationMs, string ProviderMessageId, TimeSpan? RetryAfter);

/// <summary>
/// What the router did with one message: the providers it called in order (the last one's result decides), or,
/// when every provider is over its rate, the time the message may be tried again (<see cref="DeferredUntil"/>,
/// Unix ms) without any call made.
/// </summary>
public sealed record RouteResult(IReadOnlyList<ProviderTry> Tries, long DeferredUntil)
{
    public bool Deferred => Tries.Count == 0;

    public ProviderTry Last => Tries[^1];
}

/// <summary>
/// The provider layer of a node: for each channel a route of providers (vendor accounts) ordered by priority and,
/// within one priority, shared by weight; per provider its breaker (<see cref="ProviderWorker"/> under a backoff
/// supervisor), its concurrency and its rate (<see cref="RateGate"/>). A message goes to the first provider that
/// may take it now; on a retryable failure, or while a provider is backed off, the next one takes it within the
/// same attempt (failover). A permanent failure does not fail over: the message itself is refused. When every
/// provider is over its rate the message is deferred to the first provider's reserved slot — never waited for,
/// so throttling never holds a lane's send slot that another channel could use.
/// </summary>
public sealed class ProviderRouter : IAsyncDisposable
{
    private sealed record Slot(IProvider Provider, ProviderPolicy Policy, IActorRef Worker, RateGate? Gate);

    private readonly Dictionary<Channel, Slot[]> _routes;

    public ProviderRouter(
        ActorSystem system, IEnumerable<ProviderRegistration> providers, TimeProvider clock, int tripAfter, TimeSpan minBackoff, TimeSpan maxBackoff)
    {
        var byChannel = providers.GroupBy(p => p.Provider.Channel).ToDictionary(g => g.Key, g => g.ToList());
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        _routes = Enum.GetValues<Channel>().ToDictionary(
            c => c,
            c => (byChannel.GetValueOrDefault(c) ?? [new ProviderRegistration(new NotConfiguredProvider(c), new ProviderPolicy())])
                .OrderBy(p => p.Policy.Priority)
                .Select(p =>
                {
                    if (!names.Add($"{c}/{p.Provider.Name}"))
                    {
                        throw new ArgumentException($"two providers of channel {c} are named '{p.Provider.Name}'");
                    }
                    var worker = system.ActorOf(
                        ProviderWorker.SupervisedProps(p.Provider, Math.Max(1, p.Policy.Concurrency), tripAfter, minBackoff, maxBackoff),
                        $"provider-{c.ToString().ToLowerInvariant()}-{Uri.EscapeDataString(p.Provider.Name)}");
                    var gate = p.Policy.RatePerSecond > 0 ? new RateGate(p.Policy.RatePerSecond, p.Policy.Burst, clock) : null;
                    return new Slot(p.Provider, p.Policy, worker, gate);
                })
                .ToArray());
    }

    /// <summary>Closes the providers' connections (SMTP pools, HTTP handlers).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _routes.Values.SelectMany(r => r).Select(s => s.Provider).Distinct())
        {
            switch (provider)
            {
                case IAsyncDisposable async:
                    await async.DisposeAsync();
                    break;
                case IDisposable sync:
                    sync.Dispose();
                    break;
            }
        }
    }

    /// <summary>The providers of a channel's route, in priority order (for the admin API and tests).</summary>
    public IReadOnlyList<string> Route(Channel channel) => _routes[channel].Select(s => s.Provider.Name).ToList();

    /// <summary>Routes one message; each provider call may take up to <paramref name="timeout"/> (then it counts as retryable).</summary>
    public async Task<RouteResult> SendAsync(OutboundMessage message, TimeSpan timeout)
    {
        var route = _routes[message.Channel];
        var order = Order(route.Where(s => s.Provider.CanSend(message)).ToArray()).ToList();
        if (order.Count == 0)
        {
            return new RouteResult([new ProviderTry("none", SendResult.PermanentFailure,
                $"no provider of channel {message.Channel} can reach this recipient", 0, "", null)], 0);
        }
        var tries = new List<ProviderTry>();
        ProviderTry? backedOff = null;
        var gated = new List<Slot>();
        foreach (var slot in order)
        {
            if (slot.Gate is not null && !slot.Gate.Acquire(message.MsgId, reserve: false).Admitted)
            {
                gated.Add(slot);
                continue;
            }
            var (attempt, isBackingOff) = await CallAsync(slot, message, timeout);
            if (isBackingOff)
            {
                // Nothing was called: not an attempt of its own, unless no provider takes the message at all.
                backedOff ??= attempt;
                continue;
            }
            tries.Add(attempt);
            if (attempt.Result != SendResult.RetryableFailure)
            {
                return new RouteResult(tries, 0);
            }
        }
        if (tries.Count > 0)
        {
            return new RouteResult(tries, 0);
        }
        if (gated.Count > 0)
        {
            // Every provider that could take it is over its rate: the first one reserves its next slot.
            var decision = gated[0].Gate!.Acquire(message.MsgId, reserve: true);
            if (decision.Admitted)
            {
                // Its slot came free in the meantime.
                var (attempt, _) = await CallAsync(gated[0], message, timeout);
                return new RouteResult([attempt], 0);
            }
            return new RouteResult([], decision.NotBefore);
        }
        return new RouteResult([backedOff!], 0);
    }

    private static async Task<(ProviderTry Try, bool BackingOff)> CallAsync(Slot slot, OutboundMessage message, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = await AskAsync(slot, message, timeout);
        var attempt = new ProviderTry(
            outcome.Provider, outcome.Result, outcome.Error ?? "", (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            outcome.ProviderMessageId, outcome.RetryAfter);
        return (attempt, ProviderWorker.IsBackingOff(outcome));
    }

    private static async Task<SendOutcome> AskAsync(Slot slot, OutboundMessage message, TimeSpan timeout)
    {
        try
        {
            // A little longer than the worker's own timeout, so that its answer normally wins.
            return await slot.Worker.Ask<SendOutcome>(new ProviderWorker.Deliver(message, timeout), timeout + TimeSpan.FromSeconds(2));
        }
        catch (AskTimeoutException)
        {
            return SendOutcome.Retry(slot.Provider.Name, "the provider did not answer in time");
        }
    }

    /// <summary>Priority groups in order; within a group a weighted random order (Efraimidis–Spirakis keys).</summary>
    private static IEnumerable<Slot> Order(Slot[] route)
    {
        if (route.Length == 1)
        {
            return route;
        }
        return route
            .GroupBy(s => s.Policy.Priority)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(s => -Math.Log(1 - Random.Shared.NextDouble()) / s.Policy.Weight).AsEnumerable());
    }
}
