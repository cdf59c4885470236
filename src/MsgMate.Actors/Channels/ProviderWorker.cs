using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels;

/// <summary>
/// Runs the sends of one provider, a few at a time, behind a <see cref="BackoffSupervisor"/>: the provider's
/// breaker. When the provider keeps failing (consecutive retryable failures), the worker fails on purpose: the
/// supervisor stops it and starts it again after an exponential backoff, and meanwhile answers every send at once
/// with "backing off" — the router then hands the message to the next provider of the channel, and the other
/// providers and channels go on.
/// </summary>
public sealed class ProviderWorker : ReceiveActor, IWithStash
{
    /// <summary>Ask the worker (through its supervisor) to send; the answer is a <see cref="SendOutcome"/>.</summary>
    public sealed record Deliver(OutboundMessage Message, TimeSpan Timeout);

    private sealed record Completed(SendOutcome Outcome, IActorRef ReplyTo);

    private sealed class Trip
    {
        public static readonly Trip Instance = new();
    }

    /// <summary>Thrown to hand the provider to the supervisor's backoff.</summary>
    public sealed class ProviderBrokenException(string message) : Exception(message);

    /// <summary>The error text of the answer while a provider is backed off; the router fails over on it at once.</summary>
    public const string BackingOffMarker = "provider is backing off";

    private readonly IProvider _provider;
    private readonly int _concurrency;
    private readonly int _tripAfter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _inFlight;
    private int _consecutiveFailures;
    private bool _tripping;

    public ProviderWorker(IProvider provider, int concurrency, int tripAfter)
    {
        _provider = provider;
        _concurrency = concurrency;
        _tripAfter = tripAfter;

        Receive<Deliver>(d =>
        {
            if (_tripping)
            {
                Sender.Tell(BackingOff(_provider.Name));
            }
            else if (_inFlight >= _concurrency)
            {
                Stash.Stash();
            }
            else
            {
                Start(d);
            }
        });
        Receive<Completed>(c =>
        {
            _inFlight--;
            c.ReplyTo.Tell(c.Outcome);
            _consecutiveFailures = c.Outcome.Result == SendResult.RetryableFailure ? _consecutiveFailures + 1 : 0;
            if (!_tripping && _consecutiveFailures >= _tripAfter)
            {
                _tripping = true;
                _log.Warning("Provider {0}: {1} failures in a row; backing off", _provider.Name, _consecutiveFailures);
                Stash.UnstashAll();
            }
            else if (!_tripping)
            {
                Stash.Unstash();
            }
            if (_tripping && _inFlight == 0)
            {
                Self.Tell(Trip.Instance);
            }
        });
        Receive<Trip>(_ => throw new ProviderBrokenException($"provider {_provider.Name} failed {_consecutiveFailures} times in a row"));
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>The supervised provider: a worker under an exponential-backoff supervisor.</summary>
    public static Props SupervisedProps(IProvider provider, int concurrency, int tripAfter, TimeSpan minBackoff, TimeSpan maxBackoff) =>
        BackoffSupervisor.Props(
            Backoff.OnFailure(
                    Props.Create(() => new ProviderWorker(provider, concurrency, tripAfter)),
                    "worker",
                    minBackoff,
                    maxBackoff,
                    0.2,
                    -1)
                .WithAutoReset(minBackoff)
                .WithReplyWhileStopped(BackingOff(provider.Name)));

    public static SendOutcome BackingOff(string provider) => SendOutcome.Retry(provider, $"{BackingOffMarker} after repeated failures");

    public static bool IsBackingOff(SendOutcome outcome) =>
        outcome.Result == SendResult.RetryableFailure && outcome.Error?.StartsWith(BackingOffMarker, StringComparison.Ordinal) == true;

    private void Start(Deliver d)
    {
        _inFlight++;
        var replyTo = Sender;
        var self = Self;
        var cts = new CancellationTokenSource(d.Timeout);
        _provider.SendAsync(d.Message, cts.Token).ContinueWith(t =>
        {
            cts.Dispose();
            var outcome = t.IsCompletedSuccessfully
                ? t.Result
                : SendOutcome.Retry(_provider.Name, t.IsCanceled ? "timed out" : $"provider failed: {t.Exception?.GetBaseException().GetType().Name}");
            self.Tell(new Completed(outcome, replyTo));
        }, TaskScheduler.Default);
    }
}

/// <summary>A channel no provider is configured for on this node: every send fails permanently, with that reason.</summary>
public sealed class NotConfiguredProvider(Channel channel) : IProvider
{
    public string Name => "none";

    public Channel Channel => channel;

    public Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct) =>
        Task.FromResult(SendOutcome.Permanent(Name, $"channel {channel} is not configured on this server"));
}
