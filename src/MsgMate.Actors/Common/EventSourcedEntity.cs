using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;

namespace MsgMate.Actors.Common;

/// <summary>
/// The thin persistent actor behind every sharded entity: it decides with pure state logic, persists the
/// events, applies them, replies and snapshots. It holds no business rule of its own.
/// </summary>
public abstract class EventSourcedEntity<TState, TCommand, TEvent, TReply> : ReceivePersistentActor
    where TState : class, IMsgMateMessage
    where TCommand : IMsgMateMessage
    where TEvent : IMsgMateMessage
{
    /// <summary>A snapshot every so many events keeps recovery short for long-lived entities.</summary>
    private const int SnapshotEvery = 100;

    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Callers of a compacting command, each waiting until the journal up to its sequence number is deleted.</summary>
    private readonly List<(IActorRef Caller, long SequenceNr)> _compactions = [];

    protected EventSourcedEntity(string persistenceId, TState empty, TimeProvider clock)
    {
        PersistenceId = persistenceId;
        State = empty;
        _clock = clock;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TState snapshot)
            {
                State = snapshot;
            }
        });
        Recover<TEvent>(evt => State = Apply(State, evt));
        Command<TCommand>(Handle);
        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
            if (_compactions.Exists(c => c.SequenceNr <= s.Metadata.SequenceNr))
            {
                // Only once the snapshot is stored: recovery then starts from it and needs none of the deleted events.
                DeleteMessages(s.Metadata.SequenceNr);
            }
        });
        Command<SaveSnapshotFailure>(f =>
        {
            _log.Warning(f.Cause, "Snapshot of {0} failed", PersistenceId);
            EndCompactions(f.Metadata.SequenceNr, succeeded: false);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old snapshots of {0} failed", PersistenceId));
        Command<DeleteMessagesSuccess>(d => EndCompactions(d.ToSequenceNr, succeeded: true));
        Command<DeleteMessagesFailure>(f =>
        {
            _log.Warning(f.Cause, "Deleting the events of {0} up to {1} failed", PersistenceId, f.ToSequenceNr);
            EndCompactions(f.ToSequenceNr, succeeded: false);
        });
    }

    public override string PersistenceId { get; }

    protected TState State { get; private set; }

    protected abstract (Rejection? Rejection, ImmutableArray<TEvent> Events) Decide(TState state, TCommand command, DateTimeOffset now);

    protected abstract TState Apply(TState state, TEvent evt);

    protected abstract TReply Ok(TState state, long version);

    protected abstract TReply Fail(Rejection failure);

    /// <summary>
    /// Whether the command compacts the journal: after its events, the state is saved as a snapshot and every event up
    /// to it is deleted, and only then is the command answered (an erase: no earlier event keeps what was erased).
    /// Akka.Persistence.Sql deletes those rows, except the last one, which it keeps flagged as deleted to remember the
    /// highest sequence number: that one is the compacting command's own event.
    /// </summary>
    protected virtual bool Compacts(TCommand command) => false;

    private void Handle(TCommand command)
    {
        var (failure, events) = Decide(State, command, Instants.Now(_clock));
        var sender = Sender;
        if (failure is not null)
        {
            sender.Tell(Fail(failure));
            return;
        }
        var compacts = Compacts(command);
        if (events.IsEmpty)
        {
            if (compacts)
            {
                Compact(sender);
                return;
            }
            sender.Tell(Ok(State, LastSequenceNr));
            return;
        }

        var remaining = events.Length;
        PersistAll(events, evt =>
        {
            State = Apply(State, evt);
            if (--remaining > 0)
            {
                return;
            }
            if (compacts)
            {
                Compact(sender);
                return;
            }
            // Reply only once every event of the command is durable: the caller may act on it at once.
            sender.Tell(Ok(State, LastSequenceNr));
            if (LastSequenceNr % SnapshotEvery < events.Length)
            {
                SaveSnapshot(State);
            }
        });
    }

    /// <summary>Snapshot now, delete the events once it is stored (<see cref="SaveSnapshotSuccess"/>), answer after that.</summary>
    private void Compact(IActorRef caller)
    {
        if (LastSequenceNr == 0)
        {
            caller.Tell(Ok(State, LastSequenceNr));
            return;
        }
        _compactions.Add((caller, LastSequenceNr));
        SaveSnapshot(State);
    }

    private void EndCompactions(long upTo, bool succeeded)
    {
        foreach (var (caller, _) in _compactions.Where(c => c.SequenceNr <= upTo))
        {
            caller.Tell(succeeded
                ? Ok(State, LastSequenceNr)
                : Fail(new Rejection(ResultCode.StoreFailed, "the journal could not be compacted; the change is stored, send it again")));
        }
        _compactions.RemoveAll(c => c.SequenceNr <= upTo);
    }
}

/// <summary>Routes the messages of one entity type by the id they carry. One extractor per entity type.</summary>
public sealed class EntityIdExtractor<TMessage>(Func<TMessage, string> entityId, int maxShards)
    : HashCodeMessageExtractor(maxShards)
    where TMessage : class
{
    public override string? EntityId(object message) => message is TMessage m ? entityId(m) : null;
}
