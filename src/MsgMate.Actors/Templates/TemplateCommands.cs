using MsgMate.Actors.Common;

namespace MsgMate.Actors.Templates;

public interface IWithTemplateId : IMsgMateMessage
{
    string TemplateId { get; }
}

public interface ITemplateCommand : IWithTemplateId;

/// <summary>A partial change: null or empty leaves a field as it is; channel 0 keeps the channel.</summary>
public sealed record TemplatePatch(
    string? SourceId = null,
    string? Name = null,
    int? Channel = null,
    string? Subject = null,
    string? Content = null,
    string? SignName = null,
    string? RelTemplateId = null);

public static class TemplateCommands
{
    public sealed record Create(string TemplateId, TemplateDraft Draft) : ITemplateCommand;

    public sealed record Update(string TemplateId, TemplatePatch Patch) : ITemplateCommand;

    public sealed record Delete(string TemplateId) : ITemplateCommand;

    public sealed record Get(string TemplateId) : ITemplateCommand;
}

public sealed record TemplateReply(ResultCode Code, string Message, TemplateState? State, long Version) : IMsgMateMessage, IEntityReply<TemplateState>
{
    public bool IsOk => Code == ResultCode.Ok;

    public static TemplateReply Ok(TemplateState state, long version) => new(ResultCode.Ok, "ok", state, version);

    public static TemplateReply Fail(Rejection failure) => new(failure.Code, failure.Message, null, 0);
}
