using Akka.Actor;
using Akka.TestKit.Xunit2;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Tests.Channels;

/// <summary>A channel that keeps failing is backed off as a whole by its supervisor, then tried again.</summary>
public sealed class ProviderWorkerSpecs : TestKit
{
    private sealed class ScriptedSender(Func<int, SendOutcome> answer) : IProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string Name => "fake";

        public Channel Channel => Channel.Webhook;

        public Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct) =>
            Task.FromResult(answer(Interlocked.Increment(ref _calls)));
    }

    private static OutboundMessage Message(int i) => new($"m{i}", Channel.Webhook, "http://127.0.0.1/x", "", "body", false);

    private SendOutcome Send(IActorRef channel, int i, TimeSpan? wait = null)
    {
        channel.Tell(new ProviderWorker.Deliver(Message(i), TimeSpan.FromSeconds(5)));
        return ExpectMsg<SendOutcome>(wait ?? TimeSpan.FromSeconds(10));
    }

    [Fact(DisplayName = "After N failures in a row the channel backs off, answering at once without calling the provider; later it is tried again")]
    public void Trips_and_recovers()
    {
        var healthy = false;
        var sender = new ScriptedSender(_ => Volatile.Read(ref healthy) ? SendOutcome.Ok("fake") : SendOutcome.Retry("fake", "HTTP 503"));
        var channel = Sys.ActorOf(ProviderWorker.SupervisedProps(sender, concurrency: 1, tripAfter: 3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("HTTP 503", Send(channel, i).Error);
        }
        Assert.Equal(3, sender.Calls);

        // Backing off: answered by the supervisor (or the tripping worker), the provider is not called. A request
        // that reaches the worker in the instant it fails is lost (its asker times out and retries, as the
        // deliverer does), so each try waits a second.
        AwaitAssert(() =>
        {
            var calls = sender.Calls;
            var during = Send(channel, 3, TimeSpan.FromSeconds(1));
            Assert.Equal(SendResult.RetryableFailure, during.Result);
            Assert.Contains("backing off", during.Error);
            Assert.Equal(calls, sender.Calls);
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));

        Volatile.Write(ref healthy, true);
        AwaitAssert(() => Assert.Equal(SendResult.Sent, Send(channel, 4, TimeSpan.FromSeconds(1)).Result),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
    }

    [Fact(DisplayName = "A permanent failure does not count towards backing off")]
    public void Permanent_failures_do_not_trip()
    {
        var sender = new ScriptedSender(_ => SendOutcome.Permanent("fake", "HTTP 404"));
        var channel = Sys.ActorOf(ProviderWorker.SupervisedProps(sender, concurrency: 2, tripAfter: 2, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("HTTP 404", Send(channel, i).Error);
        }
        Assert.Equal(5, sender.Calls);
    }
}
