using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using MsgMate.Actors.Common;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// Every answer of the wire contract: <c>code</c> (0 = success) and <c>msg</c>, with the payload fields at the
/// top level beside them (never under <c>data</c>), as the Go MsgMate answers.
/// </summary>
public record Envelope
{
    [JsonPropertyName("code"), JsonPropertyOrder(-2)]
    public int Code { get; init; }

    [JsonPropertyName("msg"), JsonPropertyOrder(-1)]
    public string Msg { get; init; } = "ok";
}

/// <summary>Builds answers and maps result codes to HTTP statuses.</summary>
public static class Api
{
    /// <summary>Request parsing is case-insensitive, as Go's encoding/json matches field names.</summary>
    public static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.General)
    {
        PropertyNameCaseInsensitive = true,
        // Named, so that a request type's contract can be asked for before the first request (form bodies are shaped by it).
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static readonly JsonSerializerOptions ResponseJson = new(JsonSerializerDefaults.General)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IResult Ok<T>(T payload) where T : Envelope => Results.Json(payload, ResponseJson, statusCode: 200);

    public static IResult Ok() => Ok(new Envelope());

    /// <summary>
    /// The longest <c>msg</c> an error carries. Messages quote input through <see cref="InputText.Quote"/> (≤ 200
    /// characters each); this is the safety net for any that does not.
    /// </summary>
    public const int MaxErrorMessageLength = 1000;

    public static IResult Error(ResultCode code, string message) => Error(code, message, StatusFor(code));

    public static IResult Error(ResultCode code, string message, int status) =>
        Results.Json(new Envelope { Code = (int)code, Msg = InputText.Quote(message, MaxErrorMessageLength) }, ResponseJson, statusCode: status);

    public static IResult Invalid(string message) => Error(ResultCode.InvalidArgument, message);

    public static int StatusFor(ResultCode code) => code switch
    {
        ResultCode.Ok => StatusCodes.Status200OK,
        ResultCode.InvalidArgument or ResultCode.BadJson => StatusCodes.Status400BadRequest,
        ResultCode.UserNotFound or ResultCode.TemplateNotFound or ResultCode.MessageNotFound or ResultCode.ScheduleNotFound
            or ResultCode.KeyNotFound or ResultCode.MemberNotFound => StatusCodes.Status404NotFound,
        ResultCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        ResultCode.Forbidden => StatusCodes.Status403Forbidden,
        ResultCode.UserExists or ResultCode.Conflict or ResultCode.TemplateNotUsable => StatusCodes.Status409Conflict,
        ResultCode.RateLimited or ResultCode.QuotaExceeded => StatusCodes.Status429TooManyRequests,
        ResultCode.StoreFailed or ResultCode.SendFailed or ResultCode.NodeLeaving => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
