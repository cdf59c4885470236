using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using MsgMate.Actors.Common;
using MsgMate.Actors.Storage;

namespace MsgMate.Http.Infrastructure;

/// <summary>
/// A query parameter or a body field as its handler reads and checks it: the OpenAPI document publishes exactly
/// these rules (handlers read the query and the body themselves, so ASP.NET infers nothing).
/// </summary>
public sealed record ApiField(string Name, JsonSchemaType Type, string Description)
{
    public bool Required { get; init; }
    public string? Format { get; init; }
    public int? MinLength { get; init; }
    public int? MaxLength { get; init; }
    public string? Pattern { get; init; }
    public long? Minimum { get; init; }
    public long? Maximum { get; init; }

    /// <summary>The only values accepted (an enum).</summary>
    public IReadOnlyList<JsonNode>? Values { get; init; }
    public JsonNode? Default { get; init; }

    /// <summary>For an array: its items (their name is not used).</summary>
    public ApiField? Items { get; init; }
    public int? MinItems { get; init; }
    public int? MaxItems { get; init; }

    /// <summary>For an object used as a map: the schema of its values.</summary>
    public ApiField? Entries { get; init; }

    /// <summary>For a map: the schema of its keys (JSON Schema's propertyNames), and how many entries it may hold.</summary>
    public ApiField? EntryNames { get; init; }
    public int? MaxEntries { get; init; }

    /// <summary>A field that takes one of several shapes (e.g. <c>to</c>: a string or a list of strings).</summary>
    public IReadOnlyList<ApiField>? OneOf { get; init; }
}

/// <summary>Builds <see cref="ApiField"/>s; the shared ones (paging, channel, times) live here.</summary>
public static class Field
{
    public const string TimeFormats = "\"YYYY-MM-DD HH:mm:ss\" in the configured time zone, or ISO 8601 with an offset (2024-05-01T08:00:00+08:00)";

    public static ApiField Text(
        string name, string description, int? maxLength = null, bool required = false, string? pattern = null, string? format = null) =>
        new(name, JsonSchemaType.String, description)
        {
            Required = required, MinLength = required ? 1 : null, MaxLength = maxLength, Pattern = pattern, Format = format,
        };

    public static ApiField Choice(string name, string description, IEnumerable<string> values, string? @default = null, bool required = false) =>
        new(name, JsonSchemaType.String, description)
        {
            Required = required, Values = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
            Default = @default is null ? null : JsonValue.Create(@default),
        };

    public static ApiField Int(
        string name, string description, long? min = null, long? max = null, long? @default = null, bool required = false, bool wide = false) =>
        new(name, JsonSchemaType.Integer, description)
        {
            Required = required, Format = wide ? "int64" : "int32", Minimum = min, Maximum = max,
            Default = @default is null ? null : JsonValue.Create(@default.Value),
        };

    public static ApiField IntChoice(string name, string description, IEnumerable<int> values, int? @default = null, bool required = false) =>
        new(name, JsonSchemaType.Integer, description)
        {
            Required = required, Format = "int32", Values = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
            Default = @default is null ? null : JsonValue.Create(@default.Value),
        };

    public static ApiField Bool(string name, string description) => new(name, JsonSchemaType.Boolean, description);

    public static ApiField List(string name, string description, ApiField items, int? maxItems = null, bool required = false) =>
        new(name, JsonSchemaType.Array, description)
        {
            Required = required, Items = items with { Description = "" }, MinItems = required ? 1 : null, MaxItems = maxItems,
        };

    /// <summary>A time as the API reads it (<see cref="WireTime"/>).</summary>
    public static ApiField Time(string name, string description) =>
        new(name, JsonSchemaType.String, $"{description}: {TimeFormats}");

