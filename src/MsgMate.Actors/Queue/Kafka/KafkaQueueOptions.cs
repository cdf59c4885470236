namespace MsgMate.Actors.Queue.Kafka;

/// <summary>
/// Typed settings of the Kafka delivery queue, bound from <c>MsgMate:Kafka</c>
/// (environment: <c>MsgMate__Kafka__BootstrapServers</c>, …). Defaults suit a real cluster; tests shorten the times.
/// </summary>
public sealed class KafkaQueueOptions
{
    public const string Section = "MsgMate:Kafka";

    /// <summary>Comma-separated <c>host:port</c> list.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    public string HighTopic { get; set; } = "msgmate.high";

    public string MediumTopic { get; set; } = "msgmate.medium";

    public string LowTopic { get; set; } = "msgmate.low";

    public string RetryTopic { get; set; } = "msgmate.retry";

    /// <summary>
    /// Base name of the consumer groups: each lane has its own group, <c>{GroupId}.{lane}</c> (see
    /// <see cref="GroupIdFor"/>), which every node joins; the lane's partitions are shared among its members.
    /// </summary>
    /// <remarks>
    /// One group per lane keeps the lanes independent: a member joining or leaving the low lane does not make the
    /// high lane's members stop and rejoin (a rebalance involves every member of the group).
    /// </remarks>
    public string GroupId { get; set; } = "msgmate-delivery";

    /// <summary>Prefix of the client ids (the lane and a counter are appended); shows up in broker logs and metrics.</summary>
    public string ClientId { get; set; } = "msgmate";

    /// <summary>A consumer that sends no heartbeat for this long is dropped from the group and its partitions move.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Heartbeat period; at most a third of <see cref="SessionTimeout"/>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The consumer actor polls at least this often even without demand (partitions paused), so that rebalance
    /// callbacks are served and the member never exceeds <c>max.poll.interval.ms</c>.
    /// </summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long the source may go without demand before the consumer pauses its partitions (and from then on only
    /// polls every <see cref="IdlePollInterval"/>). Until then it simply does not poll. Resuming costs librdkafka a
    /// new fetch (about half a second to a second here), so a short lull must not pause; a downstream that takes
    /// longer than this to use half the source's buffer has the other half to cover the resume.
    /// </summary>
    public TimeSpan PauseAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one poll may block the consumer's dedicated thread when demand is waiting but no message is ready.
    /// Commits wait at most this long for the actor.
    /// </summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// librdkafka's <c>fetch.wait.max.ms</c>: how long a broker may hold a fetch that found no data. Real brokers
    /// answer as soon as data arrives, so this only sets the idle request rate; librdkafka's mock cluster holds every
    /// such fetch for the full time, which adds up to this much latency to each record (500 ms, librdkafka's default,
    /// made ~360 ms on average there).
    /// </summary>
    public TimeSpan FetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most messages handed to a source in one batch, and the source's buffer: with a slow downstream at most this
    /// many consumed-but-not-emitted messages exist per consumer (librdkafka's own prefetch is paused meanwhile).
    /// </summary>
    public int MaxPollBatch { get; set; } = 256;

    /// <summary>The committer commits when this many offsets have gathered …</summary>
    public int CommitBatchSize { get; set; } = 500;

    /// <summary>… or when this much time has passed since the first of them, whichever comes first.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the committer waits for the consumer actor to answer a commit.</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// After a source stops (downstream cancelled, <see cref="IQueueControl.StopAsync"/>) its consumer stays in the
    /// group this long so that in-flight elements can still commit, then closes (unless drained sooner).
    /// </summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Upper bound on draining one consumer at shutdown (<see cref="KafkaDeliveryQueue.DisposeAsync"/>, coordinated
    /// shutdown): waiting for its stream, then closing. After it the queue stops waiting; what was not committed is
    /// redelivered to another member.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on <c>Close()</c> (leave the group, final commits); a hung close is abandoned after it.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Producer: how long records may wait to form a batch.</summary>
    public TimeSpan ProducerLinger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Producer: how long a record may take to be acknowledged (retries included) before the publish fails; the
    /// outbox relay publishes it again later (DESIGN.md §3).
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create missing lane topics at start. A broker that answers "not supported" (the test mock) is tolerated.</summary>
    public bool CreateTopicsIfMissing { get; set; } = true;

    /// <summary>Partitions of topics created here; bounds how many consumers of a lane can work at once.</summary>
    public int TopicPartitions { get; set; } = 6;

    /// <summary>Replication factor of topics created here; -1 takes the broker's default.</summary>
    public short TopicReplicationFactor { get; set; } = -1;

    /// <summary>Dispatcher of the consumer actors; the default gives each consumer a thread of its own (blocking polls).</summary>
    public string ConsumerDispatcher { get; set; } = KafkaConsumerActor.DefaultDispatcherId;

    /// <summary>
    /// Further librdkafka properties for every client (producer, consumers, admin): security (<c>security.protocol</c>,
    /// <c>sasl.*</c>, <c>ssl.*</c>), tuning. Applied last, so they win over the typed settings.
    /// </summary>
    public Dictionary<string, string> ClientProperties { get; set; } = new();

    /// <summary>The topic of a lane.</summary>
    public string TopicFor(QueueLane lane) => lane switch
    {
        QueueLane.High => HighTopic,
        QueueLane.Medium => MediumTopic,
        QueueLane.Low => LowTopic,
        QueueLane.Retry => RetryTopic,
        _ => throw new ArgumentOutOfRangeException(nameof(lane), lane, "unknown lane"),
    };

    /// <summary>The consumer group of a lane: <c>msgmate-delivery.high</c>, …</summary>
    public string GroupIdFor(QueueLane lane) => $"{GroupId}.{lane.ToString().ToLowerInvariant()}";

    /// <summary>All four lanes with their topics.</summary>
    public IEnumerable<(QueueLane Lane, string Topic)> LaneTopics() =>
        [(QueueLane.High, HighTopic), (QueueLane.Medium, MediumTopic), (QueueLane.Low, LowTopic), (QueueLane.Retry, RetryTopic)];

    /// <summary>Throws when a setting cannot work; called by the queue before it connects.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            throw new ArgumentException("MsgMate:Kafka:BootstrapServers is empty");
        }
        var topics = LaneTopics().Select(t => t.Topic).ToList();
        if (topics.Any(string.IsNullOrWhiteSpace) || topics.Distinct(StringComparer.Ordinal).Count() != topics.Count)
        {
            throw new ArgumentException("MsgMate:Kafka: the four lane topics must be set and distinct");
        }
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            throw new ArgumentException("MsgMate:Kafka:GroupId is empty");
        }
        if (MaxPollBatch < 1 || CommitBatchSize < 1 || TopicPartitions < 1)
        {
            throw new ArgumentException("MsgMate:Kafka: MaxPollBatch, CommitBatchSize and TopicPartitions must be positive");
        }
        if (HeartbeatInterval >= SessionTimeout)
        {
            throw new ArgumentException("MsgMate:Kafka: HeartbeatInterval must be shorter than SessionTimeout");
        }
    }
}
