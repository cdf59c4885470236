using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Security;
using MsgMate.Actors.Storage;
using MsgMate.Actors.Templates;
using MsgMate.Http.Infrastructure;
using MsgMate.Http.Messages;

namespace MsgMate.Http.Schedules;

/// <summary>The <c>/scheduled/*</c> routes: one-off and recurring schedules, each its own entity.</summary>
public static class ScheduleApi
{
    private const int MaxScheduleIdLength = 64;

    private static readonly ApiField ScheduleIdField = Field.Text(
        "schedule_id", "The schedule's id, as scheduled/create answered it", maxLength: MaxScheduleIdLength, required: true);

    private static readonly ApiField[] RecurrenceFields =
    [
        Field.Text("cron", "Recurring: a cron expression (5 fields, or 6 with seconds) in time_zone", maxLength: Recurrences.MaxCronLength),
        Field.Int("interval_seconds", "Recurring: every so many seconds from scheduled_time (0 or absent: not an interval)",
            min: 0, max: 366L * 24 * 3600, wide: true),
        Field.Text("time_zone", "The cron's time zone (IANA name, e.g. Asia/Shanghai); default: the node's configured zone",
            maxLength: Recurrences.MaxTimeZoneLength),
        Field.Time("end_time", "Recurring: no firing after this time"),
        Field.Int("max_count", "Recurring: at most this many firings (0: no limit)", min: 0),
    ];

