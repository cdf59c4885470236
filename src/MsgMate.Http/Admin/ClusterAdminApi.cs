using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MsgMate.Actors.Common;
using MsgMate.Actors.Operations;
using MsgMate.Actors.Security;
using MsgMate.Http.Infrastructure;

namespace MsgMate.Http.Admin;

/// <summary>
/// The cluster part of the admin API (what <c>msgmate cluster …</c> calls): members, leave, down, shard regions and
/// their statistics, answered from the cluster itself through <see cref="ClusterAdmin"/>. Admin scope only. A
/// leaving node still answers these (<c>NodeLifecycle.ServesWhileLeaving</c>), so that the hand-over can be watched.
/// </summary>
public static class ClusterAdminApi
{
    /// <summary>How long the shard regions of the whole cluster may take to report their statistics.</summary>
    public static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(5);

    private static readonly ApiField AddressField = Field.Text(
        "address", "The member's address as GET /admin/cluster lists it: akka.tcp://system@host:port", maxLength: ClusterAdmin.MaxAddressLength, required: true);

    public static IEndpointRouteBuilder MapClusterAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin").WithTags("Cluster").RequireScope(Scope.Admin);
        group.MapGet("/cluster", (ClusterAdmin cluster) => Api.Ok(ToResponse(cluster.View())))
            .WithName("adminCluster").Produces<ClusterResponse>()
            .WithSummary("The cluster as this node sees it: every member's address, status, roles and age (1: the oldest), the leader, the oldest, the unreachable, this node");
        group.MapPost("/cluster/leave", (HttpContext http, ClusterAdmin cluster, MsgMateOptions options) =>
                WithAddressAsync(http, options, cluster.Leave))
            .Audited("cluster.leave", "address")
            .AcceptsBody<MemberAddressRequest>([AddressField]).Produces<Envelope>().WithErrors(ResultCode.MemberNotFound)
            .WithSummary("Ask a member to leave gracefully: it stops intake, drains its lanes, hands its shards and singletons over and exits");
        group.MapPost("/cluster/down", (HttpContext http, ClusterAdmin cluster, MsgMateOptions options) =>
                WithAddressAsync(http, options, cluster.Down))
            .Audited("cluster.down", "address")
            .AcceptsBody<MemberAddressRequest>([AddressField]).Produces<Envelope>().WithErrors(ResultCode.MemberNotFound)
            .WithSummary("Mark a member down (a node that is gone for good): the cluster stops waiting for it and moves its shards");
        group.MapPost("/cluster/down-unreachable", DownUnreachableAsync)
            .WithName("adminClusterDownUnreachable").AcceptsBody<DownUnreachableRequest>([Field.Bool("dry_run", "Only answer which members would be downed")]).Produces<AddressesResponse>()
            .WithSummary("Mark every member this node sees as unreachable down, answering their addresses (empty: none was unreachable); with dry_run only name them");
        group.MapGet("/sharding/regions", (ClusterAdmin cluster) => Api.Ok(new RegionsResponse(cluster.RegionTypes())))
            .WithName("adminShardingRegions").Produces<RegionsResponse>()
            .WithSummary("The entity types this node runs shard regions for");
        group.MapGet("/sharding/stats", ShardingStatsAsync)
            .WithName("adminShardingStats").Produces<ShardingStatsResponse>()
            .WithQueryParameters(Field.Text("type", "The entity type (one of GET /admin/sharding/regions)", maxLength: 64, required: true))
            .WithErrors(ResultCode.MemberNotFound)
            .WithSummary($"Shards and entities of one entity type on each node (every region asked, {StatsTimeout.TotalSeconds:0} s at most; 503 when one did not answer)");
        return app;
    }

    private static async Task<IResult> WithAddressAsync(HttpContext http, MsgMateOptions options, Func<string?, Rejection?> act)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<MemberAddressRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        return act(req.Address) is { } problem ? Api.Error(problem.Code, problem.Message) : Api.Ok();
    }

    private static async Task<IResult> DownUnreachableAsync(HttpContext http, ClusterAdmin cluster, MsgMateOptions options)
    {
        var (req, error) = await RequestReader.ReadBodyAsync<DownUnreachableRequest>(http.Request, options.MaxRequestBodyBytes);
        if (req is null)
        {
            return error!;
        }
        if (req.DryRun == true)
        {
            return Api.Ok(new AddressesResponse(cluster.View().Unreachable));
        }
        var downed = cluster.DownUnreachable();
        foreach (var address in downed)
        {
            await http.AuditAsync("cluster.down", address, "down-unreachable");
        }
        return Api.Ok(new AddressesResponse(downed));
    }

    private static async Task<IResult> ShardingStatsAsync(HttpRequest http, ClusterAdmin cluster, CancellationToken ct)
    {
        // Its length is checked by DocumentedLimits, from the documented parameter.
        var type = RequestReader.Query(http, "type")?.Trim();
        var (stats, problem) = await cluster.ShardingStatsAsync(type, StatsTimeout, ct);
        if (problem is not null)
        {
            return Api.Error(problem.Code, problem.Message);
        }
        if (stats is null)
        {
            return Api.Error(ResultCode.Internal, $"not every shard region answered within {StatsTimeout.TotalSeconds:0} s; retry", StatusCodes.Status503ServiceUnavailable);
        }
        return Api.Ok(new ShardingStatsResponse(
            type!, stats.Sum(s => s.Shards), stats.Sum(s => s.Entities),
            [.. stats.Select(s => new RegionNodeDto(s.Address, s.Shards, s.Entities, s.EntitiesPerShard, s.FailedShards))]));
    }

    private static ClusterResponse ToResponse(ClusterView view) =>
        new(view.Self, view.Leader ?? "", [.. view.Members.Select(MemberDto.From)], view.Unreachable);
}
