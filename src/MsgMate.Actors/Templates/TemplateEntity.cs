using System.Collections.Immutable;
using Akka.Actor;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

/// <summary>One sharded, event-sourced actor per template id.</summary>
public sealed class TemplateEntity(string templateId, TimeProvider clock)
    : EventSourcedEntity<TemplateState, ITemplateCommand, ITemplateEvent, TemplateReply>(
        "template-" + templateId, TemplateState.Empty(templateId), clock)
{
    public const string TypeName = "template";
    public const int ShardCount = 50;

    public static Props PropsFor(string templateId, TimeProvider clock) => Props.Create(() => new TemplateEntity(templateId, clock));

    public static EntityIdExtractor<IWithTemplateId> Extractor { get; } = new(m => m.TemplateId, ShardCount);

    protected override (Rejection? Rejection, ImmutableArray<ITemplateEvent> Events) Decide(
        TemplateState state, ITemplateCommand command, DateTimeOffset now) => TemplateDecisions.Decide(state, command, now);

    protected override TemplateState Apply(TemplateState state, ITemplateEvent evt) => state.Apply(evt);

    protected override TemplateReply Ok(TemplateState state, long version) => TemplateReply.Ok(state, version);

    protected override TemplateReply Fail(Rejection failure) => TemplateReply.Fail(failure);
}