    /// <summary>Values for a template's placeholders, read by <c>SendFields.ParseTemplateData</c>, within the configured limits.</summary>
    public static ApiField TemplateData(string name, LimitOptions limits) =>
        new(name, JsonSchemaType.Object,
            "Values for the {{placeholders}}: strings; numbers and booleans are taken as their JSON text. " +
            $"At most {limits.MaxTemplateDataEntries} entries, keys of at most {limits.MaxTemplateDataKeyLength} characters, " +
            $"values of at most {limits.MaxTemplateDataValueLength}, {limits.MaxTemplateDataBytes} bytes in all")
        {
            MaxEntries = limits.MaxTemplateDataEntries,
            EntryNames = new("", JsonSchemaType.String, "") { MaxLength = limits.MaxTemplateDataKeyLength },
            Entries = new("", default, "")
            {
                OneOf =
                [
                    new("", JsonSchemaType.String, "") { MaxLength = limits.MaxTemplateDataValueLength },
                    new("", JsonSchemaType.Number, ""), new("", JsonSchemaType.Boolean, ""),
                ],
            },
        };

    /// <summary>The channel numbers of <see cref="Channel"/>.</summary>
    public static IReadOnlyList<int> ChannelValues { get; } = [.. Enum.GetValues<Channel>().Select(c => (int)c)];

    public static ApiField Channel(string name, string description, bool required = false) =>
        IntChoice(name, $"{description}: {KnownChannels.Range}", ChannelValues, required: required);

    public static ApiField Page { get; } = Int("page", $"Page number, 1 to {PageRequest.MaxPage}", min: 1, max: PageRequest.MaxPage, @default: 1);

    public static ApiField PageSize { get; } =
        Int("page_size", $"Items per page, 1 to {PageRequest.MaxPageSize}", min: 1, max: PageRequest.MaxPageSize, @default: PageRequest.DefaultPageSize);
}

/// <summary>
/// The OpenAPI document: route metadata (query parameters, body, the result codes a route can answer) and one
/// operation transformer that turns it into parameters, request bodies (JSON and form), headers and the error
/// answers every operation can give, all in the wire envelope <c>{code, msg}</c>.
/// </summary>
public static class OpenApiExtensions
{
    public const string SourceIdHeader = "Source-Id";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxSourceIdLength = 64;
    public const int MaxIdempotencyKeyLength = 128;

    private const string EnvelopeSchema = "Envelope";
    private static readonly string[] BodyMediaTypes = ["application/json", "application/x-www-form-urlencoded"];

    internal sealed record QueryParametersDoc(IReadOnlyList<ApiField> Fields);

    internal sealed record BodyDoc(Type Type, IReadOnlyList<ApiField> Fields);

    internal sealed record ErrorsDoc(IReadOnlyList<ResultCode> Codes);

    internal sealed record IdempotencyKeyDoc;

    /// <summary>Registers the transformers on the default document (v1). Called by <c>AddMsgMateHttp</c>.</summary>
    public static IServiceCollection AddMsgMateOpenApi(this IServiceCollection services, string documentName = "v1") =>
        services.Configure<OpenApiOptions>(documentName, o =>
        {
            o.AddSchemaTransformer(DescribeWireSchemaAsync);
            o.AddOperationTransformer(DescribeOperationAsync);
            o.AddDocumentTransformer(DescribeDocumentAsync);
        });

    /// <summary>The query parameters the handler reads (through <see cref="RequestReader"/>), with its checks.</summary>
    public static RouteHandlerBuilder WithQueryParameters(this RouteHandlerBuilder builder, params ApiField[] fields) =>
        builder.WithMetadata(new QueryParametersDoc(fields));

    /// <summary>
    /// Documents the request body as <typeparamref name="T"/>, as JSON and as a form, without <c>Accepts</c>,
    /// whose content-type constraint would turn away clients that send JSON under another content type (Go's Gin
    /// bound JSON whatever the header said). <paramref name="fields"/> are the fields the handler checks: required
    /// ones, lengths, ranges, allowed values; they replace the generated schema of those properties.
    /// </summary>
    public static RouteHandlerBuilder AcceptsBody<T>(this RouteHandlerBuilder builder, params ApiField[] fields) where T : class =>
        builder.WithMetadata(new BodyDoc(typeof(T), fields));

