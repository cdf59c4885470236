using Akka.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;
using MsgMate.Actors.Delivery;

namespace MsgMate.Actors.Users;

/// <summary>The outcome of erasing a person: a code, and on success what the records part reached.</summary>
public sealed record UserErasure(ResultCode Code, string Message, RecipientErasure? Records)
{
    public bool IsOk => Code == ResultCode.Ok;
}

/// <summary>Users for the HTTP layer: commands to the entity, lists and searches from the read model.</summary>
public sealed class UserService(
    IRequiredActor<UserEntity> region, UserReadModel readModel, RecordStore records, MsgMateOptions options, TimeProvider clock,
    ILogger<UserService> log)
    : EntityGateway<UserEntity, IUserCommand, UserState, UserReply>(region, options.AskTimeout, log)
{
    public UserReadModel ReadModel => readModel;

    /// <summary>
    /// Erases a person: the entity stores the tombstone and compacts its journal (snapshot, earlier events deleted), then
    /// the read model's row becomes a tombstone, then the person's records are masked. In this order, and each step
    /// answered before the next: the journal's tag rows go with the events, so the projection cannot repair a read model
    /// write that failed here — a failure is answered (the caller sends the erase again, every step repeats safely)
    /// instead of being left to it. Unknown users are 9002; an erased one is erased again (a success).
    /// </summary>
    public async Task<UserErasure> EraseAsync(string userId, CancellationToken ct = default)
    {
        var reply = await AskAsync(new UserCommands.Erase(userId), ct);
        if (reply is not { IsOk: true, State: { } state })
        {
            return new UserErasure(reply.Code, reply.Message, null);
        }
        await readModel.UpsertAsync(state, reply.Version, ct);
        var masked = await records.EraseRecipientAsync(userId, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct: ct);
        log.LogInformation("User {UserId} erased: {Records} record(s) masked, {Cancelled} of them cancelled before sending",
            PersonalData.Scrub(userId), masked.RecordsMasked, masked.RecordsCancelled);
        return new UserErasure(ResultCode.Ok, "ok", masked);
    }

    protected override bool IsRead(IUserCommand command) => command is UserCommands.Get;

    protected override Task UpsertReadModelAsync(UserState state, long version, CancellationToken ct) =>
        readModel.UpsertAsync(state, version, ct);
}
