using Akka.Persistence.Journal;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;

namespace MsgMate.Actors.Serialization;

/// <summary>Tags events on write so that projections can read them by tag (SqlReadJournal.EventsByTag).</summary>
public sealed class EventTagger : IWriteEventAdapter
{
    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt switch
    {
        IUserEvent => new Tagged(evt, [UserEvents.Tag]),
        ITemplateEvent => new Tagged(evt, [TemplateEvents.Tag]),
        Schedules.IScheduleEvent => new Tagged(evt, [Schedules.ScheduleEvents.Tag]),
        _ => evt,
    };
}
