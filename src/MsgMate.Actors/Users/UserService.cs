using Akka.Hosting;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Users;

/// <summary>Users for the HTTP layer: commands to the entity, lists and searches from the read model.</summary>
public sealed class UserService(
    IRequiredActor<UserEntity> region, UserReadModel readModel, MsgMateOptions options, ILogger<UserService> log)
    : EntityGateway<UserEntity, IUserCommand, UserState, UserReply>(region, options.AskTimeout, log)
{
    public UserReadModel ReadModel => readModel;

    protected override bool IsRead(IUserCommand command) => command is UserCommands.Get;

    protected override Task UpsertReadModelAsync(UserState state, long version, CancellationToken ct) =>
        readModel.UpsertAsync(state, version, ct);
}
