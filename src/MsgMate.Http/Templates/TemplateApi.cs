using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Security;
using MsgMate.Actors.Templates;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Templates;

/// <summary>The template routes under <c>/msg</c>. Handlers validate, ask and map.</summary>
public static class TemplateApi
{
    private const int MaxTemplateIdLength = 64;

    private static readonly ApiField TemplateIdField = Field.Text(
        "templateID", "The template's id, as create_template answered it", maxLength: MaxTemplateIdLength, required: true);

    /// <summary>The fields of a template; create requires some, update keeps what is absent or empty.</summary>
    private static ApiField[] DraftFields(bool create) =>
    [
        Field.Text("sourceID", "The business system the template belongs to", maxLength: TemplateDecisions.MaxSourceIdLength, required: create),
        Field.Text("name", "Name", maxLength: TemplateDecisions.MaxNameLength, required: create),
        create
            ? Field.Channel("channel", "The channel it is sent on", required: true)
            : Field.IntChoice("channel", $"The channel it is sent on: {KnownChannels.Range}; 0 or absent keeps it", [0, .. Field.ChannelValues]),
        Field.Text("subject", "Subject (email), may hold {{placeholders}}", maxLength: TemplateDecisions.MaxSubjectLength),
        Field.Text("content", $"The text, with {{{{placeholders}}}} filled from templateData (at most {TemplateText.MaxPlaceholders} distinct, with the subject's)",
            maxLength: TemplateDecisions.MaxContentLength, required: create),
        Field.Text("signName", "SMS signature", maxLength: TemplateDecisions.MaxSignNameLength),
        Field.Text("relTemplateID", "The provider's template id (SMS), or the message type (Lark, DingTalk, WeCom)", maxLength: TemplateDecisions.MaxRelTemplateIdLength),
    ];

    public static IEndpointRouteBuilder MapTemplateApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/msg").WithTags("Templates").RequireScope(Scope.Templates);
        group.MapPost("/create_template", CreateAsync).Audited("template.create", "templateID")
            .AcceptsBody<CreateTemplateRequest>(DraftFields(create: true)).Produces<CreateTemplateResponse>()
            .WithErrors(ResultCode.Conflict)
            .WithSummary("Create a template (sourceID, name, channel, content required); usable at once");
        group.MapGet("/get_template", GetAsync).Produces<GetTemplateResponse>()
            .WithQueryParameters(TemplateIdField)
            .WithErrors(ResultCode.TemplateNotFound)
            .WithSummary("Get a template with its {{placeholders}}");
        group.MapGet("/list_templates", ListAsync).Produces<TemplateListResponse>()
            .WithQueryParameters(
                Field.Page, Field.PageSize,
                Field.Text("source_id", "Only templates of this source", maxLength: TemplateDecisions.MaxSourceIdLength),
                Field.IntChoice("channel", $"Only templates of this channel: {KnownChannels.Range}; 0 or absent: all", [0, .. Field.ChannelValues]))
            .WithSummary("List templates, newest first; filters source_id, channel");
        group.MapPost("/update_template", UpdateAsync).Audited("template.update", "templateID")
            .AcceptsBody<UpdateTemplateRequest>([TemplateIdField, .. DraftFields(create: false)]).Produces<Envelope>()
            .WithErrors(ResultCode.TemplateNotFound)
            .WithSummary("Update a template; absent or empty fields are kept");
        group.MapPost("/del_template", DeleteAsync).Audited("template.delete", "templateID")
            .AcceptsBody<TemplateIdRequest>(TemplateIdField).Produces<Envelope>()
            .WithErrors(ResultCode.TemplateNotFound)
            .WithSummary("Delete a template");
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpRequest http, TemplateService templates, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<CreateTemplateRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var draft = new TemplateDraft(
            req.SourceId?.Trim() ?? "", req.Name ?? "", req.Channel ?? 0, req.Subject ?? "", req.Content ?? "",
            req.SignName ?? "", req.RelTemplateId ?? "");
        var invalid = TemplateDecisions.Validate(draft);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var id = TemplateService.NewTemplateId();
        var reply = await templates.SendAsync(new TemplateCommands.Create(id, draft), ct);
        return reply.IsOk ? Api.Ok(new CreateTemplateResponse(id)) : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> GetAsync(HttpRequest http, TemplateService templates, MsgMateOptions options, CancellationToken ct)
    {
        var id = RequestReader.Query(http, "templateID");
        var invalid = ValidateId(id);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var reply = await templates.SendAsync(new TemplateCommands.Get(id!), ct);
        return reply is { IsOk: true, State: { } state }
            ? Api.Ok(GetTemplateResponse.From(state, options.Zone))
            : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> ListAsync(HttpRequest http, TemplateService templates, MsgMateOptions options, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        if (pagingError is not null)
        {
            return pagingError;
        }
        var (channel, channelError) = RequestReader.QueryInt(http, "channel", 0);
        if (channelError is not null || (channel != 0 && !KnownChannels.IsKnown(channel)))
        {
            return channelError ?? Api.Invalid($"channel must be one of {KnownChannels.Range}");
        }
        var page = await templates.ReadModel.ListAsync(
            new TemplateListQuery(paging, RequestReader.Query(http, "source_id"), channel == 0 ? null : channel), ct);
        return Api.Ok(new TemplateListResponse(
            page.Items.Select(t => TemplateItemDto.From(t, options.Zone)).ToList(), page.Total, paging.Page, paging.PageSize));
    }

    private static async Task<IResult> UpdateAsync(HttpRequest http, TemplateService templates, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<UpdateTemplateRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var invalid = ValidateId(req.TemplateId)
            ?? (req.Channel is null or 0 || KnownChannels.IsKnown(req.Channel.Value) ? null : $"channel must be one of {KnownChannels.Range}");
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var patch = new TemplatePatch(req.SourceId, req.Name, req.Channel, req.Subject, req.Content, req.SignName, req.RelTemplateId);
        var reply = await templates.SendAsync(new TemplateCommands.Update(req.TemplateId!, patch), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> DeleteAsync(HttpRequest http, TemplateService templates, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<TemplateIdRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var invalid = ValidateId(req.TemplateId);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var reply = await templates.SendAsync(new TemplateCommands.Delete(req.TemplateId!), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static string? ValidateId(string? id) =>
        string.IsNullOrWhiteSpace(id) ? "templateID is required"
        : id.Length > MaxTemplateIdLength ? $"templateID must be at most {MaxTemplateIdLength} characters"
        : null;
}
