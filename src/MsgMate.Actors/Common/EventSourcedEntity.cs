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
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Snapshot of {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old snapshots of {0} failed", PersistenceId));
    }

    public override string PersistenceId { get; }

    protected TState State { get; private set; }

    protected abstract (Rejection? Rejection, ImmutableArray<TEvent> Events) Decide(TState state, TCommand command, DateTimeOffset now);

    protected abstract TState Apply(TState state, TEvent evt);

    protected abstract TReply Ok(TState state, long version);

    protected abstract TReply Fail(Rejection failure);

    private void Handle(TCommand command)
    {
        var (failure, events) = Decide(State, command, Instants.Now(_clock));
        var sender = Sender;
        if (failure is not null)
        {
            sender.Tell(Fail(failure));
            return;
        }
        if (events.IsEmpty)
        {
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
            // Reply only once every event of the command is durable: the caller may act on it at once.
            sender.Tell(Ok(State, LastSequenceNr));
            if (LastSequenceNr % SnapshotEvery < events.Length)
            {
                SaveSnapshot(State);
            }
        });
    }
}

/// <summary>Routes the messages of one entity type by the id they carry. One extractor per entity type.</summary>
public sealed class EntityIdExtractor<TMessage>(Func<TMessage, string> entityId, int maxShards)
    : HashCodeMessageExtractor(maxShards)
    where TMessage : class
{
    public override string? EntityId(object message) => message is TMessage m ? entityId(m) : null;
}
