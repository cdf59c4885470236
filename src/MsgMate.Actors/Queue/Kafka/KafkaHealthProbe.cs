using Confluent.Kafka;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// Asks the brokers for the high lane's topic metadata, with a short timeout: whether the queue answers this node.
/// One admin client for the probe's life (a readiness probe asks every few seconds).
/// </summary>
public sealed class KafkaHealthProbe(KafkaQueueOptions options) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(KafkaClientConfigs.Admin(options)).Build());

    /// <summary>Null when the brokers answer with the topic; otherwise what is wrong, in a few words.</summary>
    public async Task<string?> ProblemAsync(CancellationToken ct)
    {
        try
        {
            // GetMetadata blocks its caller: awaited on the pool, bounded by its own timeout.
            var metadata = await Task.Run(() => _admin.Value.GetMetadata(options.HighTopic, Timeout), ct).ConfigureAwait(false);
            return metadata.Topics.Any(t => t.Error.Code == ErrorCode.NoError) ? null : $"topic {options.HighTopic} is not available";
        }
        catch (KafkaException ex)
        {
            return ex.Error.Code.ToString();
        }
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}
