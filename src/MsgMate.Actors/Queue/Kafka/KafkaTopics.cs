using Akka.Event;
using Confluent.Kafka;
using Error = Confluent.Kafka.Error;
using Confluent.Kafka.Admin;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>Creates the lane topics that are missing. A broker without topic admin (the test mock) is tolerated.</summary>
public static class KafkaTopics
{
    /// <summary>
    /// Creates the missing lane topics with <see cref="KafkaQueueOptions.TopicPartitions"/> partitions. Answers
    /// "already exists" (another node was quicker) and "not supported" are fine; other errors throw.
    /// </summary>
    /// <returns>The topics that were created.</returns>
    public static async Task<IReadOnlyList<string>> EnsureAsync(KafkaQueueOptions options, ILoggingAdapter? log = null, CancellationToken ct = default)
    {
        using var admin = new AdminClientBuilder(KafkaClientConfigs.Admin(options))
            .SetLogHandler((_, m) => KafkaLog.Write(log, m))
            .Build();

        // GetMetadata blocks; run it off the caller's thread. Topics only: no ListConsumerGroups (crashes the mock).
        var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(10)), ct).ConfigureAwait(false);
        var existing = metadata.Topics.Where(t => !t.Error.IsError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        var missing = options.LaneTopics().Select(t => t.Topic).Where(t => !existing.Contains(t)).Distinct().ToList();
        if (missing.Count == 0)
        {
            return [];
        }

        var created = new List<string>();
        try
        {
            await admin.CreateTopicsAsync(
                missing.Select(t => new TopicSpecification
                {
                    Name = t,
                    NumPartitions = options.TopicPartitions,
                    ReplicationFactor = options.TopicReplicationFactor,
                }),
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30) }).WaitAsync(ct).ConfigureAwait(false);
            created.AddRange(missing);
        }
        catch (CreateTopicsException e)
        {
            foreach (var result in e.Results)
            {
                if (!result.Error.IsError)
                {
                    created.Add(result.Topic);
                }
                else if (result.Error.Code == ErrorCode.TopicAlreadyExists)
                {
                    // Another node created it meanwhile.
                }
                else if (IsNotSupported(result.Error))
                {
                    log?.Warning("Kafka: cannot create topic {0} here ({1}); it must be created by other means", result.Topic, result.Error.Reason);
                }
                else
                {
                    throw;
                }
            }
        }
        catch (KafkaException e) when (IsNotSupported(e.Error))
        {
            log?.Warning("Kafka: topic creation not supported by the cluster ({0}); topics {1} must be created by other means",
                e.Error.Reason, string.Join(",", missing));
        }
        if (created.Count > 0)
        {
            log?.Info("Kafka: created topics {0} with {1} partitions", string.Join(",", created), options.TopicPartitions);
        }
        return created;
    }

    private static bool IsNotSupported(Error error) => error.Code is
        ErrorCode.UnsupportedVersion or
        ErrorCode.Local_UnsupportedFeature or
        ErrorCode.InvalidRequest or
        ErrorCode.ClusterAuthorizationFailed or
        ErrorCode.TopicAuthorizationFailed or
        ErrorCode.PolicyViolation;
}
