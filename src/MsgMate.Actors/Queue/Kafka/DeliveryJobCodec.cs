using System.Text.Json;
using System.Text.Json.Serialization;

namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// The value of a queue record: a small JSON object, e.g.
/// <c>{"msgId":"m-1","priority":3,"channel":1,"attempt":0,"notBeforeMs":0}</c>. The key is the msg id. Readers ignore
/// unknown fields, so fields can be added without a flag day.
/// </summary>
public static class DeliveryJobCodec
{
    public static byte[] Serialize(DeliveryJob job) =>
        JsonSerializer.SerializeToUtf8Bytes(job, DeliveryJobJsonContext.Default.DeliveryJob);

    /// <exception cref="FormatException">The bytes are not a delivery job.</exception>
    public static DeliveryJob Deserialize(ReadOnlySpan<byte> value)
    {
        DeliveryJob? job;
        try
        {
            job = JsonSerializer.Deserialize(value, DeliveryJobJsonContext.Default.DeliveryJob);
        }
        catch (JsonException e)
        {
            throw new FormatException("not a delivery job: " + e.Message, e);
        }
        if (job is null || string.IsNullOrEmpty(job.MsgId))
        {
            throw new FormatException("not a delivery job: no msgId");
        }
        return job;
    }
}

[JsonSerializable(typeof(DeliveryJob))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DeliveryJobJsonContext : JsonSerializerContext;
