using System.Collections.Immutable;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

/// <summary>The business rules of a template, free of actors and I/O.</summary>
public static class TemplateDecisions
{
    public const int MaxNameLength = 128;
    public const int MaxSourceIdLength = 64;
    public const int MaxSubjectLength = 256;
    public const int MaxContentLength = 64 * 1024;

    /// <summary>The SMS signature and the provider's template id (or message type): the width of their columns.</summary>
    public const int MaxSignNameLength = 128;
    public const int MaxRelTemplateIdLength = 128;

    public static (Rejection? Rejection, ImmutableArray<ITemplateEvent> Events) Decide(
        TemplateState state, ITemplateCommand command, DateTimeOffset now)
    {
        if (command is TemplateCommands.Create create)
        {
            if (state.Exists)
            {
                return Fail(new Rejection(ResultCode.Conflict, $"template {InputText.Quote(create.TemplateId)} already exists"));
            }
            var error = Validate(create.Draft);
            return error is null ? Persist(new TemplateEvents.Created(create.TemplateId, create.Draft, now)) : Fail(Rejection.Invalid(error));
        }

        if (!state.IsLive)
        {
            return Fail(new Rejection(ResultCode.TemplateNotFound, $"template {InputText.Quote(command.TemplateId)} not found"));
        }

        switch (command)
        {
            case TemplateCommands.Update u:
                var d = state.Draft;
                var p = u.Patch;
                var next = new TemplateDraft(
                    Keep(d.SourceId, p.SourceId),
                    Keep(d.Name, p.Name),
                    p.Channel is > 0 and var c ? c : d.Channel,
                    Keep(d.Subject, p.Subject),
                    Keep(d.Content, p.Content),
                    Keep(d.SignName, p.SignName),
                    Keep(d.RelTemplateId, p.RelTemplateId));
                var error = Validate(next);
                if (error is not null)
                {
                    return Fail(Rejection.Invalid(error));
                }
                return next == d ? Nothing : Persist(new TemplateEvents.Updated(state.TemplateId, next, now));
            case TemplateCommands.Delete:
                return Persist(new TemplateEvents.Deleted(state.TemplateId, now));
            default:
                return Nothing;
        }
    }

    /// <summary>Rules every stored template satisfies; the first problem in words, or null.</summary>
    public static string? Validate(TemplateDraft d)
    {
        if (d.SourceId.Length == 0) return "sourceID is required";
        if (d.SourceId.Length > MaxSourceIdLength) return $"sourceID must be at most {MaxSourceIdLength} characters";
        if (d.Name.Trim().Length == 0) return "name is required";
        if (d.Name.Length > MaxNameLength) return $"name must be at most {MaxNameLength} characters";
        if (!KnownChannels.IsKnown(d.Channel)) return $"channel must be one of {KnownChannels.Range}";
        if (d.Subject.Length > MaxSubjectLength) return $"subject must be at most {MaxSubjectLength} characters";
        if (d.Content.Length == 0) return "content is required";
        if (d.Content.Length > MaxContentLength) return $"content must be at most {MaxContentLength} characters";
        if (d.SignName.Length > MaxSignNameLength) return $"signName must be at most {MaxSignNameLength} characters";
        if (d.RelTemplateId.Length > MaxRelTemplateIdLength) return $"relTemplateID must be at most {MaxRelTemplateIdLength} characters";
        if (TemplateText.Validate(d.Content) is { } contentError) return $"content: {contentError}";
        if (TemplateText.Validate(d.Subject) is { } subjectError) return $"subject: {subjectError}";
        var placeholders = TemplateText.Parse(d.Content).Names.Union(TemplateText.Parse(d.Subject).Names).Count();
        return placeholders > TemplateText.MaxPlaceholders
            ? $"content and subject may hold at most {TemplateText.MaxPlaceholders} distinct placeholders, not {placeholders}"
            : null;
    }

    private static string Keep(string current, string? given) => string.IsNullOrEmpty(given) ? current : given;

    private static (Rejection?, ImmutableArray<ITemplateEvent>) Fail(Rejection f) => (f, []);

    private static (Rejection?, ImmutableArray<ITemplateEvent>) Persist(ITemplateEvent e) => (null, [e]);

    private static readonly (Rejection?, ImmutableArray<ITemplateEvent>) Nothing = (null, []);
}
