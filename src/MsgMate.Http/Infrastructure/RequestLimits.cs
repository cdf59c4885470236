using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MsgMate.Actors.Common;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// The limits on a request's line and headers, answered in the envelope. Kestrel refuses an over-long request line
/// (414) or header section (431) while parsing, before any middleware, with a bare response; so its own limits are
/// raised far above ours (<see cref="MsgMateOptions.ServerRequestHeadLimitBytes"/>) and ours are enforced here,
/// first in the pipeline, as <c>{code: 8020, msg}</c>. What Kestrel still refuses itself stays bare: a request
/// past its raised limits, and a malformed request (a broken request line or header, 400), since nothing of the
/// node runs before Kestrel has parsed one. An over-large body is <see cref="RequestReader"/>'s (413 in the envelope).
/// </summary>
public static class RequestLimits
{
    /// <summary>Kestrel's limits for a node: the body limit as ours (+1: ours answers first), the head far above ours.</summary>
    public static void Configure(KestrelServerLimits limits, MsgMateOptions options)
    {
        limits.MaxRequestBodySize = options.MaxRequestBodyBytes + 1;
        limits.MaxRequestLineSize = Math.Max(options.ServerRequestHeadLimitBytes, options.MaxRequestLineBytes + 1);
        limits.MaxRequestHeadersTotalSize = Math.Max(options.ServerRequestHeadLimitBytes, options.MaxRequestHeadersBytes + 1);
        limits.MaxRequestHeaderCount = Math.Max(10 * options.MaxRequestHeaderCount, options.MaxRequestHeaderCount + 1);
    }

    /// <summary>Answers 414 / 431 with code 8020 for a request over the node's own limits.</summary>
    public static IApplicationBuilder UseMsgMateRequestLimits(this IApplicationBuilder app, MsgMateOptions options) =>
        app.Use(async (ctx, next) =>
        {
            var problem = Check(ctx, options);
            if (problem is not null)
            {
                // The rest of the request is not read: close the connection rather than drain it.
                ctx.Response.Headers.Connection = "close";
                await problem.ExecuteAsync(ctx);
                return;
            }
            await next(ctx);
        });

    private static IResult? Check(HttpContext ctx, MsgMateOptions options)
    {
        var request = ctx.Request;
        // As Kestrel counts it: "METHOD target HTTP/1.1\r\n", the target as sent (not decoded).
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? $"{request.PathBase}{request.Path}{request.QueryString}";
        var lineBytes = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + 2;
        if (lineBytes > options.MaxRequestLineBytes)
        {
            return Api.Error(ResultCode.InvalidArgument,
                $"request line of {lineBytes} bytes exceeds {options.MaxRequestLineBytes} bytes: send long values in a POST body",
                StatusCodes.Status414UriTooLong);
        }

        // Each header line "Name: value\r\n"; a name given several times counts once per value.
        long headerBytes = 0;
        var headerCount = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                headerBytes += name.Length + 2 + (value?.Length ?? 0) + 2;
                headerCount++;
            }
        }
        if (headerBytes > options.MaxRequestHeadersBytes)
        {
            return Api.Error(ResultCode.InvalidArgument,
                $"request headers of {headerBytes} bytes exceed {options.MaxRequestHeadersBytes} bytes",
                StatusCodes.Status431RequestHeaderFieldsTooLarge);
        }
        if (headerCount > options.MaxRequestHeaderCount)
        {
            return Api.Error(ResultCode.InvalidArgument,
                $"request has {headerCount} header lines, more than {options.MaxRequestHeaderCount}",
                StatusCodes.Status431RequestHeaderFieldsTooLarge);
        }
        return null;
    }
}
