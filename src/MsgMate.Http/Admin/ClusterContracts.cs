using System.Text.Json.Serialization;
using MsgMate.Actors.Operations;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Admin;

public sealed class MemberAddressRequest
{
    [JsonPropertyName("address")] public string? Address { get; set; }
}

/// <summary>down-unreachable: <c>{}</c> downs every unreachable member; <c>dry_run</c> only names them.</summary>
public sealed class DownUnreachableRequest
{
    [JsonPropertyName("dry_run")] public bool? DryRun { get; set; }
}

/// <summary>A member; <c>age</c> 1 is the oldest (it hosts the singletons), 0 for one not yet Up.</summary>
public sealed record MemberDto(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles,
    [property: JsonPropertyName("age")] int Age,
    [property: JsonPropertyName("leader")] bool Leader,
    [property: JsonPropertyName("oldest")] bool Oldest,
    [property: JsonPropertyName("unreachable")] bool Unreachable,
    [property: JsonPropertyName("self")] bool Self)
{
    public static MemberDto From(MemberView m) => new(m.Address, m.Status, m.Roles, m.Age, m.IsLeader, m.IsOldest, m.IsUnreachable, m.IsSelf);
}

/// <summary>The cluster as the answering node sees it.</summary>
public sealed record ClusterResponse(
    [property: JsonPropertyName("self")] string Self,
    [property: JsonPropertyName("leader")] string Leader,
    [property: JsonPropertyName("members")] IReadOnlyList<MemberDto> Members,
    [property: JsonPropertyName("unreachable")] IReadOnlyList<string> Unreachable) : Envelope;

public sealed record AddressesResponse([property: JsonPropertyName("addresses")] IReadOnlyList<string> Addresses) : Envelope;

public sealed record RegionsResponse([property: JsonPropertyName("regions")] IReadOnlyList<string> Regions) : Envelope;

public sealed record RegionNodeDto(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("entities")] int Entities,
    [property: JsonPropertyName("entities_per_shard")] IReadOnlyDictionary<string, int> EntitiesPerShard,
    [property: JsonPropertyName("failed_shards")] IReadOnlyList<string> FailedShards);

public sealed record ShardingStatsResponse(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("entities")] int Entities,
    [property: JsonPropertyName("nodes")] IReadOnlyList<RegionNodeDto> Nodes) : Envelope;

/// <summary>
/// One lane: <c>due</c> records waiting for a consumer, <c>in_flight</c> claimed under a lease (SQL queue), <c>waiting</c>
/// for a later time (retries in their backoff), <c>unpublished</c> due but not handed to Kafka yet; ages in milliseconds
/// (null: none); on Kafka <c>consumer_lag</c> (records the lane's group has not committed) over <c>partitions</c>.
/// </summary>
public sealed record LaneDto(
    [property: JsonPropertyName("lane")] string Lane,
    [property: JsonPropertyName("due")] long Due,
    [property: JsonPropertyName("in_flight")] long InFlight,
    [property: JsonPropertyName("waiting")] long Waiting,
    [property: JsonPropertyName("unpublished")] long Unpublished,
    [property: JsonPropertyName("oldest_due_age_ms")] long? OldestDueAgeMs,
    [property: JsonPropertyName("next_waiting_in_ms")] long? NextWaitingInMs,
    [property: JsonPropertyName("topic")] string? Topic,
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("partitions")] int? Partitions,
    [property: JsonPropertyName("consumer_lag")] long? ConsumerLag)
{
    public static LaneDto From(LaneReport lane, long at)
    {
        var b = lane.Backlog;
        return new(b.Lane.ToString().ToLowerInvariant(), b.Due, b.Leased, b.Waiting, b.Unpublished,
            b.OldestDue is { } due ? Math.Max(0, at - due) : null, b.NextWaiting is { } next ? Math.Max(0, next - at) : null,
            lane.Lag?.Topic, lane.Lag?.Group, lane.Lag?.Partitions, lane.Lag?.Lag);
    }
}

/// <summary>The queue (<c>sql</c> or <c>kafka</c>) and its lanes, high first, retry last.</summary>
public sealed record QueueResponse(
    [property: JsonPropertyName("queue")] string Queue,
    [property: JsonPropertyName("lanes")] IReadOnlyList<LaneDto> Lanes,
    [property: JsonPropertyName("lag_problem")] string? LagProblem) : Envelope;

public sealed record DeadLetterDto(
    [property: JsonPropertyName("msg_id")] string MsgId,
    [property: JsonPropertyName("failed_at")] string FailedAt,
    [property: JsonPropertyName("channel")] int Channel,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("source_id")] string SourceId,
    [property: JsonPropertyName("batch_id")] string BatchId)
{
    public static DeadLetterDto From(MsgMate.Actors.Delivery.DeadLetter d, TimeZoneInfo zone) =>
        new(d.MsgId, MsgMate.Http.Messages.RecordItemDto.Time(d.At, zone), d.Channel, d.Priority, d.Attempts, d.Error, d.SourceId, d.BatchId);
}

public sealed record DeadLetterListResponse(
    [property: JsonPropertyName("dead_letters")] IReadOnlyList<DeadLetterDto> DeadLetters,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize) : Envelope;

/// <summary>Which dead letters to re-drive: any of ids, channel and times; <c>all</c> when none of them is given.</summary>
public sealed class RedriveRequest
{
    [JsonPropertyName("msg_ids")] public List<string?>? MsgIds { get; set; }
    [JsonPropertyName("channel")] public int? Channel { get; set; }
    [JsonPropertyName("start_time")] public string? StartTime { get; set; }
    [JsonPropertyName("end_time")] public string? EndTime { get; set; }
    [JsonPropertyName("all")] public bool? All { get; set; }
    [JsonPropertyName("limit")] public int? Limit { get; set; }
}

/// <summary>How many were re-driven, and how many dead letters the request's selection still matches.</summary>
public sealed record RedriveResponse(
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("remaining")] long Remaining) : Envelope;
