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