    public static IEndpointRouteBuilder MapScheduleApi(this IEndpointRouteBuilder app, MsgMateOptions options)
    {
        var group = app.MapGroup("/scheduled").WithTags("Schedules").RequireScope(Scope.Schedules);
        group.MapPost("/create", CreateAsync).Audited("schedule.create", "schedule_id")
            .AcceptsBody<CreateScheduleRequest>([
                .. MessageApi.SendFieldDocs("template_id", "template_data", options.Limits),
                Field.Time("scheduled_time", "When to send (at most 10 years ahead); for cron the earliest start, for interval_seconds the first firing"),
                .. RecurrenceFields])
            .Produces<CreateScheduleResponse>()
            .WithErrors(ResultCode.TemplateNotFound, ResultCode.TemplateNotUsable, ResultCode.Conflict)
            .WithSummary("Schedule a send: once at scheduled_time, or recurring (cron or interval_seconds, optional end_time / max_count)")
            .WithDescription("Give scheduled_time, or cron / interval_seconds for a recurring schedule (not both cron and interval_seconds); " +
                "the send fields follow send_msg: at least one recipient and exactly one of `template_id` and `content`.");
        group.MapGet("/get", GetAsync).Produces<GetScheduleResponse>()
            .WithQueryParameters(ScheduleIdField)
            .WithErrors(ResultCode.ScheduleNotFound)
            .WithSummary("A schedule, with its next fire times");
        group.MapGet("/list", ListAsync).Produces<ScheduleListResponse>()
            .WithQueryParameters(
                Field.Page, Field.PageSize,
                Field.IntChoice("status", "1 pending, 2 sent, 3 cancelled, 4 failed, 5 paused",
                    [ScheduleStatus.Pending, ScheduleStatus.Sent, ScheduleStatus.Cancelled, ScheduleStatus.Failed, ScheduleStatus.Paused]))
            .WithSummary("Schedules, newest first; status 1 pending, 2 sent, 3 cancelled, 4 failed, 5 paused");
        group.MapPost("/cancel", CancelAsync).Audited("schedule.cancel", "schedule_id")
            .AcceptsBody<ScheduleIdRequest>(ScheduleIdField).Produces<Envelope>()
            .WithErrors(ResultCode.ScheduleNotFound, ResultCode.Conflict)
            .WithSummary("Cancel a pending schedule");
        group.MapPost("/pause", (HttpRequest http, ScheduleService schedules, MsgMateOptions options, CancellationToken ct) =>
                ByIdAsync(http, schedules, options, id => new ScheduleCommands.Pause(id), ct))
            .Audited("schedule.pause", "schedule_id")
            .AcceptsBody<ScheduleIdRequest>(ScheduleIdField).Produces<Envelope>()
            .WithErrors(ResultCode.ScheduleNotFound, ResultCode.Conflict)
            .WithSummary("Pause a pending schedule");
        group.MapPost("/resume", (HttpRequest http, ScheduleService schedules, MsgMateOptions options, CancellationToken ct) =>
                ByIdAsync(http, schedules, options, id => new ScheduleCommands.Resume(id), ct))
            .Audited("schedule.resume", "schedule_id")
            .AcceptsBody<ScheduleIdRequest>(ScheduleIdField).Produces<Envelope>()
            .WithErrors(ResultCode.ScheduleNotFound, ResultCode.Conflict)
            .WithSummary("Resume a paused schedule");
        group.MapPost("/update", UpdateAsync).Audited("schedule.update", "schedule_id")
            .AcceptsBody<UpdateScheduleRequest>([
                ScheduleIdField,
                Field.Time("scheduled_time", "The new time (reschedule)"),
                Field.TemplateData("template_data", options.Limits) with
                {
                    Description = "New values for the {{placeholders}} (they replace the old ones), within the limits of scheduled/create's template_data",
                },
                Field.Text("subject", "A new subject", maxLength: TemplateDecisions.MaxSubjectLength),
                Field.IntChoice("priority", "A new priority: 1 low, 2 medium, 3 high; 0 or absent keeps it",
                    [0, MessagePriority.Low, MessagePriority.Medium, MessagePriority.High]),
                .. RecurrenceFields,
                Field.Bool("once", "true: make a recurring schedule a one-off at scheduled_time (not with cron or interval_seconds)")])
            .Produces<Envelope>()
            .WithErrors(ResultCode.ScheduleNotFound, ResultCode.TemplateNotFound, ResultCode.TemplateNotUsable, ResultCode.Conflict)
            .WithSummary("Reschedule or edit a pending schedule (time, template_data, subject, priority, recurrence)");
        return app;
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest http, ScheduleService schedules, IntakeService intake, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<CreateScheduleRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var (to, toError) = SendFields.ParseTo(req.To);
        var (data, dataError) = SendFields.ParseTemplateData(req.TemplateData);
        var (firstAt, timeError) = WireTime.ParseOptional(req.ScheduledTime, "scheduled_time", options.Zone);
        var (recurrence, recurrenceError) = ParseRecurrence(req.Cron, req.IntervalSeconds, req.TimeZone, req.EndTime, req.MaxCount, options);
        var invalid = toError ?? dataError ?? timeError ?? recurrenceError
            ?? (recurrence is null && firstAt is null ? "scheduled_time is required (or cron / interval_seconds for a recurring schedule)" : null);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }
        var spec = new ScheduleSpec(
            http.Caller().SourceId, to,
            [.. (req.UserIds ?? []).Select(u => u?.Trim() ?? "")], [.. (req.Tags ?? []).Select(t => t?.Trim() ?? "")],
            [.. req.Channels ?? []], req.Subject ?? "", req.Priority is null or 0 ? MessagePriority.Medium : req.Priority.Value,
            string.IsNullOrWhiteSpace(req.TemplateId) ? null : req.TemplateId.Trim(), string.IsNullOrEmpty(req.Content) ? null : req.Content,
            data);
        // Refuse at once what could never fire: unknown template, a placeholder without a value, a bad address.
        var (_, rejection) = await intake.CheckAsync(spec.ToSendRequest(""), ct);
        if (rejection is not null)
        {
            return Api.Error(rejection.Code, rejection.Message);
        }
        var id = ScheduleService.NewScheduleId();
        var reply = await schedules.SendAsync(new ScheduleCommands.Create(id, spec, firstAt ?? 0, recurrence), ct);
        return reply.IsOk ? Api.Ok(new CreateScheduleResponse(id)) : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> GetAsync(HttpRequest http, ScheduleService schedules, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var id = RequestReader.Query(http, "schedule_id");
        if (id is null || id.Length > MaxScheduleIdLength)
        {
            return Api.Invalid($"schedule_id is required (at most {MaxScheduleIdLength} characters)");
        }
        var reply = await schedules.SendAsync(new ScheduleCommands.Get(id), ct);
        return reply is { IsOk: true, State: { } state }
            ? Api.Ok(new GetScheduleResponse(ScheduleDto.From(state, options.Zone, clock.GetUtcNow().ToUnixTimeMilliseconds())))
            : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> ListAsync(HttpRequest http, ScheduleService schedules, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        var (status, statusError) = RequestReader.QueryOptionalInt(http, "status");
        var error = pagingError ?? statusError
            ?? (status is null || ScheduleStatus.IsKnown(status.Value) ? null : Api.Invalid("status must be 1 pending, 2 sent, 3 cancelled, 4 failed or 5 paused"));
        if (error is not null)
        {
            return error;
        }
        var page = await schedules.ReadModel.ListAsync(paging, status, ct);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return Api.Ok(new ScheduleListResponse(page.Items.Select(s => ScheduleDto.From(s, options.Zone, now)).ToList(), page.Total, paging.Page, paging.PageSize));
    }

    private static async Task<IResult> UpdateAsync(HttpRequest http, ScheduleService schedules, IntakeService intake, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<UpdateScheduleRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (string.IsNullOrWhiteSpace(req.ScheduleId) || req.ScheduleId.Length > MaxScheduleIdLength)
        {
            return Api.Invalid($"schedule_id is required (at most {MaxScheduleIdLength} characters)");
        }
        var (firstAt, timeError) = WireTime.ParseOptional(req.ScheduledTime, "scheduled_time", options.Zone);
        var (recurrence, recurrenceError) = ParseRecurrence(req.Cron, req.IntervalSeconds, req.TimeZone, req.EndTime, req.MaxCount, options);
        var (data, dataError) = req.TemplateData is null ? (null, null) : SendFields.ParseTemplateData(req.TemplateData);
        var invalid = timeError ?? recurrenceError ?? dataError
            ?? (req.Priority is null or 0 or (>= 1 and <= 3) ? null : "priority must be 1, 2 or 3")
            ?? (req.Once == true && recurrence is not null ? "once cannot be combined with cron or interval_seconds" : null);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }

        ScheduleSpec? spec = null;
        if (data is not null || req.Subject is not null || req.Priority is > 0)
        {
            var current = await schedules.SendAsync(new ScheduleCommands.Get(req.ScheduleId), ct);
            if (current is not { IsOk: true, State.Spec: { } existing })
            {
                return Api.Error(current.Code, current.Message);
            }
            spec = existing with
            {
                TemplateData = data ?? existing.TemplateData,
                Subject = req.Subject ?? existing.Subject,
                Priority = req.Priority is > 0 ? req.Priority.Value : existing.Priority,
            };
            var (_, rejection) = await intake.CheckAsync(spec.ToSendRequest(""), ct);
            if (rejection is not null)
            {
                return Api.Error(rejection.Code, rejection.Message);
            }
        }
        var reply = await schedules.SendAsync(new ScheduleCommands.Edit(req.ScheduleId, spec, firstAt, recurrence, req.Once == true), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> CancelAsync(HttpRequest http, ScheduleService schedules, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<ScheduleIdRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (string.IsNullOrWhiteSpace(req.ScheduleId) || req.ScheduleId.Length > MaxScheduleIdLength)
        {
            return Api.Invalid($"schedule_id is required (at most {MaxScheduleIdLength} characters)");
        }
        var reply = await schedules.CancelAsync(req.ScheduleId, ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static async Task<IResult> ByIdAsync(
        HttpRequest http, ScheduleService schedules, MsgMateOptions options, Func<string, IScheduleCommand> command, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<ScheduleIdRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (string.IsNullOrWhiteSpace(req.ScheduleId) || req.ScheduleId.Length > MaxScheduleIdLength)
        {
            return Api.Invalid($"schedule_id is required (at most {MaxScheduleIdLength} characters)");
        }
        var reply = await schedules.SendAsync(command(req.ScheduleId), ct);
        return reply.IsOk ? Api.Ok() : Api.Error(reply.Code, reply.Message);
    }

    private static (Recurrence? Recurrence, string? Error) ParseRecurrence(
        string? cron, long? intervalSeconds, string? timeZone, string? endTime, int? maxCount, MsgMateOptions options)
    {
        if (string.IsNullOrWhiteSpace(cron) && intervalSeconds is null or 0)
        {
            return (null, endTime is not null || maxCount is not null ? "end_time and max_count apply to recurring schedules (cron or interval_seconds)" : null);
        }
        if (intervalSeconds is < 0 or > 366L * 24 * 3600)
        {
            return (null, "interval_seconds must be between 1 and 31622400");
        }
        var (end, endError) = WireTime.ParseOptional(endTime, "end_time", options.Zone);
        if (endError is not null)
        {
            return (null, endError);
        }
        var recurrence = new Recurrence(cron?.Trim() ?? "", (intervalSeconds ?? 0) * 1000, timeZone ?? options.TimeZone, end ?? 0, maxCount ?? 0);
        return (recurrence, Recurrences.Validate(recurrence));
    }
}
