using Akka;
using Akka.Actor;

namespace MsgMate.Actors.Hosting;

/// <summary>
/// Whether this node is leaving the cluster. Set once, by the first phase of <see cref="CoordinatedShutdown"/>
/// (<c>before-service-unbind</c>), whatever started it: SIGTERM (the host stopping), an operator's
/// <c>cluster leave</c>, or the cluster downing this node. From then on the HTTP side refuses new work with 503 and
/// <c>Retry-After</c> (clients go to another node), <c>/readyz</c> answers 503 (a load balancer stops sending), and the
/// later phases drain the lanes, hand the shards and singletons over and leave.
/// </summary>
public sealed class NodeLifecycle(TimeProvider clock)
{
    private long _leavingSinceTicks;
    private string? _reason;

    /// <summary>Seconds a refused client is told to wait: by then a balancer has moved it to another node.</summary>
    public const int RetryAfterSeconds = 5;

    public bool IsLeaving => Interlocked.Read(ref _leavingSinceTicks) != 0;

    /// <summary>When leaving began (UTC); null while the node serves.</summary>
    public DateTimeOffset? LeavingSince =>
        Interlocked.Read(ref _leavingSinceTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>What started the leave (the shutdown reason's name), for operators.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Marks the node as leaving; the first call wins (later ones keep the first time and reason).</summary>
    public void MarkLeaving(string reason)
    {
        if (Interlocked.CompareExchange(ref _leavingSinceTicks, clock.GetUtcNow().UtcTicks, 0) == 0)
        {
            Volatile.Write(ref _reason, reason);
        }
    }

    /// <summary>
    /// What a leaving node still answers: its probes and metrics (so that the orchestrator and the operator see it
    /// leave), the cluster view of the admin API (the CLI watches the hand-over) and the queue's lanes (the drain). Everything else — intake,
    /// reads that need entities being handed over, changes — is refused with 503 and a retry hint.
    /// </summary>
    public static bool ServesWhileLeaving(string path) =>
        path is "/healthz" or "/readyz" or "/metrics"
        || path.Equals("/admin/cluster", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/admin/queue", StringComparison.OrdinalIgnoreCase)
        || path.StartsWith("/admin/cluster/", StringComparison.OrdinalIgnoreCase)
        || path.StartsWith("/admin/sharding/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Hooks <see cref="MarkLeaving"/> to the first phase of the system's coordinated shutdown.</summary>
    public void AttachTo(ActorSystem system)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "msgmate-mark-leaving", () =>
        {
            MarkLeaving(shutdown.ShutdownReason?.GetType().Name ?? "unknown");
            return Task.FromResult(Done.Instance);
        });
    }
}
