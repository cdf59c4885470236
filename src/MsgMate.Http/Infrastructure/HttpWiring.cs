using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MsgMate.Actors.Common;
using MsgMate.Http.Admin;
using MsgMate.Http.Messages;
using MsgMate.Http.Observability;
using MsgMate.Http.Schedules;
using MsgMate.Http.Templates;
using MsgMate.Http.Users;
using Scalar.AspNetCore;

namespace MsgMate.Http.Infrastructure;

/// <summary>The HTTP side of a node: routes, OpenAPI, API reference and the error shape.</summary>
public static class HttpWiring
{
    /// <summary>The fallback's pattern: "{**path}", since the default fallback pattern skips file-like paths (a dot in the last segment).</summary>
    public const string FallbackPattern = "{**path}";

    public static IServiceCollection AddMsgMateHttp(this IServiceCollection services)
    {
        services.AddOpenApi();
        services.AddMsgMateOpenApi();
        services.AddMsgMateAccessOpenApi();
        services.AddMsgMatePrometheus();
        return services;
    }

    public static WebApplication UseMsgMateHttp(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<MsgMateOptions>();
        app.UseMsgMateHttpMetrics();
        app.UseMsgMateRequestLimits(options);
        app.UseLeavingGate();
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledAsync));
        app.UseMsgMateAccess();
        app.MapOpenApi().Public();
        app.MapMsgMateMetrics();
        app.MapScalarApiReference();
        // Every API route keeps the query and header limits its OpenAPI metadata publishes.
        var api = app.MapGroup("").WithDocumentedLimits();
        api.MapUserApi(options);
        api.MapTemplateApi();
        api.MapMessageApi(options);
        api.MapScheduleApi(options);
        api.MapAdminApi();
        api.MapClusterAdminApi();
        api.MapQueueAdminApi();
        app.MapFallback(FallbackPattern, (HttpContext ctx) => Api.Error(ResultCode.InvalidArgument, $"no route {InputText.Quote(ctx.Request.Method)} {InputText.Quote(ctx.Request.Path.Value)}", 404));
        return app;
    }

    /// <summary>
    /// The last line: an exception never reaches the client as an HTML page or a bare 500. A cluster that does
    /// not answer in time is 503 (retry), a body over Kestrel's limit 413, anything else 500 with code 8023.
    /// </summary>
    private static async Task WriteUnhandledAsync(HttpContext ctx)
    {
        var error = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
        var result = error switch
        {
            BadHttpRequestException { StatusCode: 413 } => Api.Error(ResultCode.InvalidArgument, "request body too large", 413),
            BadHttpRequestException bad => Api.Error(ResultCode.InvalidArgument, bad.Message, bad.StatusCode),
            AskTimeoutException or TimeoutException or TaskCanceledException =>
                Api.Error(ResultCode.Internal, "the cluster did not answer in time; retry", 503),
            System.Data.Common.DbException => Api.Error(ResultCode.StoreFailed, "the database is unavailable; retry", 503),
            _ => Api.Error(ResultCode.Internal, "internal error"),
        };
        if (error is not null && error is not BadHttpRequestException)
        {
            ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("MsgMate.Http")
                .LogError("Unhandled error on {Method} {Path}: {Error}", ctx.Request.Method, PersonalData.Scrub(ctx.Request.Path.Value), PersonalData.Describe(error));
        }
        await result.ExecuteAsync(ctx);
    }
}
