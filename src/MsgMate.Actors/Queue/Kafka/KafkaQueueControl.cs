using System.Runtime.ExceptionServices;
using Akka.Actor;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// Controls one materialized Kafka source and its consumer. <see cref="StopAsync"/> completes the source;
/// <see cref="DrainAndShutdownAsync"/> is the orderly way out: stop fetching, let what is in flight finish and
/// commit, then leave the group (the partitions move to the other members without redelivering finished work).
/// </summary>
public sealed class KafkaQueueControl : IQueueControl
{
    private readonly KafkaQueueOptions _options;
    private readonly TaskCompletionSource<(IActorRef Consumer, Action Stop)> _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sourceStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal KafkaQueueControl(QueueLane lane, KafkaQueueOptions options)
    {
        Lane = lane;
        _options = options;
    }

    public QueueLane Lane { get; }

    /// <summary>Counters of this consumer.</summary>
    public KafkaConsumerStats Stats { get; } = new();

    /// <summary>Completes when the source has stopped emitting (completed, failed or cancelled).</summary>
    public Task SourceStopped => _sourceStopped.Task;

    /// <inheritdoc />
    public Task IsShutdown => ShutdownPromise.Task;

    /// <summary>Completed by the consumer actor when it has stopped (consumer closed or abandoned).</summary>
    internal TaskCompletionSource ShutdownPromise { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void Attach(IActorRef consumer, Action stop) => _attached.TrySetResult((consumer, stop));

    internal void OnSourceStopped() => _sourceStopped.TrySetResult();

    /// <inheritdoc />
    public async Task StopAsync()
    {
        // The stage may not have started yet when the materialized value is already in hand.
        await Task.WhenAny(_attached.Task, _sourceStopped.Task).ConfigureAwait(false);
        if (_attached.Task.IsCompletedSuccessfully && !_sourceStopped.Task.IsCompleted)
        {
            _attached.Task.Result.Stop();
        }
        await _sourceStopped.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A failed <paramref name="streamCompletion"/> is rethrown after the consumer has closed. When
    /// <paramref name="ct"/> fires, the consumer is closed without waiting for the stream any longer (uncommitted
    /// work is then redelivered to another member).
    /// </remarks>
    public async Task DrainAndShutdownAsync(Task streamCompletion, CancellationToken ct = default)
    {
        await StopAsync().ConfigureAwait(false);
        ExceptionDispatchInfo? failure = null;
        try
        {
            await streamCompletion.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }
        await ShutdownConsumerAsync().ConfigureAwait(false);
        failure?.Throw();
    }

    /// <summary>Stops the source and closes the consumer at once, without waiting for in-flight work.</summary>
    public async Task ShutdownAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await ShutdownConsumerAsync().ConfigureAwait(false);
    }

    private async Task ShutdownConsumerAsync()
    {
        if (_attached.Task.IsCompletedSuccessfully)
        {
            // The actor commits what is pending, then closes within CloseTimeout.
            _attached.Task.Result.Consumer.Tell(KafkaConsumerActor.Shutdown.Instance);
        }
        try
        {
            await IsShutdown.WaitAsync(_options.CloseTimeout + _options.PollTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The actor is stuck (it should not be: Close() is bounded); do not hang the caller's shutdown on it.
        }
    }
}
