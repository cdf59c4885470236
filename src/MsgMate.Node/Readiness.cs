using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using MsgMate.Actors.Common;
using MsgMate.Actors.Hosting;
using MsgMate.Actors.Queue.Kafka;
using Dapper;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MsgMate.Actors.Quotas;
using MsgMate.Actors.Security;
using MsgMate.Actors.Storage;

namespace MsgMate.Node;

/// <summary>
/// <c>/readyz</c>: whether this node should get traffic — its cluster member is Up and it is not leaving, the record
/// store, the journal and the delivery queue answer. Open auth does not make a node unready, but is reported (Degraded) so that nobody misses it.
/// <c>/healthz</c> stays "the process is alive".
/// </summary>
public static class Readiness
{
    private const string Tag = "ready";

    public static IHealthChecksBuilder AddMsgMateReadiness(this IHealthChecksBuilder checks)
    {
        // A singleton: the check keeps one Kafka admin client (checks not in the container are made anew per probe).
        checks.Services.AddSingleton<QueueCheck>();
        return checks
            .AddCheck<ClusterMemberCheck>("cluster", tags: [Tag])
            .AddCheck<LeavingCheck>("leaving", tags: [Tag])
            .AddCheck<StoreCheck>("store", tags: [Tag])
            .AddCheck<QueueCheck>("queue", tags: [Tag])
            .AddCheck<AuthModeCheck>("auth", tags: [Tag])
            .AddCheck<QuotaCounterCheck>("quotas", tags: [Tag]);
    }

    public static IEndpointConventionBuilder MapMsgMateReadiness(this IEndpointRouteBuilder app) =>
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(Tag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = (ctx, report) =>
            {
                ctx.Response.ContentType = "application/json";
                return ctx.Response.WriteAsync(JsonSerializer.Serialize(new
                {
                    status = report.Status.ToString().ToLowerInvariant(),
                    checks = report.Entries.ToDictionary(
                        e => e.Key,
                        e => new { status = e.Value.Status.ToString().ToLowerInvariant(), detail = e.Value.Description ?? "" }),
                }));
            },
        });

    private sealed class ClusterMemberCheck(ActorSystem system) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            var self = Cluster.Get(system).SelfMember;
            return Task.FromResult(self.Status == MemberStatus.Up
                ? HealthCheckResult.Healthy($"member {self.Address} is Up")
                : HealthCheckResult.Unhealthy($"member {self.Address} is {self.Status}"));
        }
    }

    /// <summary>Unready from the first moment of a leave: the balancer stops sending while the lanes drain.</summary>
    private sealed class LeavingCheck(NodeLifecycle lifecycle) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(lifecycle.LeavingSince is { } since
                ? HealthCheckResult.Unhealthy($"leaving the cluster since {since:O} ({lifecycle.Reason})")
                : HealthCheckResult.Healthy("serving"));
    }

    /// <summary>
    /// The delivery queue answers: the SQL-table queue lives in the record store (the store check covers it); on Kafka
    /// the brokers are asked for the lane topics' metadata with a short timeout.
    /// </summary>
    private sealed class QueueCheck(MsgMateOptions options) : IHealthCheck, IDisposable
    {
        private readonly KafkaHealthProbe _kafka = new(options.Kafka);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            if (options.Queue.SqlQueue)
            {
                return HealthCheckResult.Healthy("sql queue: tables in the record store");
            }
            return await _kafka.ProblemAsync(ct) is { } problem
                ? HealthCheckResult.Unhealthy($"kafka: {problem}")
                : HealthCheckResult.Healthy("kafka: the brokers answer");
        }

        public void Dispose() => _kafka.Dispose();
    }

    private sealed class StoreCheck(SqlDatabase db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                await using (var records = await db.OpenAsync(ct))
                {
                    await records.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
                }
                await using var journal = await db.OpenJournalAsync(ct);
                await journal.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
                return HealthCheckResult.Healthy($"{db.Provider}: record store and journal answer");
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"{db.Provider}: {ex.GetType().Name}");
            }
        }
    }

    /// <summary>Degraded, not unready, when Redis is down: reads and deliveries go on; sends that meet a quota answer 503.</summary>
    private sealed class QuotaCounterCheck(IQuotaCounter counter) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            await counter.ReachableAsync(ct)
                ? HealthCheckResult.Healthy($"quota counter: {counter.Name}")
                : HealthCheckResult.Degraded($"quota counter {counter.Name} unreachable: sends that meet a quota are refused (503) until it is back");
    }

    private sealed class AuthModeCheck(AuthOptions auth) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(auth.KeysRequired
                ? HealthCheckResult.Healthy("keys: every route needs an API key or a legacy source")
                : HealthCheckResult.Degraded("OPEN: anyone who reaches this node can send, read and change everything (MsgMate:Auth:Mode=open)"));
    }
}
