using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Operations;
using MsgMate.Actors.Security;
using MsgMate.Http.Infrastructure;
using MsgMate.Http.Messages;

namespace MsgMate.Http.Admin;

/// <summary>
/// The queue part of the admin API (what <c>msgmate queue lag</c> and <c>msgmate dead-letters …</c> call): each lane's
/// depth, in-flight, waiting retries and, on Kafka, the consumer lag; the dead letters and their re-drive. Admin scope
/// only; answered while the node is leaving, as the cluster routes are.
/// </summary>
public static class QueueAdminApi
{
    /// <summary>How long the record store and the brokers may take to answer <c>GET /admin/queue</c>.</summary>
    public static readonly TimeSpan InspectTimeout = TimeSpan.FromSeconds(5);

    private const int MaxMsgIdLength = 64;

    public static IEndpointRouteBuilder MapQueueAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin").WithTags("Queue").RequireScope(Scope.Admin);
        group.MapGet("/queue", QueueAsync).WithName("adminQueue").Produces<QueueResponse>()
            .WithSummary("Each lane of the delivery queue: records due and not claimed, in flight, waiting (retries in their backoff), not yet published, the oldest due one's age; on Kafka the consumer lag from the brokers");
        group.MapGet("/dead-letters", DeadLettersAsync).WithName("adminDeadLetters").Produces<DeadLetterListResponse>()
            .WithQueryParameters(
                Field.Channel("channel", "Only this channel"),
                Field.Time("start_time", "Failed from this time"), Field.Time("end_time", "Failed until this time"),
                Field.Page, Field.PageSize)
            .WithSummary("Messages that failed for good and were not re-driven since, newest first, with their last error");
        group.MapPost("/dead-letters/redrive", RedriveAsync).WithName("adminDeadLettersRedrive")
            .Audited("deadletters.redrive")
            .AcceptsBody<RedriveRequest>([
                Field.List("msg_ids", "These dead letters", Field.Text("", "", maxLength: MaxMsgIdLength), maxItems: MessageService.MaxRedrive),
                Field.Channel("channel", "The dead letters of this channel"),
                Field.Time("start_time", "Failed from this time"), Field.Time("end_time", "Failed until this time"),
                Field.Bool("all", "Every dead letter (required when nothing else selects)"),
                Field.Int("limit", $"At most this many, oldest first (1 to {MessageService.MaxRedrive})", min: 1, max: MessageService.MaxRedrive,
                    @default: MessageService.MaxRedrive)])
            .Produces<RedriveResponse>()
            .WithSummary("Re-drive dead letters (by id, channel, time, or all): each message pending again with a fresh retry budget; the answer says how many still match")
            .WithDescription($"One call re-drives at most `limit` ({MessageService.MaxRedrive} at most) in one transaction; call again while `remaining` > 0.");
        return app;
    }

    private static async Task<IResult> QueueAsync(QueueInspector queue, CancellationToken ct)
    {
        var report = await queue.InspectAsync(InspectTimeout, ct);
        return Api.Ok(new QueueResponse(report.Queue, [.. report.Lanes.Select(l => LaneDto.From(l, report.At))], report.LagProblem));
    }

    private static async Task<IResult> DeadLettersAsync(HttpRequest http, MessageService messages, MsgMateOptions options, CancellationToken ct)
    {
        var (paging, pagingError) = RequestReader.Paging(http);
        var (channel, channelError) = RequestReader.QueryOptionalInt(http, "channel");
        var (from, fromError) = MessageApi.QueryTime(http, "start_time", options.Zone);
        var (until, untilError) = MessageApi.QueryTime(http, "end_time", options.Zone);
        var error = pagingError ?? channelError ?? fromError ?? untilError
            ?? (channel is null || KnownChannels.IsKnown(channel.Value) ? null : Api.Invalid($"channel must be one of {KnownChannels.Range}"));
        if (error is not null)
        {
            return error;
        }
        var page = await messages.DeadLettersAsync(new DeadLetterFilter(Channel: channel, From: from, Until: until), paging, ct);
        return Api.Ok(new DeadLetterListResponse(
            [.. page.Items.Select(d => DeadLetterDto.From(d, options.Zone))], page.Total, paging.Page, paging.PageSize));
    }

    private static async Task<IResult> RedriveAsync(HttpRequest http, MessageService messages, MsgMateOptions options, CancellationToken ct)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<RedriveRequest>(http, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        var ids = req.MsgIds?.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id!.Trim()).Distinct().ToList();
        var (from, fromError) = WireTime.ParseOptional(req.StartTime, "start_time", options.Zone);
        var (until, untilError) = WireTime.ParseOptional(req.EndTime, "end_time", options.Zone);
        var problem =
            ids?.Count > MessageService.MaxRedrive ? $"msg_ids holds at most {MessageService.MaxRedrive} ids"
            : ids?.FirstOrDefault(id => id.Length > MaxMsgIdLength) is { } longId ? $"msg_ids: '{InputText.Quote(longId)}' is longer than {MaxMsgIdLength} characters"
            : req.Channel is { } c && !KnownChannels.IsKnown(c) ? $"channel must be one of {KnownChannels.Range}"
            : fromError ?? untilError;
        if (problem is not null)
        {
            return Api.Invalid(problem);
        }
        var filter = new DeadLetterFilter(ids is { Count: > 0 } ? ids : null, req.Channel, from, until);
        var (count, remaining, rejection) = await messages.RedriveDeadLettersAsync(filter, req.All == true, req.Limit ?? MessageService.MaxRedrive, ct);
        return rejection is null ? Api.Ok(new RedriveResponse(count, remaining)) : Api.Error(rejection.Code, rejection.Message);
    }
}
