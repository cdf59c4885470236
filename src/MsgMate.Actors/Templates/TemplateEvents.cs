using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

/// <summary>Events of a template entity. Persisted: a schema; add fields with defaults, never rename.</summary>
public interface ITemplateEvent : IMsgMateMessage
{
    string TemplateId { get; }
    DateTimeOffset At { get; }
}

public static class TemplateEvents
{
    public const string Tag = "template";

    public sealed record Created(string TemplateId, TemplateDraft Draft, DateTimeOffset At) : ITemplateEvent;

    /// <summary>Carries the whole draft after the change.</summary>
    public sealed record Updated(string TemplateId, TemplateDraft Draft, DateTimeOffset At) : ITemplateEvent;

    public sealed record Deleted(string TemplateId, DateTimeOffset At) : ITemplateEvent;
}
