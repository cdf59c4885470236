using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Logging;

namespace MsgMate.Actors.Common;

/// <summary>The reply shape every entity shares: a code, and on success the state at a version.</summary>
public interface IEntityReply<out TState>
{
    bool IsOk { get; }
    TState? State { get; }
    long Version { get; }
}

/// <summary>
/// The way into one entity type for the HTTP layer: commands go to the shard region; after a successful write
/// the read model is updated on the spot (read-your-writes: a list right after a create shows it). If that
/// write fails, the projection repairs the row a moment later, so the answer stays a success.
/// </summary>
public abstract class EntityGateway<TEntity, TCommand, TState, TReply>(
    IRequiredActor<TEntity> region, TimeSpan askTimeout, ILogger log)
    where TCommand : class
    where TReply : IEntityReply<TState>
{
    public async Task<TReply> SendAsync(TCommand command, CancellationToken ct = default)
    {
        var reply = await AskAsync(command, ct);
        if (reply is { IsOk: true, State: { } state } && !IsRead(command))
        {
            try
            {
                await UpsertReadModelAsync(state, reply.Version, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning("Read model write after {Command} failed; the projection will repair it: {Error}",
                    command.GetType().Name, PersonalData.Describe(ex));
            }
        }
        return reply;
    }

    /// <summary>The entity's answer alone, for a use case that writes the read model itself (and must know it did).</summary>
    protected async Task<TReply> AskAsync(TCommand command, CancellationToken ct)
    {
        var entities = await region.GetAsync(ct);
        return await entities.Ask<TReply>(command, askTimeout, ct);
    }

    protected abstract bool IsRead(TCommand command);

    protected abstract Task UpsertReadModelAsync(TState state, long version, CancellationToken ct);
}
