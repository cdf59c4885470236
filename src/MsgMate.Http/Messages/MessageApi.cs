using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Schedules;
using MsgMate.Actors.Security;
using MsgMate.Actors.Templates;
using MsgMate.Actors.Users;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Messages;

/// <summary>Sending and following messages: send_msg, records, cancel, resend, statistics. Validate, ask, map.</summary>
public static class MessageApi
{
    /// <summary>A message id as issued (a UUID) is 36 characters; the routes take at most 64.</summary>
    private const int MaxMsgIdLength = 64;

    /// <summary>The send fields send_msg and scheduled/create share (named the same in both), with the configured limits.</summary>
    internal static ApiField[] SendFieldDocs(string templateIdName, string templateDataName, LimitOptions limits) =>
    [
        new("to", default,
            $"Direct addresses for the channel in use: one, several separated by commas, or a list (at most {limits.MaxDirectRecipients}, " +
            $"each at most {SendPlanner.MaxAddressLength} characters)")
        {
            OneOf =
            [
                Field.Text("", ""),
                Field.List("", "", Field.Text("", "", maxLength: SendPlanner.MaxAddressLength), maxItems: limits.MaxDirectRecipients),
            ],
        },
        Field.List("user_ids", $"Users to reach at their contact for the channel (at most {limits.MaxUserIds})",
            Field.Text("", "", maxLength: UserId.MaxLength, pattern: UserId.AllowedPattern), maxItems: limits.MaxUserIds),
        Field.List("tags", $"Enabled users carrying any of these tags (at most {limits.MaxTags})",
            Field.Text("", "", maxLength: UserValidation.MaxTagLength) with { MinLength = 1 }, maxItems: limits.MaxTags),
        Field.List("channels", $"With inline content (required then): the channels to send on, {KnownChannels.Range}",
            Field.IntChoice("", "", Field.ChannelValues), maxItems: KnownChannels.Count),
        Field.Text("subject", "Overrides the template's subject when not empty", maxLength: TemplateDecisions.MaxSubjectLength),
        Field.IntChoice("priority", "1 low, 2 medium, 3 high; 0 or absent: 2", [0, MessagePriority.Low, MessagePriority.Medium, MessagePriority.High]),
        Field.Text(templateIdName, "The template to send (or give content instead)", maxLength: SendPlanner.MaxTemplateIdLength),
        Field.Text("content", $"Inline content with {{{{placeholders}}}} (at most {TemplateText.MaxPlaceholders} distinct), instead of a template (needs channels)",
            maxLength: TemplateDecisions.MaxContentLength),
        Field.TemplateData(templateDataName, limits),
    ];

    private static readonly ApiField MsgIdBodyField = Field.Text("msgID", "The message's id, as send_msg answered it", maxLength: MaxMsgIdLength, required: true);

