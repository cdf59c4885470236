using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Projections;

/// <summary>
/// Feeds a read model from the journal: every event under one tag, from the stored offset, forever.
/// Runs as a cluster singleton. At-least-once: the offset is saved after the events are applied, and the
/// read models ignore an event they already hold (sequence-number check), so a replay after a crash or a
/// restart repeats nothing.
/// </summary>
public sealed class TagProjection : ReceiveActor
{
    /// <param name="Apply">Folds one event (with its entity's sequence number) into the read model.</param>
    public sealed record Definition(string Name, string Tag, Func<object, long, CancellationToken, Task> Apply);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly UniqueKillSwitch _killSwitch;

    public TagProjection(Definition definition, ProjectionOffsets offsets, TimeSpan batchWindow)
    {
        var journal = PersistenceQuery.Get(Context.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var materializer = Context.Materializer();
        var restart = RestartSettings.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);

        _killSwitch = RestartSource.OnFailuresWithBackoff(() =>
                // Each (re)start reads the saved offset again: nothing applied-but-unsaved is skipped.
                Source.FromTask(offsets.LoadAsync(definition.Name))
                    .ConcatMany(offset => journal.EventsByTag(definition.Tag, Offset.Sequence(offset)))
                    .Named("journal-by-tag")
                    .SelectAsync(1, async envelope =>
                    {
                        await definition.Apply(envelope.Event, envelope.SequenceNr, CancellationToken.None);
                        return ((Sequence)envelope.Offset).Value;
                    })
                    .Named("apply-to-read-model")
                    .GroupedWithin(256, batchWindow)
                    .SelectAsync(1, async batch =>
                    {
                        var last = batch.Max();
                        await offsets.SaveAsync(definition.Name, last);
                        return last;
                    })
                    .Named("save-offset"),
                restart)
            .ViaMaterialized(KillSwitches.Single<long>(), Keep.Right)
            .To(Sink.Ignore<long>())
            .Run(materializer);

        _log.Info("Projection {0} reads tag '{1}'", definition.Name, definition.Tag);
    }

    public static Props PropsFor(Definition definition, ProjectionOffsets offsets, TimeSpan batchWindow) =>
        Props.Create(() => new TagProjection(definition, offsets, batchWindow));

    protected override void PostStop() => _killSwitch.Shutdown();
}
