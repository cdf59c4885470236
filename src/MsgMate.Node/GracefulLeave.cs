using Akka.Actor;

namespace MsgMate.Node;

/// <summary>
/// The node's answer to SIGTERM (or any host stop): it runs the actor system's coordinated shutdown — this node is
/// marked leaving at once (503 + Retry-After for new work, <c>/readyz</c> 503), the lanes drain, shards and singletons
/// are handed to the other members, the member leaves — and only then lets the host stop Kestrel. Run in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, which comes before any service's StopAsync, so clients get a
/// retryable 503 during the hand-over instead of refused connections.
/// </summary>
internal sealed class GracefulLeave(IServiceProvider services, ILogger<GracefulLeave> log) : IHostedLifecycleService
{
    private ActorSystem? _system;

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken ct)
    {
        // Resolved once the host runs: Akka's hosted service has made the system by now.
        _system = services.GetService<ActorSystem>();
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken ct)
    {
        if (_system is null)
        {
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        var shutdown = CoordinatedShutdown.Get(_system);
        // Already running when the cluster asked this node to leave (an operator's `cluster leave`): the same task.
        try
        {
            await shutdown.Run(CoordinatedShutdown.ClrExitReason.Instance).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            log.LogWarning("Leaving took longer than MsgMate:Cluster:ShutdownTimeout; stopping anyway (what was not handed over is recovered by the others)");
            return;
        }
        log.LogInformation("Left the cluster in {Elapsed} ({Reason})",
            TimeProvider.System.GetElapsedTime(started), shutdown.ShutdownReason?.GetType().Name);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;
}
