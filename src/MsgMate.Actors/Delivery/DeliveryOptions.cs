namespace MsgMate.Actors.Delivery;

/// <summary>Delivery settings, bound from <c>MsgMate:Delivery</c>.</summary>
public sealed class DeliveryOptions
{
    /// <summary>
    /// Messages a lane has in flight: from the start of a send until its outcome is durable. A crash sends at most
    /// this many of the lane's messages twice. The Go project ran 6/3/1 consumers; these are higher because a slot
    /// is held through the outcome's commit (group-committed with the other slots' outcomes).
    /// </summary>
    public int HighParallelism { get; set; } = 64;
    public int MediumParallelism { get; set; } = 32;
    public int LowParallelism { get; set; } = 16;
    public int RetryParallelism { get; set; } = 8;

    /// <summary>Messages per second per channel (the Go project's quota), by channel number; absent = unlimited.</summary>
    public Dictionary<int, int> ChannelRatePerSecond { get; set; } = new();

    /// <summary>How long a channel attempt may take before it counts as a retryable timeout.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the outbox relay (Kafka) or the SQL-queue consumers look for due records when not nudged.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>SQL queue: how long a claimed record stays invisible to other consumers.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    public RetryOptions Retry { get; set; } = new();

    /// <summary>Whether this node runs delivery streams (an intake-only node sets false).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Which queue carries jobs, bound from <c>MsgMate:Queue</c>.</summary>
public sealed class QueueOptions
{
    /// <summary>true: the SQL-table queue (embedded default; the Go key mysql_as_mq). false: Kafka.</summary>
    public bool SqlQueue { get; set; } = true;
}