    public static IEndpointRouteBuilder MapMessageApi(this IEndpointRouteBuilder app, MsgMateOptions options)
    {
        var group = app.MapGroup("/msg").WithTags("Messages");
        group.MapPost("/send_msg", SendAsync).RequireScope(Scope.Send)
            .AcceptsBody<SendMsgRequest>([
                .. SendFieldDocs("templateID", "templateData", options.Limits),
                Field.Int("sendTimestamp", "When to send: Unix seconds or milliseconds; absent, 0 or past: now; at most 10 years ahead", min: 0, wide: true)])
            .WithIdempotencyKey()
            .Produces<SendMsgResponse>()
            .WithErrors(ResultCode.TemplateNotFound, ResultCode.UserNotFound, ResultCode.TemplateNotUsable, ResultCode.Conflict, ResultCode.QuotaExceeded)
            .WithSummary("Send to `to`, `user_ids` and/or `tags`, with a templateID or inline content + channels; answers once the records are stored. Headers: Source-Id, Idempotency-Key")
            .WithDescription("Give at least one recipient (`to`, `user_ids` or `tags`) and exactly one of `templateID` and `content`; " +
                "inline content needs `channels`. A placeholder without a value in `templateData` is an error (8020), and so is a send " +
                $"reaching more than {options.Limits.MaxRecordsPerSend} recipients × channels or a rendered message over its channel's limit " +
                $"(bytes of subject and body: email {options.Limits.Rendered.Email}, Lark {options.Limits.Rendered.Lark} (card {options.Limits.Rendered.LarkCard}), " +
                $"WeCom {options.Limits.Rendered.WeCom} (markdown {options.Limits.Rendered.WeComMarkdown}), DingTalk {options.Limits.Rendered.DingTalk}, " +
                $"webhook {options.Limits.Rendered.Webhook}; SMS {options.Limits.Rendered.Sms} characters; a rendered subject at most {SendPlanner.MaxRenderedSubjectLength} characters).");
        group.MapGet("/get_msg_record", GetRecordAsync).RequireScope(Scope.Read).Produces<GetMsgRecordResponse>()
            .WithQueryParameters(Field.Text("msgID", "The message's id, as send_msg answered it", maxLength: MaxMsgIdLength, required: true))
            .WithErrors(ResultCode.MessageNotFound)
            .WithSummary("A message record with its status, attempts and last error");
        group.MapGet("/list_msg_records", ListRecordsAsync).RequireScope(Scope.Read).Produces<RecordListResponse>()
            .WithQueryParameters(
                Field.Page, Field.PageSize,
                Field.Text("msg_id", "Only this message", maxLength: MaxMsgIdLength),
                Field.Text("to", "Only this address", maxLength: SendPlanner.MaxAddressLength),
                Field.IntChoice("status", "1 pending, 2 sent, 3 failed, 4 retrying, 5 cancelled, 6 scheduled",
                    [MessageStatus.Pending, MessageStatus.Sent, MessageStatus.Failed, MessageStatus.Retrying, MessageStatus.Cancelled, MessageStatus.Scheduled]),
                Field.Channel("channel", "Only this channel"),
                Field.IntChoice("priority", "1 low, 2 medium, 3 high", [MessagePriority.Low, MessagePriority.Medium, MessagePriority.High]),
                Field.Text("batch_id", "Only this send (send_msg's batchID)", maxLength: MaxMsgIdLength),
                Field.Text("source_id", "Only sends with this Source-Id", maxLength: OpenApiExtensions.MaxSourceIdLength),
                Field.Text("schedule_id", "Only firings of this schedule", maxLength: MaxMsgIdLength),
                Field.Time("start_time", "Created at or after"),
                Field.Time("end_time", "Created at or before"))
            .WithSummary("Records, newest first; filters msg_id, to, status, channel, priority, batch_id, source_id, schedule_id, start_time, end_time");
        group.MapPost("/cancel", CancelAsync).Audited("msg.cancel", "msgID").RequireScope(Scope.Send)
            .AcceptsBody<MsgIdRequest>(MsgIdBodyField).Produces<Envelope>()
            .WithErrors(ResultCode.MessageNotFound, ResultCode.Conflict)
            .WithSummary("Cancel a message not delivered yet (e.g. a future sendTimestamp)");
        group.MapPost("/resend", ResendAsync).Audited("msg.resend", "msgID", "batchID").RequireScope(Scope.Send)
            .AcceptsBody<ResendRequest>(
                MsgIdBodyField with { Required = false, MinLength = null, Description = "One failed message (or give batchID)" },
                Field.Text("batchID", "Every failed message of a send (or give msgID)", maxLength: MaxMsgIdLength))
            .Produces<CountResponse>()
            .WithErrors(ResultCode.MessageNotFound, ResultCode.Conflict)
            .WithSummary("Re-drive failed messages: one (msgID) or a whole batch (batchID)")
            .WithDescription("Give exactly one of `msgID` and `batchID`. 8049/409 when nothing there has failed.");
        group.MapGet("/statistics", StatisticsAsync).RequireScope(Scope.Read).Produces<StatisticsResponse>()
            .WithQueryParameters(
                Field.Time("start_time", "From (default: a day before end_time); at most 366 days before end_time"),
                Field.Time("end_time", "Until (default: now)"),
                Field.Choice("granularity", "Bucket size (case-insensitive)", ["hour", "day"], @default: "hour"))
            .WithSummary("Counts by status, channel and priority per hour or day (granularity) over start_time..end_time");
        return app;
    }