    /// <summary>The result codes, beyond the common ones, that the route can answer (its status follows <see cref="Api.StatusFor"/>).</summary>
    public static RouteHandlerBuilder WithErrors(this RouteHandlerBuilder builder, params ResultCode[] codes) =>
        builder.WithMetadata(new ErrorsDoc(codes));

    /// <summary>The route reads the <c>Idempotency-Key</c> header.</summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new IdempotencyKeyDoc());

    /// <summary>What each result code means, for the answers' descriptions.</summary>
    public static string Describe(ResultCode code) => code switch
    {
        ResultCode.InvalidArgument => "invalid argument: a missing or bad field, query parameter or header",
        ResultCode.BadJson => "the body is not a JSON object (malformed, empty or not UTF-8)",
        ResultCode.Internal => "internal error",
        ResultCode.TemplateNotUsable => "the template exists but is not ready to send (status pending)",
        ResultCode.SendFailed => "the send failed",
        ResultCode.StoreFailed => "the database is unavailable",
        ResultCode.RateLimited => "too many requests",
        ResultCode.TemplateNotFound => "no such template",
        ResultCode.Conflict => "conflicts with the current state (e.g. an id taken, a final message, a schedule not pending, an Idempotency-Key used with another request)",
        ResultCode.MessageNotFound => "no such message (or batch)",
        ResultCode.ScheduleNotFound => "no such schedule",
        ResultCode.KeyNotFound => "no such API key",
        ResultCode.MemberNotFound => "no cluster member with that address, or no shard region of that type",
        ResultCode.Unauthenticated => "no API key, or an unknown, revoked or expired one (or a legacy source from a refused network)",
        ResultCode.Forbidden => "the key lacks the route's scope, or the Source-Id header names another source than the key's",
        ResultCode.QuotaExceeded => "a quota or per-recipient cap is used up: retry after Retry-After seconds; nothing was stored",
        ResultCode.NodeLeaving => "this node is leaving the cluster: nothing was stored; retry on another node after Retry-After seconds",
        ResultCode.UserExists => "the user already exists",
        ResultCode.UserNotFound => "no such user",
        ResultCode.UpdateFailed => "update failed",
        ResultCode.DeleteFailed => "delete failed",
        ResultCode.QueryFailed => "query failed",
        _ => code.ToString(),
    };

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("the OpenAPI document is not available to the operation transformer");
        operation.OperationId ??= OperationId(context.Description.RelativePath ?? "");

        var parameters = operation.Parameters ??= [];
        foreach (var field in metadata.OfType<QueryParametersDoc>().SelectMany(d => d.Fields))
        {
            parameters.Add(new OpenApiParameter
            {
                Name = field.Name,
                In = ParameterLocation.Query,
                Required = field.Required,
                Description = field.Description,
                Schema = ToSchema(field with { Description = "" }),
            });
        }
        parameters.Add(Header(SourceIdHeader, MaxSourceIdLength,
            "Names the calling business system; stored as source_id on what send_msg and scheduled/create create. Optional."));
        if (metadata.OfType<IdempotencyKeyDoc>().Any())
        {
            parameters.Add(Header(IdempotencyKeyHeader, MaxIdempotencyKeyLength,
                "Makes a send safe to retry: the same key from the same Source-Id within 24 hours answers the first result again " +
                "instead of sending twice; the same key with a different request answers 8049/409. Optional."));
        }

