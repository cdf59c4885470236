using Akka.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Schedules;

/// <summary>Schedules for the HTTP layer: commands to the entity, lists from the read model.</summary>
public sealed class ScheduleService(
    IRequiredActor<ScheduleEntity> region, ScheduleReadModel readModel, Delivery.RecordStore records, TimeProvider clock,
    MsgMateOptions options, ILogger<ScheduleService> log)
    : EntityGateway<ScheduleEntity, IScheduleCommand, ScheduleState, ScheduleReply>(region, options.AskTimeout, log)
{
    public ScheduleReadModel ReadModel => readModel;

    /// <summary>Cancels a schedule and, for a future send_msg, the records it would have released.</summary>
    public async Task<ScheduleReply> CancelAsync(string scheduleId, CancellationToken ct = default)
    {
        var reply = await SendAsync(new ScheduleCommands.Cancel(scheduleId), ct);
        if (reply.IsOk)
        {
            await records.CancelScheduledAsync(scheduleId, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        }
        return reply;
    }

    /// <summary>Schedule ids are UUIDs (36 characters), as the Go project issued them.</summary>
    public static string NewScheduleId() => Guid.NewGuid().ToString();

    protected override bool IsRead(IScheduleCommand command) => command is ScheduleCommands.Get or ScheduleCommands.Wake;

    protected override Task UpsertReadModelAsync(ScheduleState state, long version, CancellationToken ct) =>
        readModel.UpsertAsync(state, version, ct);
}
