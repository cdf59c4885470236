using MsgMate.Actors.Channels.Email;
using MsgMate.Actors.Delivery;
using MsgMate.Actors.Queue.Kafka;
using MsgMate.Actors.Storage;

namespace MsgMate.Actors.Common;

/// <summary>Typed settings of a node, bound from the <c>MsgMate</c> configuration section.</summary>
public sealed class MsgMateOptions
{
    public const string Section = "MsgMate";

    /// <summary>HTTP port (the Go project's <c>port</c>).</summary>
    public int Port { get; set; } = 8109;

    /// <summary>Zone of "YYYY-MM-DD HH:mm:ss" times and of the times the API writes.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest accepted request line (method, path with query, version); longer ones get 414 with code 8020.</summary>
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>Largest accepted header section (every header line, name and value); larger ones get 431 with code 8020.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Most header lines a request may carry; more get 431 with code 8020.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// Kestrel's own limit on the request line and on the headers, kept far above the two limits above: those are
    /// enforced by the node, which answers in the envelope; past this one Kestrel refuses the request before any
    /// code of the node runs, with a bare 414 / 431 and no body.
    /// </summary>
    public int ServerRequestHeadLimitBytes { get; set; } = 256 * 1024;

    /// <summary>How long an HTTP request waits for an entity before answering 503.</summary>
    public TimeSpan AskTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Entities idle this long are passivated (their state stays in the journal).</summary>
    public TimeSpan PassivateIdleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Input limits an operator may change (recipients, template data, rendered size), <c>MsgMate:Limits</c>.</summary>
    public LimitOptions Limits { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public ClusterSettings Cluster { get; set; } = new();

    public DeliveryOptions Delivery { get; set; } = new();

    public QueueOptions Queue { get; set; } = new();

    public KafkaQueueOptions Kafka { get; set; } = new();

    public EmailOptions Email { get; set; } = new();

    /// <summary>API keys, modes and legacy sources, <c>MsgMate:Auth</c>.</summary>
    public Security.AuthOptions Auth { get; set; } = new();

    /// <summary>Quotas and rate limits, <c>MsgMate:Quotas</c>.</summary>
    public Quotas.QuotaOptions Quotas { get; set; } = new();

    /// <summary>Redis for cluster-wide quotas, <c>MsgMate:Redis</c>; without it the limits hold per node.</summary>
    public Quotas.RedisOptions Redis { get; set; } = new();

    public Channels.Webhook.WebhookOptions Webhook { get; set; } = new();

    /// <summary>SMS providers (Aliyun accounts), <c>MsgMate:Sms</c>.</summary>
    public Channels.Sms.SmsOptions Sms { get; set; } = new();

    /// <summary>Lark / Feishu apps, <c>MsgMate:Lark</c>.</summary>
    public Channels.Lark.LarkOptions Lark { get; set; } = new();

    /// <summary>DingTalk robots and corp apps, <c>MsgMate:DingTalk</c>.</summary>
    public Channels.DingTalk.DingTalkOptions DingTalk { get; set; } = new();

    /// <summary>WeCom robots and apps, <c>MsgMate:WeCom</c>.</summary>
    public Channels.WeCom.WeComOptions WeCom { get; set; } = new();

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

/// <summary>Remoting and cluster membership. No seed nodes: the node forms a cluster of its own.</summary>
public sealed class ClusterSettings
{
    public string SystemName { get; set; } = "msgmate";

    /// <summary>Address remoting binds to (0.0.0.0 in a container).</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>Address other nodes reach this one at, when it differs from <see cref="Hostname"/> (a pod's DNS name).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>Remoting port; 0 picks a free one (fine for a single node).</summary>
    public int Port { get; set; } = 4053;

    /// <summary>e.g. <c>akka.tcp://msgmate@msgmate-0.msgmate:4053</c>. Empty: join itself.</summary>
    public string[] SeedNodes { get; set; } = [];

    /// <summary>
    /// How long the split-brain resolver waits for a stable view before downing unreachable nodes (keep-majority).
    /// 7 s is Akka's guidance for clusters of up to about five nodes (20 s for a hundred); raise it with the size.
    /// A crashed member is downed about this long after the failure detector marks it unreachable.
    /// </summary>
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromSeconds(7);

    /// <summary>Heartbeats a node may miss (as time) before it counts as unreachable.</summary>
    public TimeSpan AcceptableHeartbeatPause { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a stopping node (SIGTERM) may take to leave: refuse new work, drain the lanes, hand over shards and
    /// singletons, exit. Keep the orchestrator's grace period above it (Kubernetes: terminationGracePeriodSeconds).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(50);
}
