using System.Collections.Immutable;
using System.Text.Json.Serialization;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

/// <summary>The editable content of a template. Absent texts are empty strings.</summary>
public sealed record TemplateDraft(
    string SourceId,
    string Name,
    int Channel,
    string Subject,
    string Content,
    string SignName,
    string RelTemplateId);

/// <summary>Template status, as the Go project: 1 pending (not usable), 2 normal (usable).</summary>
public static class TemplateStatus
{
    public const int Pending = 1;
    public const int Normal = 2;
}

/// <summary>Everything a template entity owns; pure.</summary>
public sealed record TemplateState(
    string TemplateId,
    bool Exists,
    bool Deleted,
    TemplateDraft Draft,
    int Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ModifiedAt) : IMsgMateMessage
{
    public static TemplateState Empty(string templateId) =>
        new(templateId, false, false, new TemplateDraft("", "", 0, "", "", "", ""), 0, default, default);

    /// <summary>The names the subject and content use, in order of first use; derived, never stored.</summary>
    [JsonIgnore]
    public ImmutableArray<string> Placeholders =>
        [.. Names(Draft.Subject).Concat(Names(Draft.Content)).Distinct()];

    public bool IsLive => Exists && !Deleted;

    private static ImmutableArray<string> Names(string text) => TemplateText.Parse(text).Names is { IsDefault: false } n ? n : [];

    public TemplateState Apply(ITemplateEvent evt) => evt switch
    {
        TemplateEvents.Created e => this with
        {
            Exists = true, Draft = e.Draft, Status = TemplateStatus.Normal, CreatedAt = e.At, ModifiedAt = e.At,
        },
        TemplateEvents.Updated e => this with { Draft = e.Draft, ModifiedAt = e.At },
        TemplateEvents.Deleted e => this with { Deleted = true, ModifiedAt = e.At },
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "unknown template event"),
    };
}