    private static async Task<IResult> SendAsync(HttpRequest http, IntakeService intake, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<SendMsgRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var (to, toError) = SendFields.ParseTo(req.To);
        var (data, dataError) = SendFields.ParseTemplateData(req.TemplateData);
        // The header lengths are DocumentedLimits' (every route).
        var sourceId = http.Caller().SourceId;
        var idempotencyKey = http.Headers[OpenApiExtensions.IdempotencyKeyHeader].ToString();
        var sendAt = req.SendTimestamp is { } ts and > 0 ? (ts < 100_000_000_000 ? ts * 1000 : ts) : 0;
        var invalid = toError ?? dataError
            ?? (req.SendTimestamp is < 0 ? "sendTimestamp must not be negative" : null)
            ?? (sendAt > clock.GetUtcNow().Add(ScheduleDecisions.MaxAhead).ToUnixTimeMilliseconds()
                ? $"sendTimestamp must be at most {ScheduleDecisions.MaxAhead.TotalDays / 365.25:0} years ahead" : null);
        if (invalid is not null)
        {
            return Api.Invalid(invalid);
        }

        var request = new SendRequest(
            sourceId,
            to,
            [.. (req.UserIds ?? []).Select(u => u?.Trim() ?? "")],
            [.. (req.Tags ?? []).Select(t => t?.Trim() ?? "")],
            [.. req.Channels ?? []],
            req.Subject ?? "",
            req.Priority is null or 0 ? MessagePriority.Medium : req.Priority.Value,
            string.IsNullOrWhiteSpace(req.TemplateId) ? null : req.TemplateId.Trim(),
            string.IsNullOrEmpty(req.Content) ? null : req.Content,
            data,
            sendAt);
        var answer = await intake.SubmitAsync(request, idempotencyKey.Length == 0 ? null : idempotencyKey, ct);
        if (answer.RetryAfterSeconds > 0)
        {
            http.HttpContext.Response.Headers.RetryAfter = answer.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return answer.IsOk
            ? Api.Ok(new SendMsgResponse(answer.MsgIds[0], answer.MsgIds, answer.BatchId, answer.Count, answer.Truncated))
            : Api.Error(answer.Code, answer.Message);
    }

    private static async Task<IResult> GetRecordAsync(HttpRequest http, MessageService messages, RecordStore records, MsgMateOptions options, CancellationToken ct)
    {
        var msgId = RequestReader.Query(http, "msgID");
        if (msgId is null || msgId.Length > MaxMsgIdLength)
        {
            return Api.Invalid($"msgID is required (at most {MaxMsgIdLength} characters)");
        }
        var record = await messages.GetAsync(msgId, http.Caller().OwnSourceOnly, ct);
        if (record is null)
        {
            return Api.Error(ResultCode.MessageNotFound, $"message {InputText.Quote(msgId)} not found");
        }
        var zone = options.Zone;
        var attempts = (await records.AttemptsAsync(msgId, ct))
            .Select(a => new AttemptDto(a.Attempt, RecordItemDto.Time(a.At, zone), a.Channel, a.Provider, a.Outcome, a.Error, a.DurationMs, a.Node, a.ProviderMessageId))
            .ToList();
        using var data = JsonDocument.Parse(record.TemplateData);
        return Api.Ok(new GetMsgRecordResponse(
            record.MsgId, record.To, record.Subject, record.TemplateId, data.RootElement.Clone(), record.Status, record.Channel,
            record.Priority, record.RetryCount, record.RetryCount, record.Attempts, attempts, record.LastError, record.ProviderMessageId, record.BatchId,
            record.SourceId, record.ScheduleId, record.UserId, RecordItemDto.Time(record.NotBefore, zone),
            record.SentTime == 0 ? "" : RecordItemDto.Time(record.SentTime, zone),
            RecordItemDto.Time(record.CreateTime, zone), RecordItemDto.Time(record.ModifyTime, zone)));
    }

    private static async Task<IResult> ListRecordsAsync(HttpRequest http, RecordStore records, MsgMateOptions options, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        var (status, statusError) = RequestReader.QueryOptionalInt(http, "status");
        var (channel, channelError) = RequestReader.QueryOptionalInt(http, "channel");
        var (priority, priorityError) = RequestReader.QueryOptionalInt(http, "priority");
        var (from, fromError) = QueryTime(http, "start_time", options.Zone);
        var (until, untilError) = QueryTime(http, "end_time", options.Zone);
        var own = http.Caller().OwnSourceOnly;
        var source = RequestReader.Query(http, "source_id");
        var error = pagingError ?? statusError ?? channelError ?? priorityError ?? fromError ?? untilError
            ?? (own is null || source is null || source == own ? null
                : Api.Error(ResultCode.Forbidden, $"this key reads the records of source {InputText.Quote(own)} only"))
            ?? (status is null || MessageStatus.IsKnown(status.Value) ? null : Api.Invalid("status must be 1 pending, 2 sent, 3 failed, 4 retrying, 5 cancelled or 6 scheduled"))
            ?? (channel is null || KnownChannels.IsKnown(channel.Value) ? null : Api.Invalid($"channel must be one of {KnownChannels.Range}"))
            ?? (priority is null or >= 1 and <= 3 ? null : Api.Invalid("priority must be 1, 2 or 3"));
        if (error is not null)
        {
            return error;
        }
        var page = await records.ListAsync(new RecordQuery(
            paging, RequestReader.Query(http, "msg_id"), RequestReader.Query(http, "to"), status, channel, priority,
            RequestReader.Query(http, "batch_id"), own ?? source, RequestReader.Query(http, "schedule_id"),
            from, until), ct);
        return Api.Ok(new RecordListResponse(
            page.Items.Select(r => RecordItemDto.From(r, options.Zone)).ToList(), page.Total, paging.Page, paging.PageSize));
    }

    private static async Task<IResult> CancelAsync(HttpRequest http, MessageService messages, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<MsgIdRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (string.IsNullOrWhiteSpace(req.MsgId) || req.MsgId.Length > MaxMsgIdLength)
        {
            return Api.Invalid($"msgID is required (at most {MaxMsgIdLength} characters)");
        }
        var problem = await messages.CancelAsync(req.MsgId, http.Caller().OwnSourceOnly, ct);
        return problem is null ? Api.Ok() : Api.Error(problem.Code, problem.Message);
    }

    private static async Task<IResult> ResendAsync(HttpRequest http, MessageService messages, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<ResendRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var msgId = string.IsNullOrWhiteSpace(req.MsgId) ? null : req.MsgId;
        var batchId = string.IsNullOrWhiteSpace(req.BatchId) ? null : req.BatchId;
        if ((msgId is null) == (batchId is null))
        {
            return Api.Invalid("give either msgID or batchID");
        }
        if ((msgId ?? batchId)!.Length > MaxMsgIdLength)
        {
            return Api.Invalid($"{(msgId is null ? "batchID" : "msgID")} must be at most {MaxMsgIdLength} characters");
        }
        var (count, problem) = await messages.ResendAsync(msgId, batchId, http.Caller().OwnSourceOnly, ct);
        return problem is null ? Api.Ok(new CountResponse(count)) : Api.Error(problem.Code, problem.Message);
    }

    private static async Task<IResult> StatisticsAsync(HttpRequest http, RecordStore records, MsgMateOptions options, TimeProvider clock, CancellationToken ct)
    {
        var (from, fromError) = QueryTime(http, "start_time", options.Zone);
        var (until, untilError) = QueryTime(http, "end_time", options.Zone);
        var granularity = (RequestReader.Query(http, "granularity") ?? "hour").ToLowerInvariant();
        var error = fromError ?? untilError ?? (granularity is "hour" or "day" ? null : Api.Invalid("granularity must be hour or day"));
        if (error is not null)
        {
            return error;
        }
        var end = until ?? clock.GetUtcNow().ToUnixTimeMilliseconds();
        var start = from ?? end - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        if (start > end || end - start > (long)TimeSpan.FromDays(366).TotalMilliseconds)
        {
            return Api.Invalid("start_time must be before end_time, at most 366 days apart");
        }
        var offset = options.Zone.GetUtcOffset(DateTimeOffset.FromUnixTimeMilliseconds(end));
        var rows = await records.StatisticsAsync(start, end + 1, granularity == "day", offset, http.Caller().OwnSourceOnly, ct);
        var buckets = rows.Select(r => new StatisticsBucketDto(RecordItemDto.Time(r.Bucket, options.Zone), r.Status, r.Channel, r.Priority, r.Count)).ToList();
        var byStatus = rows.GroupBy(r => MessageStatus.Name(r.Status)).ToDictionary(g => g.Key, g => g.Sum(r => r.Count));
        return Api.Ok(new StatisticsResponse(granularity, buckets, byStatus, rows.Sum(r => r.Count)));
    }

    internal static (long? Value, IResult? Error) QueryTime(HttpRequest http, string name, TimeZoneInfo zone)
    {
        var raw = RequestReader.Query(http, name);
        if (raw is null)
        {
            return (null, null);
        }
        return WireTime.TryParse(raw, zone, out var instant)
            ? (instant.ToUnixTimeMilliseconds(), null)
            : (null, Api.Invalid($"{name} must be \"YYYY-MM-DD HH:mm:ss\" or ISO 8601 with an offset"));
    }
}
