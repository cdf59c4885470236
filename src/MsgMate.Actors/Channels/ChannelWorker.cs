using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels;

/// <summary>
/// Runs the sends of one channel, a few at a time, behind a <see cref="BackoffSupervisor"/>. When the provider
/// keeps failing (consecutive retryable failures), the worker fails on purpose: the supervisor stops it and
/// starts it again after an exponential backoff, and meanwhile answers every send at once with "backing off"
/// — one broken provider is backed off as a whole while the other channels go on.
/// </summary>
public sealed class ChannelWorker : ReceiveActor, IWithStash
{
    /// <summary>Ask the worker (through its supervisor) to send; the answer is a <see cref="SendOutcome"/>.</summary>
    public sealed record Deliver(OutboundMessage Message, TimeSpan Timeout);

    private sealed record Completed(SendOutcome Outcome, IActorRef ReplyTo);

    private sealed class Trip
    {
        public static readonly Trip Instance = new();
    }

    /// <summary>Thrown to hand the channel to the supervisor's backoff.</summary>
    public sealed class ChannelBrokenException(string message) : Exception(message);

    private readonly IChannelSender _sender;
    private readonly int _concurrency;
    private readonly int _tripAfter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _inFlight;
    private int _consecutiveFailures;
    private bool _tripping;

    public ChannelWorker(IChannelSender sender, int concurrency, int tripAfter)
    {
        _sender = sender;
        _concurrency = concurrency;
        _tripAfter = tripAfter;

        Receive<Deliver>(d =>
        {
            if (_tripping)
            {
                Sender.Tell(BackingOff(_sender.Channel));
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
                _log.Warning("Channel {0}: {1} failures in a row; backing off", _sender.Channel, _consecutiveFailures);
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
        Receive<Trip>(_ => throw new ChannelBrokenException($"channel {_sender.Channel} failed {_consecutiveFailures} times in a row"));
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>The supervised channel: a worker under an exponential-backoff supervisor.</summary>
    public static Props SupervisedProps(IChannelSender sender, int concurrency, int tripAfter, TimeSpan minBackoff, TimeSpan maxBackoff) =>
        BackoffSupervisor.Props(
            Backoff.OnFailure(
                    Props.Create(() => new ChannelWorker(sender, concurrency, tripAfter)),
                    $"{sender.Channel.ToString().ToLowerInvariant()}-worker",
                    minBackoff,
                    maxBackoff,
                    0.2,
                    -1)
                .WithAutoReset(minBackoff)
                .WithReplyWhileStopped(BackingOff(sender.Channel)));

    public static SendOutcome BackingOff(Channel channel) =>
        SendOutcome.Retry("supervisor", $"channel {channel} is backing off after repeated failures");

    private void Start(Deliver d)
    {
        _inFlight++;
        var replyTo = Sender;
        var self = Self;
        var cts = new CancellationTokenSource(d.Timeout);
        _sender.SendAsync(d.Message, cts.Token).ContinueWith(t =>
        {
            cts.Dispose();
            var outcome = t.IsCompletedSuccessfully
                ? t.Result
                : SendOutcome.Retry(_sender.Channel.ToString(), t.IsCanceled ? "timed out" : $"sender failed: {t.Exception?.GetBaseException().GetType().Name}");
            self.Tell(new Completed(outcome, replyTo));
        }, TaskScheduler.Default);
    }
}

/// <summary>A channel no provider is configured for on this node: every send fails permanently, with that reason.</summary>
public sealed class NotConfiguredSender(Channel channel) : IChannelSender
{
    public Channel Channel => channel;

    public Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct) =>
        Task.FromResult(SendOutcome.Permanent("none", $"channel {channel} is not configured on this server"));
}
