using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Schedules;

/// <summary>
/// One sharded, event-sourced actor per schedule; it owns its timer. When due it persists <c>FireStarted</c>,
/// submits through the same intake as send_msg with the idempotency key <c>schedule:{id}:{fireNo}</c>, and
/// persists <c>Fired</c> with the batch id. A crash in between re-submits with the same key on recovery, and
/// the intake answers the first answer: a firing happens once. An idle schedule is not kept in memory: the
/// timer is armed only within <see cref="Horizon"/> of the due time, and the due-time index
/// (<see cref="ScheduleWaker"/>) wakes the entity before that — after a restart or a shard move too.
/// </summary>
public sealed class ScheduleEntity : ReceivePersistentActor, IWithTimers
{
    public const string TypeName = "schedule";
    public const int ShardCount = 50;

    /// <summary>How long before its due time an awake schedule arms its timer (well under the passivation timeout).</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromSeconds(60);

    private const int SnapshotEvery = 100;
    private const string FireTimer = "fire";

    private sealed class FireNow
    {
        public static readonly FireNow Instance = new();
    }

    private sealed record Submitted(int FireNo, SendAnswer Answer);

    private sealed record SubmitFailed(int FireNo, Exception Cause);

    private sealed record Resubmit(int FireNo);

    private readonly TimeProvider _clock;
    private readonly Func<SendRequest, string, Task<SendAnswer>> _submit;
    private readonly Action<TimeSpan>? _fired;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ScheduleState _state;
    private bool _submitting;
    private int _submitFailures;

    /// <param name="submit">The intake: a send and its idempotency key.</param>
    /// <param name="fired">Told how late a firing started (its start time minus its due time), once it is durable.</param>
    public ScheduleEntity(string scheduleId, TimeProvider clock, Func<SendRequest, string, Task<SendAnswer>> submit, Action<TimeSpan>? fired = null)
    {
        _fired = fired;
        PersistenceId = "schedule-" + scheduleId;
        _state = ScheduleState.Empty(scheduleId);
        _clock = clock;
        _submit = submit;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ScheduleState snapshot)
            {
                _state = snapshot;
            }
        });
        Recover<IScheduleEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => Arrange());

        Command<IScheduleCommand>(Handle);
        Command<FireNow>(_ => TryFire());
        Command<Submitted>(OnSubmitted);
        Command<SubmitFailed>(f =>
        {
            _submitting = false;
            _submitFailures++;
            var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(_submitFailures, 8))));
            _log.Warning("Schedule {0}: firing {1} could not be submitted ({2}); again in {3}", _state.ScheduleId, f.FireNo, f.Cause.GetType().Name, delay);
            Timers.StartSingleTimer("resubmit", new Resubmit(f.FireNo), delay);
        });
        Command<Resubmit>(r => Submit(r.FireNo));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props PropsFor(
        string scheduleId, TimeProvider clock, Func<SendRequest, string, Task<SendAnswer>> submit, Action<TimeSpan>? fired = null) =>
        Props.Create(() => new ScheduleEntity(scheduleId, clock, submit, fired));

    public static EntityIdExtractor<IWithScheduleId> Extractor { get; } = new(m => m.ScheduleId, ShardCount);

    private DateTimeOffset Now => Instants.Now(_clock);

    private void Handle(IScheduleCommand command)
    {
        var (rejection, events) = ScheduleDecisions.Decide(_state, command, Now);
        var sender = Sender;
        if (rejection is not null)
        {
            sender.Tell(ScheduleReply.Fail(rejection));
            return;
        }
        if (events.IsEmpty)
        {
            sender.Tell(ScheduleReply.Ok(_state, LastSequenceNr));
            Arrange();
            return;
        }
        PersistAll(events, e => Applied(e, () => sender.Tell(ScheduleReply.Ok(_state, LastSequenceNr)), last: ReferenceEquals(e, events[^1])));
    }

    private void TryFire()
    {
        var started = ScheduleDecisions.StartFire(_state, Now);
        if (started is null)
        {
            Arrange();
            return;
        }
        var lateness = TimeSpan.FromMilliseconds(started.At.ToUnixTimeMilliseconds() - _state.NextFireAtMs);
        Persist(started, e => Applied(e, () =>
        {
            _fired?.Invoke(lateness);
            Submit(e.FireNo);
        }, last: true));
    }

    private void Submit(int fireNo)
    {
        if (_submitting || _state.InFlightFire != fireNo)
        {
            return;
        }
        _submitting = true;
        var key = $"schedule:{_state.ScheduleId}:{fireNo}";
        _submit(_state.Spec!.ToSendRequest(_state.ScheduleId), key).PipeTo(
            Self,
            success: answer => new Submitted(fireNo, answer),
            failure: ex => new SubmitFailed(fireNo, ex));
    }

    private void OnSubmitted(Submitted s)
    {
        _submitting = false;
        _submitFailures = 0;
        if (_state.InFlightFire != s.FireNo)
        {
            return;
        }
        if (!s.Answer.IsOk)
        {
            _log.Warning("Schedule {0}: firing {1} was refused: {2}", _state.ScheduleId, s.FireNo, PersonalData.Scrub(s.Answer.Message));
        }
        Persist(ScheduleDecisions.Complete(_state, s.FireNo, s.Answer, Now), e => Applied(e, () => { }, last: true));
    }

    private void Applied(IScheduleEvent e, Action then, bool last)
    {
        _state = _state.Apply(e);
        if (!last)
        {
            return;
        }
        then();
        if (LastSequenceNr % SnapshotEvery == 0)
        {
            SaveSnapshot(_state);
        }
        Arrange();
    }

    /// <summary>
    /// After every change: finish a firing that is under way, or arm the timer when the next firing is within
    /// the horizon (fire at once when it is already due), or disarm it.
    /// </summary>
    private void Arrange()
    {
        if (_state.InFlightFire > 0)
        {
            Submit(_state.InFlightFire);
            return;
        }
        if (!_state.IsActive || _state.NextFireAtMs == 0)
        {
            Timers.Cancel(FireTimer);
            return;
        }
        var delay = TimeSpan.FromMilliseconds(_state.NextFireAtMs - Now.ToUnixTimeMilliseconds());
        if (delay <= TimeSpan.Zero)
        {
            Self.Tell(FireNow.Instance);
        }
        else if (delay <= Horizon)
        {
            Timers.StartSingleTimer(FireTimer, FireNow.Instance, delay);
        }
        else
        {
            Timers.Cancel(FireTimer);
        }
    }
}
