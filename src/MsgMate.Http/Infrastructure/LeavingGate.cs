using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Common;
using MsgMate.Actors.Hosting;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// While the node leaves the cluster (<see cref="NodeLifecycle"/>), new work is refused before anything is read or
/// stored: 503, code 8070 and <c>Retry-After</c>, so that a client retries on another node and nothing half-accepted
/// is left on a node whose lanes are draining. Probes, metrics and the admin cluster view still answer.
/// </summary>
public static class LeavingGate
{
    public static IApplicationBuilder UseLeavingGate(this IApplicationBuilder app)
    {
        var lifecycle = app.ApplicationServices.GetRequiredService<NodeLifecycle>();
        return app.Use(async (ctx, next) =>
        {
            if (lifecycle.IsLeaving && !NodeLifecycle.ServesWhileLeaving(ctx.Request.Path.Value ?? "/"))
            {
                ctx.Response.Headers.RetryAfter = NodeLifecycle.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                // The body is not read: close the connection, the client's next request goes elsewhere.
                ctx.Response.Headers.Connection = "close";
                await Api.Error(ResultCode.NodeLeaving, "this node is leaving the cluster: nothing was stored; retry on another node").ExecuteAsync(ctx);
                return;
            }
            await next(ctx);
        });
    }
}
