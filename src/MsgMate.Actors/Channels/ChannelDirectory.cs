using Akka.Actor;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels;

/// <summary>The supervised channel actors of this node, one per channel, and the way to send through them.</summary>
public sealed class ChannelDirectory
{
    private readonly Dictionary<Channel, IActorRef> _channels;

    /// <param name="concurrency">How many sends of a channel may be under way at once.</param>
    public ChannelDirectory(
        ActorSystem system, IEnumerable<IChannelSender> senders, Func<Channel, int> concurrency, int tripAfter, TimeSpan minBackoff, TimeSpan maxBackoff)
    {
        var configured = senders.ToDictionary(s => s.Channel);
        _channels = Enum.GetValues<Channel>().ToDictionary(
            c => c,
            c => system.ActorOf(
                ChannelWorker.SupervisedProps(
                    configured.GetValueOrDefault(c) ?? new NotConfiguredSender(c), Math.Max(1, concurrency(c)), tripAfter, minBackoff, maxBackoff),
                $"channel-{c.ToString().ToLowerInvariant()}"));
    }

    /// <summary>Sends one message; an attempt that takes longer than <paramref name="timeout"/> counts as a retryable failure.</summary>
    public async Task<SendOutcome> SendAsync(OutboundMessage message, TimeSpan timeout)
    {
        try
        {
            // A little longer than the worker's own timeout, so that its answer normally wins.
            return await _channels[message.Channel].Ask<SendOutcome>(new ChannelWorker.Deliver(message, timeout), timeout + TimeSpan.FromSeconds(2));
        }
        catch (AskTimeoutException)
        {
            return SendOutcome.Retry(message.Channel.ToString(), "the channel did not answer in time");
        }
    }
}