        var body = metadata.OfType<BodyDoc>().LastOrDefault();
        if (body is not null)
        {
            var reference = await BodySchemaAsync(body, document, context, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "A JSON object, or the same fields as an HTML form (application/x-www-form-urlencoded).",
                Content = BodyMediaTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = reference }),
            };
        }

        var answers = new SortedDictionary<int, List<string>>();
        void Add(int status, string text)
        {
            if (!answers.TryGetValue(status, out var lines))
            {
                answers[status] = lines = [];
            }
            if (!lines.Contains(text))
            {
                lines.Add(text);
            }
        }
        void AddCode(ResultCode code, string? text = null, int? status = null) =>
            Add(status ?? Api.StatusFor(code), $"{(int)code} {text ?? Describe(code)}");

        AddCode(ResultCode.InvalidArgument);
        if (body is not null)
        {
            AddCode(ResultCode.BadJson);
            var limit = context.ApplicationServices.GetService<MsgMateOptions>()?.MaxRequestBodyBytes ?? new MsgMateOptions().MaxRequestBodyBytes;
            AddCode(ResultCode.InvalidArgument, $"the request body exceeds {limit} bytes", StatusCodes.Status413PayloadTooLarge);
        }
        foreach (var code in metadata.OfType<ErrorsDoc>().SelectMany(d => d.Codes))
        {
            AddCode(code);
        }
        AddCode(ResultCode.RateLimited, "too many requests: retry later");
        AddCode(ResultCode.Internal, "the cluster did not answer in time: retry", StatusCodes.Status503ServiceUnavailable);
        AddCode(ResultCode.StoreFailed, "the database is unavailable: retry");
        AddCode(ResultCode.NodeLeaving);
        AddCode(ResultCode.Internal, "internal error", StatusCodes.Status500InternalServerError);

        var responses = operation.Responses ??= [];
        var envelope = new OpenApiSchemaReference(EnvelopeSchema, document);
        foreach (var (status, lines) in answers)
        {
            responses[status.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{ReasonPhrase(status)}: the envelope with code {string.Join("; ", lines)}.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = envelope } },
            };
        }
    }

    /// <summary>The body's schema as a component (one per type, shared by JSON and form), with the handler's rules applied.</summary>
    private static async Task<OpenApiSchemaReference> BodySchemaAsync(
        BodyDoc body, OpenApiDocument document, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var components = document.Components ??= new OpenApiComponents();
        var schemas = components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        var name = body.Type.Name;
        if (!schemas.ContainsKey(name))
        {
            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, ct);
            var properties = schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            foreach (var field in body.Fields)
            {
                if (!properties.ContainsKey(field.Name))
                {
                    throw new InvalidOperationException($"{body.Type.Name} has no field '{field.Name}' to document");
                }
                properties[field.Name] = ToSchema(field);
                if (field.Required)
                {
                    (schema.Required ??= new HashSet<string>()).Add(field.Name);
                }
            }
            schemas[name] = schema;
        }
        return new OpenApiSchemaReference(name, document);
    }

    private static OpenApiParameter Header(string name, int maxLength, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = false,
        Description = $"{description} At most {maxLength} characters.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = maxLength },
    };

    private static OpenApiSchema ToSchema(ApiField field)
    {
        var schema = new OpenApiSchema { Description = field.Description.Length == 0 ? null : field.Description };
        if (field.OneOf is { } shapes)
        {
            schema.OneOf = [.. shapes.Select(s => (IOpenApiSchema)ToSchema(s))];
            return schema;
        }
        schema.Type = field.Type;
        schema.Format = field.Format;
        schema.MinLength = field.MinLength;
        schema.MaxLength = field.MaxLength;
        schema.Pattern = field.Pattern;
        schema.Minimum = field.Minimum?.ToString(CultureInfo.InvariantCulture);
        schema.Maximum = field.Maximum?.ToString(CultureInfo.InvariantCulture);
        schema.Enum = field.Values?.Select(v => v.DeepClone()).ToList();
        schema.Default = field.Default?.DeepClone();
        schema.Items = field.Items is null ? null : ToSchema(field.Items);
        schema.MinItems = field.MinItems;
        schema.MaxItems = field.MaxItems;
        schema.AdditionalProperties = field.Entries is null ? null : ToSchema(field.Entries);
        schema.PropertyNames = field.EntryNames is null ? null : ToSchema(field.EntryNames);
        schema.MaxProperties = field.MaxEntries;
        return schema;
    }

    /// <summary>"msg/send_msg" → "msgSendMsg".</summary>
    internal static string OperationId(string relativePath)
    {
        var words = relativePath.Split(['/', '_', '-'], StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(words.Select((w, i) => i == 0 ? w.ToLowerInvariant() : char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad request",
        404 => "Not found",
        409 => "Conflict",
        413 => "Body too large",
        429 => "Too many requests",
        500 => "Internal error",
        503 => "Unavailable, retry",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };

    /// <summary>
    /// Makes generated schemas say what the wire carries. The schema generator follows ASP.NET's web JSON defaults
    /// (camelCase names, numbers also as strings), but the API reads and writes with <see cref="Api.RequestJson"/>
    /// and <see cref="Api.ResponseJson"/>: names as declared, numbers as numbers. Envelopes always carry code and msg.
    /// </summary>
    private static Task DescribeWireSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        NumbersAsNumbers(schema);
        var info = context.JsonTypeInfo;
        if (context.JsonPropertyInfo is not null || info.Kind != JsonTypeInfoKind.Object)
        {
            return Task.CompletedTask;
        }
        if (schema.Properties is { Count: > 0 } properties)
        {
            // Renamed properties are no longer found under their generated names, so their own transformer pass
            // may not reach them: fix their numbers here.
            foreach (var property in properties.Values)
            {
                NumbersAsNumbers(property);
            }
            var wire = info.Properties.ToDictionary(p => p.Name, WireName);
            schema.Properties = properties.ToDictionary(p => wire.GetValueOrDefault(p.Key, p.Key), p => p.Value);
            if (schema.Required is { Count: > 0 } required)
            {
                schema.Required = required.Select(r => wire.GetValueOrDefault(r, r)).ToHashSet();
            }
        }
        if (typeof(Envelope).IsAssignableFrom(info.Type))
        {
            var required = schema.Required ??= new HashSet<string>();
            required.Add("code");
            required.Add("msg");
            if (info.Type == typeof(Envelope))
            {
                schema.Description = "Every answer: code 0 is success, any other code an error explained in msg (see the document's description).";
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>An integer or number that the web defaults would also read from a string: a number only.</summary>
    private static void NumbersAsNumbers(IOpenApiSchema? candidate)
    {
        if (candidate is not OpenApiSchema schema)
        {
            return;
        }
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String)
            && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)) && schema.Pattern is not null)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        NumbersAsNumbers(schema.Items);
        NumbersAsNumbers(schema.AdditionalProperties);
    }

    /// <summary>The name <see cref="Api.ResponseJson"/> (no naming policy) writes: [JsonPropertyName] or the member's name.</summary>
    private static string WireName(JsonPropertyInfo property) =>
        property.AttributeProvider is MemberInfo member
            ? member.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? member.Name
            : property.Name;

    private static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "MsgMate.NET API";
        document.Info.Description = DocumentDescription;
        return Task.CompletedTask;
    }

    private static readonly string DocumentDescription = $"""
        A message push service, wire-compatible with the Go MsgMate.

        **Envelope.** Every answer, success or error, is a JSON object `{"{"}"code": int, "msg": string, …payload{"}"}`: the payload
        fields sit at the top level beside `code` and `msg` (never under `data`). `code` 0 is success (HTTP 200); any other
        code is an error, with the HTTP status below and a message saying what to change.

        | code | meaning | HTTP |
        |------|---------|------|
        {string.Join("\n", Enum.GetValues<ResultCode>().Where(c => c != ResultCode.Ok).Select(c => $"| {(int)c} | {Describe(c)} | {Api.StatusFor(c)} |"))}

        8020 also answers 413 when a body is too large, and 8023 answers 503 when the cluster did not answer in time. 8036,
        8037, 8070, 8023/503 and 429 are worth retrying; 9003–9005 are the Go server's user errors, kept for compatibility.

        **Requests.** POST bodies are JSON objects (field names matched case-insensitively) or the same fields as a form
        (`application/x-www-form-urlencoded`). GET routes take query parameters. `Source-Id` (at most {MaxSourceIdLength}
        characters) names the calling business system; `Idempotency-Key` (at most {MaxIdempotencyKeyLength}) makes
        `send_msg` safe to retry. Times are {Field.TimeFormats}.
        """;
}
