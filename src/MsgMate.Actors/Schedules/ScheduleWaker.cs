using Akka.Actor;
using Akka.Event;

namespace MsgMate.Actors.Schedules;

/// <summary>
/// The due-time index at work: a cluster singleton that every second reads the schedules due within the
/// lead time (overdue ones included) and wakes their entities, which then arm their own timers. Idle schedules
/// stay out of memory; after a restart, or when a dead node's shards move, their due schedules are woken here.
/// </summary>
public sealed class ScheduleWaker : ReceiveActor, IWithTimers
{
    /// <summary>Wake entities this long before they are due (less than the entity's timer horizon).</summary>
    public static readonly TimeSpan LeadTime = TimeSpan.FromSeconds(30);

    /// <summary>Schedules read and woken per tick; after a full page the next tick reads on from its end.</summary>
    public const int DefaultPageSize = 1000;

    private readonly int _pageSize;

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Due(IReadOnlyList<(string ScheduleId, long NextFireAt)> Schedules);

    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Woken recently, with the due time they were woken for: not woken again until that changes or 10 s pass.
    private readonly Dictionary<string, (long NextFireAt, long WokenAt)> _woken = new();
    private bool _busy;

    // Where the next page starts (the last due time and id of a full page), or null: from the earliest.
    private (long NextFireAt, string ScheduleId)? _after;

    public ScheduleWaker(ScheduleReadModel readModel, IActorRef schedules, TimeProvider clock, TimeSpan interval, int pageSize = DefaultPageSize)
    {
        _pageSize = pageSize;
        Receive<Tick>(_ =>
        {
            if (_busy)
            {
                return;
            }
            _busy = true;
            var until = (clock.GetUtcNow() + LeadTime).ToUnixTimeMilliseconds();
            readModel.DueAsync(until, _pageSize, _after)
                .PipeTo(Self, success: due => new Due(due), failure: ex => new Status.Failure(ex));
        });
        Receive<Due>(due =>
        {
            _busy = false;
            // A full page: the next tick goes on from where it ended, so that a page of schedules woken earlier and not
            // fired yet never hides the ones due after them; at most a page is woken a tick (a burst of recoveries).
            _after = due.Schedules.Count == _pageSize ? (due.Schedules[^1].NextFireAt, due.Schedules[^1].ScheduleId) : null;
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var (id, next) in due.Schedules)
            {
                if (_woken.TryGetValue(id, out var woken) && woken.NextFireAt == next && now - woken.WokenAt < 10_000)
                {
                    continue;
                }
                _woken[id] = (next, now);
                schedules.Tell(new ScheduleCommands.Wake(id));
            }
            foreach (var stale in _woken.Where(kv => now - kv.Value.WokenAt > 60_000).Select(kv => kv.Key).ToList())
            {
                _woken.Remove(stale);
            }
        });
        Receive<Status.Failure>(f =>
        {
            _busy = false;
            _log.Warning("Schedule waker could not read the due-time index ({0}); next round in a second", f.Cause.GetType().Name);
        });
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.Zero, interval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(
        ScheduleReadModel readModel, IActorRef schedules, TimeProvider clock, TimeSpan interval, int pageSize = DefaultPageSize) =>
        Props.Create(() => new ScheduleWaker(readModel, schedules, clock, interval, pageSize));
}
