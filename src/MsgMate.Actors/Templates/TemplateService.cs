using Akka.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

/// <summary>Templates for the HTTP layer: commands to the entity, lists from the read model.</summary>
public sealed class TemplateService(
    IRequiredActor<TemplateEntity> region, TemplateReadModel readModel, MsgMateOptions options, ILogger<TemplateService> log)
    : EntityGateway<TemplateEntity, ITemplateCommand, TemplateState, TemplateReply>(region, options.AskTimeout, log)
{
    public TemplateReadModel ReadModel => readModel;

    /// <summary>Template ids are UUIDs (36 characters), as the Go project issued them.</summary>
    public static string NewTemplateId() => Guid.NewGuid().ToString();

    protected override bool IsRead(ITemplateCommand command) => command is TemplateCommands.Get;

    protected override Task UpsertReadModelAsync(TemplateState state, long version, CancellationToken ct) =>
        readModel.UpsertAsync(state, version, ct);
}
