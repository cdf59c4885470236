using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The OpenAPI document a real node serves (<c>/openapi/v1.json</c>) is complete enough for a client generator:
/// every mapped route with its query parameters, body, headers and error answers, and valid for an independent
/// validator. The expectations are the routes the node really maps and the tables below, written from the handlers.
/// </summary>
public sealed class OpenApiTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private const string DocumentPath = "/openapi/v1.json";

    private NodeHost Node => fixture.Node;

    /// <summary>A query parameter as its handler reads and checks it.</summary>
    private sealed record Param(
        string Name, string Type, bool Required = false, long? Min = null, long? Max = null, int? MaxLength = null, object[]? Enum = null);

    private static readonly Param Page = new("page", "integer", Min: 1, Max: 10_000);
    private static readonly Param PageSize = new("page_size", "integer", Min: 1, Max: 100);
    private static Param Text(string name, int? maxLength = null) => new(name, "string", MaxLength: maxLength);

    /// <summary>Every GET route's query parameters, from the handlers (RequestReader.Query / QueryInt / Paging).</summary>
    private static readonly Dictionary<string, Param[]> QueryParameters = new()
    {
        ["/user/get"] = [new("user_id", "string", Required: true, MaxLength: 64)],
        ["/user/list"] =
        [
            Page, PageSize, Text("user_id", 64), Text("keyword", 254), Text("name", 254), Text("tag", 32), new("status", "integer", Enum: [0, 1]),
        ],
        ["/user/tag_statistics"] = [],
        ["/msg/get_template"] = [new("templateID", "string", Required: true, MaxLength: 64)],
        ["/msg/list_templates"] = [Page, PageSize, Text("source_id", 64), new("channel", "integer", Enum: [0, 1, 2, 3, 4, 5, 6])],
        ["/msg/get_msg_record"] = [new("msgID", "string", Required: true, MaxLength: 64)],
        ["/msg/list_msg_records"] =
        [
            Page, PageSize, Text("msg_id", 64), Text("to", 254), new("status", "integer", Enum: [1, 2, 3, 4, 5, 6]),
            new("channel", "integer", Enum: [1, 2, 3, 4, 5, 6]), new("priority", "integer", Enum: [1, 2, 3]),
            Text("batch_id", 64), Text("source_id", 64), Text("schedule_id", 64), Text("start_time"), Text("end_time"),
        ],
        ["/msg/statistics"] = [Text("start_time"), Text("end_time"), new("granularity", "string", Enum: ["hour", "day"])],
        ["/scheduled/get"] = [new("schedule_id", "string", Required: true, MaxLength: 64)],
        ["/scheduled/list"] = [Page, PageSize, new("status", "integer", Enum: [1, 2, 3, 4, 5])],
        ["/admin/keys"] = [],
        ["/admin/quotas"] = [],
        ["/admin/cluster"] = [],
        ["/admin/sharding/regions"] = [],
        ["/admin/sharding/stats"] = [new("type", "string", Required: true, MaxLength: 64)],
        ["/admin/queue"] = [],
        ["/admin/dead-letters"] = [new("channel", "integer", Enum: [1, 2, 3, 4, 5, 6]), Text("start_time"), Text("end_time"), Page, PageSize],
        ["/admin/audit"] =
        [
            new("action", "string", MaxLength: 64), new("key_id", "string", MaxLength: 32), new("source_id", "string", MaxLength: 64),
            new("target", "string", MaxLength: 128), Text("start_time"), Text("end_time"), Page, PageSize,
        ],
    };

    /// <summary>The body fields each POST route's validation insists on (present and not empty).</summary>
    private static readonly Dictionary<string, string[]> RequiredBodyFields = new()
    {
        ["/user/create"] = ["user_id", "name"],
        ["/user/update"] = ["user_id"],
        ["/user/delete"] = ["user_id"],
        ["/user/enable"] = ["user_id"],
        ["/user/erase"] = ["user_id"],
        ["/user/find_by_tags"] = ["tags"],
        ["/msg/create_template"] = ["sourceID", "name", "channel", "content"],
        ["/msg/update_template"] = ["templateID"],
        ["/msg/del_template"] = ["templateID"],
        ["/msg/send_msg"] = [], // a recipient (to, user_ids or tags) and templateID or content: no single field
        ["/msg/cancel"] = ["msgID"],
        ["/msg/resend"] = [], // msgID or batchID
        ["/scheduled/create"] = [], // scheduled_time or cron / interval_seconds, and the send fields as send_msg
        ["/scheduled/cancel"] = ["schedule_id"],
        ["/scheduled/pause"] = ["schedule_id"],
        ["/scheduled/resume"] = ["schedule_id"],
        ["/scheduled/update"] = ["schedule_id"],
        ["/admin/keys"] = ["source_id", "scopes"],
        ["/admin/keys/rotate"] = ["key_id"],
        ["/admin/keys/revoke"] = ["key_id"],
        ["/admin/quotas"] = ["scope", "num", "unit"],
        ["/admin/quotas/delete"] = ["scope"],
        ["/admin/cluster/leave"] = ["address"],
        ["/admin/cluster/down"] = ["address"],
        ["/admin/cluster/down-unreachable"] = [], // an empty object
        ["/admin/dead-letters/redrive"] = [], // msg_ids, channel, a time, or all
    };

    /// <summary>Beyond the answers every route can give: 404 (unknown id) and 409 (state conflict) where the handler can.</summary>
    private static readonly Dictionary<string, int[]> RouteSpecificErrors = new()
    {
        ["POST /user/create"] = [409],
        ["GET /user/get"] = [404],
        ["POST /user/update"] = [404],
        ["GET /user/list"] = [],
        ["POST /user/delete"] = [404],
        ["POST /user/enable"] = [404],
        ["POST /user/erase"] = [404],
        ["POST /user/find_by_tags"] = [],
        ["GET /user/tag_statistics"] = [],
        ["POST /msg/create_template"] = [409],
        ["GET /msg/get_template"] = [404],
        ["GET /msg/list_templates"] = [],
        ["POST /msg/update_template"] = [404],
        ["POST /msg/del_template"] = [404],
        ["POST /msg/send_msg"] = [404, 409],
        ["GET /msg/get_msg_record"] = [404],
        ["GET /msg/list_msg_records"] = [],
        ["POST /msg/cancel"] = [404, 409],
        ["POST /msg/resend"] = [404, 409],
        ["GET /msg/statistics"] = [],
        ["POST /scheduled/create"] = [404, 409],
        ["GET /scheduled/get"] = [404],
        ["GET /scheduled/list"] = [],
        ["POST /scheduled/cancel"] = [404, 409],
        ["POST /scheduled/pause"] = [404, 409],
        ["POST /scheduled/resume"] = [404, 409],
        ["POST /scheduled/update"] = [404, 409],
        ["POST /admin/keys"] = [],
        ["GET /admin/keys"] = [],
        ["POST /admin/keys/rotate"] = [404, 409],
        ["POST /admin/keys/revoke"] = [404, 409],
        ["GET /admin/audit"] = [],
        ["GET /admin/quotas"] = [],
        ["POST /admin/quotas"] = [],
        ["POST /admin/quotas/delete"] = [404],
        ["GET /admin/cluster"] = [],
        ["POST /admin/cluster/leave"] = [404],
        ["POST /admin/cluster/down"] = [404],
        ["POST /admin/cluster/down-unreachable"] = [],
        ["GET /admin/sharding/regions"] = [],
        ["GET /admin/sharding/stats"] = [404],
        ["GET /admin/queue"] = [],
        ["GET /admin/dead-letters"] = [],
        ["POST /admin/dead-letters/redrive"] = [],
    };

    /// <summary>Every route may answer these (bad input, no or a wrong key, no scope, rate limit, unavailable, internal); a body route also 413.</summary>
    private static readonly int[] CommonErrors = [400, 401, 403, 429, 500, 503];

    private static readonly string[] BodyMediaTypes = ["application/json", "application/x-www-form-urlencoded"];

    /// <summary>The API routes the node maps: method and pattern of each endpoint described by ApiExplorer.</summary>
    private List<(string Method, string Path)> MappedRoutes()
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in Node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true }
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { } methods)
            {
                continue;
            }
            var path = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            routes.AddRange(methods.HttpMethods.Select(m => (m.ToUpperInvariant(), path)));
        }
        return routes;
    }

    private async Task<JsonElement> DocumentAsync()
    {
        var answer = await Node.GetAsync(DocumentPath);
        Assert.Equal(200, answer.Status);
        return answer.Body;
    }

    private static JsonElement Operation(JsonElement document, string method, string path)
    {
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not in the document");
        Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is not in the document");
        return operation;
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }
        var name = reference.GetString()!;
        Assert.StartsWith("#/components/schemas/", name);
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty(name["#/components/schemas/".Length..], out var target),
            $"dangling reference {name}");
        return target;
    }

    private static IEnumerable<JsonElement> Parameters(JsonElement operation, string location) =>
        operation.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == location)
            : [];

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetInt64() : null;

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.GetBoolean();

    private static string TypeOf(JsonElement schema) =>
        schema.TryGetProperty("type", out var t) ? t.ValueKind == JsonValueKind.Array ? string.Join("|", t.EnumerateArray()) : t.GetString()! : "";

    [Fact(DisplayName = "Every route the node maps is in the document (and nothing else), with an operationId and every error answer it can give")]
    public async Task Every_route_is_documented_with_its_error_answers()
    {
        var document = await DocumentAsync();
        var routes = MappedRoutes();
        Assert.NotEmpty(routes);
        var problems = new List<string>();

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Method: o.Name.ToUpperInvariant(), Path: p.Name)))
            .ToHashSet();
        problems.AddRange(routes.Except(documented).Select(r => $"{r.Method} {r.Path}: mapped but not documented"));
        problems.AddRange(documented.Except(routes).Select(r => $"{r.Method} {r.Path}: documented but not mapped"));
        problems.AddRange(routes.Select(r => $"{r.Method} {r.Path}").Except(RouteSpecificErrors.Keys)
            .Select(r => $"{r}: a new route; add it to this test's tables"));

        var operationIds = new HashSet<string>();
        foreach (var (method, path) in routes.Where(documented.Contains))
        {
            var operation = Operation(document, method, path);
            if (Str(operation, "operationId") is not { Length: > 0 } id || !operationIds.Add(id))
            {
                problems.Add($"{method} {path}: no operationId, or one used twice");
            }
            var hasBody = method == "POST";
            int[] expected =
            [
                200, .. CommonErrors, .. hasBody ? [413] : Array.Empty<int>(),
                .. RouteSpecificErrors.GetValueOrDefault($"{method} {path}", []),
            ];
            var responses = operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name)).ToHashSet();
            if (!responses.SetEquals(expected))
            {
                problems.Add($"{method} {path}: answers [{string.Join(", ", responses.Order())}], expected [{string.Join(", ", expected.Order())}]");
            }
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name != "200"))
            {
                if (Str(response.Value, "description") is not { Length: > 0 } description || !description.Contains("code"))
                {
                    problems.Add($"{method} {path} {response.Name}: no description naming the result codes");
                }
                if (!response.Value.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json)
                    || Resolve(document, json.GetProperty("schema")) is var schema && !IsEnvelope(schema))
                {
                    problems.Add($"{method} {path} {response.Name}: not the {{code, msg}} envelope");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static bool IsEnvelope(JsonElement schema) =>
        schema.TryGetProperty("properties", out var properties)
        && properties.TryGetProperty("code", out var code) && TypeOf(code) == "integer"
        && properties.TryGetProperty("msg", out var msg) && TypeOf(msg) == "string"
        && schema.TryGetProperty("required", out var required)
        && required.EnumerateArray().Select(r => r.GetString()).ToHashSet().IsSupersetOf(["code", "msg"]);

    /// <summary>
    /// Every string a client sends has a bound in the document: a maxLength or a closed set of values (the one
    /// exception is a time, bounded by its format, and <c>to</c> as one comma-separated string, whose addresses and
    /// count are bounded as the list form says); every list a maxItems or a closed set; every map a maxProperties.
    /// </summary>
    [Fact(DisplayName = "Every string, list and map a request carries (body fields, their items and entries, query parameters) has a documented bound")]
    public async Task Every_input_is_bounded()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        void Check(JsonElement schema, string where, string description)
        {
            schema = Resolve(document, schema);
            description = Str(schema, "description") ?? description;
            if (schema.TryGetProperty("oneOf", out var shapes))
            {
                var i = 0;
                foreach (var shape in shapes.EnumerateArray())
                {
                    Check(shape, $"{where}|{i++}", description);
                }
                return;
            }
            var type = TypeOf(schema);
            var closed = schema.TryGetProperty("enum", out _);
            if (type == "string" && !closed && Long(schema, "maxLength") is null
                && !description.Contains("YYYY-MM-DD") && !(where.EndsWith(".to|0") && description.Contains("each at most")))
            {
                problems.Add($"{where}: a string without maxLength");
            }
            if (type == "array")
            {
                var items = schema.GetProperty("items");
                if (Long(schema, "maxItems") is null && !Resolve(document, items).TryGetProperty("enum", out _))
                {
                    problems.Add($"{where}: a list without maxItems");
                }
                Check(items, where + "[]", "");
            }
            if (schema.TryGetProperty("additionalProperties", out var entries) && entries.ValueKind == JsonValueKind.Object)
            {
                if (Long(schema, "maxProperties") is null || !schema.TryGetProperty("propertyNames", out var names) || Long(names, "maxLength") is null)
                {
                    problems.Add($"{where}: a map without maxProperties and propertyNames.maxLength");
                }
                Check(entries, where + "{}", "");
            }
        }
        foreach (var (method, path) in MappedRoutes())
        {
            var operation = Operation(document, method, path);
            foreach (var parameter in Parameters(operation, "query"))
            {
                Check(parameter.GetProperty("schema"), $"{method} {path} ?{parameter.GetProperty("name").GetString()}", Str(parameter, "description") ?? "");
            }
            if (operation.TryGetProperty("requestBody", out var body))
            {
                var schema = Resolve(document, body.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
                foreach (var property in schema.GetProperty("properties").EnumerateObject())
                {
                    Check(property.Value, $"{method} {path} .{property.Name}", "");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct()));
    }

    [Fact(DisplayName = "Every GET route documents exactly its query parameters: names, types, required, ranges, allowed values, lengths")]
    public async Task Every_get_route_documents_its_query_parameters()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        var gets = MappedRoutes().Where(r => r.Method == "GET").Select(r => r.Path).ToList();
        problems.AddRange(gets.Except(QueryParameters.Keys).Select(p => $"GET {p}: a new route; add its query parameters to this test"));
        problems.AddRange(QueryParameters.Keys.Except(gets).Select(p => $"GET {p}: in this test but not mapped"));

        foreach (var path in gets.Intersect(QueryParameters.Keys))
        {
            var documented = Parameters(Operation(document, "GET", path), "query").ToDictionary(p => p.GetProperty("name").GetString()!);
            var expected = QueryParameters[path];
            problems.AddRange(expected.Select(p => p.Name).Except(documented.Keys).Select(n => $"GET {path}: query parameter {n} is missing"));
            problems.AddRange(documented.Keys.Except(expected.Select(p => p.Name)).Select(n => $"GET {path}: query parameter {n} is documented but not read"));
            foreach (var want in expected.Where(p => documented.ContainsKey(p.Name)))
            {
                var parameter = documented[want.Name];
                var schema = parameter.GetProperty("schema");
                var enumValues = schema.TryGetProperty("enum", out var e) ? e.EnumerateArray().Select(v => v.ToString()).ToHashSet() : null;
                var got = want with
                {
                    Type = TypeOf(schema), Required = Bool(parameter, "required"), Min = Long(schema, "minimum"), Max = Long(schema, "maximum"),
                    MaxLength = (int?)Long(schema, "maxLength"),
                };
                if (got != want)
                {
                    problems.Add($"GET {path} {want.Name}: documented {Describe(got)}, the handler reads {Describe(want)}");
                }
                var wantEnum = want.Enum?.Select(v => v.ToString()!).ToHashSet();
                if ((wantEnum is null) != (enumValues is null) || wantEnum is not null && !wantEnum.SetEquals(enumValues!))
                {
                    problems.Add($"GET {path} {want.Name}: allowed values [{string.Join(", ", enumValues ?? [])}], expected [{string.Join(", ", wantEnum ?? [])}]");
                }
                if (Str(parameter, "description") is not { Length: > 0 })
                {
                    problems.Add($"GET {path} {want.Name}: no description");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static string Describe(Param p) =>
        $"{p.Type}{(p.Required ? " required" : "")}{(p.Min is { } min ? $" ≥ {min}" : "")}{(p.Max is { } max ? $" ≤ {max}" : "")}"
        + (p.MaxLength is { } length ? $" length ≤ {length}" : "");

    [Fact(DisplayName = "The documented query limits are the handlers' limits: just outside answers 8020/400, the documented values pass")]
    public async Task Documented_query_limits_hold()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        foreach (var path in MappedRoutes().Where(r => r.Method == "GET").Select(r => r.Path))
        {
            var parameters = Parameters(Operation(document, "GET", path), "query").ToList();
            var baseline = parameters.Where(p => Bool(p, "required"))
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => TypeOf(p.GetProperty("schema")) == "integer" ? "1" : "x");

            async Task Expect(string because, Dictionary<string, string> query, bool refused)
            {
                var url = path + (query.Count == 0 ? "" : "?" + string.Join("&", query.Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value)}")));
                var answer = await Node.GetAsync(url);
                var wasRefused = answer.Status == 400 && answer.Code == 8020;
                if (wasRefused != refused)
                {
                    problems.Add($"{url} ({because}): expected {(refused ? "8020/400" : "not 400")}, got HTTP {answer.Status} {answer.Body}");
                }
            }
            Dictionary<string, string> With(string name, string? value)
            {
                var query = new Dictionary<string, string>(baseline);
                if (value is null)
                {
                    query.Remove(name);
                }
                else
                {
                    query[name] = value;
                }
                return query;
            }

            await Expect("the required parameters", baseline, refused: false);
            foreach (var parameter in parameters)
            {
                var name = parameter.GetProperty("name").GetString()!;
                var schema = parameter.GetProperty("schema");
                if (Bool(parameter, "required"))
                {
                    await Expect($"{name} missing", With(name, null), refused: true);
                }
                if (TypeOf(schema) == "integer")
                {
                    await Expect($"{name} not a number", With(name, "abc"), refused: true);
                }
                if (Long(schema, "minimum") is { } min)
                {
                    await Expect($"{name} at its minimum", With(name, $"{min}"), refused: false);
                    await Expect($"{name} below its minimum", With(name, $"{min - 1}"), refused: true);
                }
                if (Long(schema, "maximum") is { } max)
                {
                    await Expect($"{name} at its maximum", With(name, $"{max}"), refused: false);
                    await Expect($"{name} above its maximum", With(name, $"{max + 1}"), refused: true);
                }
                if (Long(schema, "maxLength") is { } length)
                {
                    await Expect($"{name} at its longest", With(name, new string('a', (int)length)), refused: false);
                    await Expect($"{name} too long", With(name, new string('a', (int)length + 1)), refused: true);
                }
                if (schema.TryGetProperty("enum", out var values))
                {
                    var allowed = values.EnumerateArray().Select(v => v.ToString()).ToList();
                    foreach (var value in allowed)
                    {
                        await Expect($"{name} = {value}, an allowed value", With(name, value), refused: false);
                    }
                    var outside = TypeOf(schema) == "integer"
                        ? $"{values.EnumerateArray().Max(v => v.GetInt64()) + 1}"
                        : "not-" + allowed[0];
                    await Expect($"{name} = {outside}, not an allowed value", With(name, outside), refused: true);
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact(DisplayName = "Every POST body is documented as JSON and as a form, one schema marking the fields the handler requires")]
    public async Task Every_post_body_marks_its_required_fields()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        var posts = MappedRoutes().Where(r => r.Method == "POST").Select(r => r.Path).ToList();
        problems.AddRange(posts.Except(RequiredBodyFields.Keys).Select(p => $"POST {p}: a new route; add its required fields to this test"));

        foreach (var path in posts.Intersect(RequiredBodyFields.Keys))
        {
            var operation = Operation(document, "POST", path);
            if (!operation.TryGetProperty("requestBody", out var body) || !Bool(body, "required"))
            {
                problems.Add($"POST {path}: no required request body");
                continue;
            }
            var content = body.GetProperty("content");
            var missing = BodyMediaTypes.Where(t => !content.TryGetProperty(t, out _)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"POST {path}: the body is not documented as {string.Join(", ", missing)}");
                continue;
            }
            var references = BodyMediaTypes.Select(t => content.GetProperty(t).GetProperty("schema").GetRawText()).Distinct().ToList();
            if (references.Count != 1)
            {
                problems.Add($"POST {path}: JSON and form bodies have different schemas");
            }
            var schema = Resolve(document, content.GetProperty(BodyMediaTypes[0]).GetProperty("schema"));
            var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
            if (!required.SetEquals(RequiredBodyFields[path]))
            {
                problems.Add($"POST {path}: required [{string.Join(", ", required)}], the handler requires [{string.Join(", ", RequiredBodyFields[path])}]");
            }
            var properties = schema.GetProperty("properties");
            problems.AddRange(required.Where(f => !properties.TryGetProperty(f, out _)).Select(f => $"POST {path}: required field {f} is not a property"));
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact(DisplayName = "Success answers carry exactly the documented field names (as written on the wire) and every required one")]
    public async Task Answers_match_their_documented_schemas()
    {
        var document = await DocumentAsync();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (userId, source, tag) = ($"u_{suffix}", $"s_{suffix}", $"t_{suffix}");
        var problems = new List<string>();

        async Task Check(string method, string path, Answer answer)
        {
            answer.ShouldSucceed();
            var route = path.Split('?')[0];
            var schema = Operation(document, method, route).GetProperty("responses").GetProperty("200")
                .GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Compare(document, answer.Body, schema, $"{method} {path}", problems);
        }

        var created = await Node.PostAsync("/user/create", new { user_id = userId, name = "Doc", email = "doc@example.com", tags = new[] { tag } });
        await Check("POST", "/user/create", created);
        var template = await Node.PostAsync("/msg/create_template", new { sourceID = source, name = "Doc", channel = 1, subject = "Hi {{n}}", content = "Hello {{n}}" });
        await Check("POST", "/msg/create_template", template);
        var templateId = template["templateID"].GetString()!;
        foreach (var path in new[]
        {
            $"/user/get?user_id={userId}", $"/user/list?user_id={userId}", "/user/tag_statistics",
            $"/msg/get_template?templateID={templateId}", $"/msg/list_templates?source_id={source}",
            "/msg/list_msg_records", "/msg/statistics", "/scheduled/list",
        })
        {
            await Check("GET", path, await Node.GetAsync(path));
        }
        await Check("POST", "/user/find_by_tags", await Node.PostAsync("/user/find_by_tags", new { tags = new[] { tag } }));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every field of <paramref name="value"/> is a documented property, every required property is there; recursively.</summary>
    private static void Compare(JsonElement document, JsonElement value, JsonElement schema, string where, List<string> problems)
    {
        schema = Resolve(document, schema);
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Compare(document, item, items, $"{where}[{i++}]", problems);
            }
            return;
        }
        if (value.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties))
        {
            return;
        }
        foreach (var field in value.EnumerateObject())
        {
            if (properties.TryGetProperty(field.Name, out var property))
            {
                Compare(document, field.Value, property, $"{where}.{field.Name}", problems);
            }
            else
            {
                problems.Add($"{where}: the answer has {field.Name}, the document only [{string.Join(", ", properties.EnumerateObject().Select(p => p.Name))}]");
            }
        }
        if (schema.TryGetProperty("required", out var required))
        {
            problems.AddRange(required.EnumerateArray().Select(r => r.GetString()!).Where(r => !value.TryGetProperty(r, out _))
                .Select(r => $"{where}: the required field {r} is not in the answer"));
        }
    }

    [Fact(DisplayName = "Every route documents the Source-Id header (≤ 64); send_msg, the one route reading it, documents Idempotency-Key (≤ 128)")]
    public async Task Headers_are_documented()
    {
        var document = await DocumentAsync();
        var problems = new List<string>();
        foreach (var (method, path) in MappedRoutes())
        {
            var headers = Parameters(Operation(document, method, path), "header").ToDictionary(h => h.GetProperty("name").GetString()!);
            var expected = new Dictionary<string, long> { ["Source-Id"] = 64 };
            if (method == "POST" && path == "/msg/send_msg")
            {
                expected["Idempotency-Key"] = 128;
            }
            if (!headers.Keys.ToHashSet().SetEquals(expected.Keys))
            {
                problems.Add($"{method} {path}: headers [{string.Join(", ", headers.Keys)}], expected [{string.Join(", ", expected.Keys)}]");
                continue;
            }
            foreach (var (name, maxLength) in expected)
            {
                var schema = headers[name].GetProperty("schema");
                if (TypeOf(schema) != "string" || Long(schema, "maxLength") != maxLength || Str(headers[name], "description") is not { Length: > 0 })
                {
                    problems.Add($"{method} {path} {name}: expected a described string of at most {maxLength} characters, got {headers[name]}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact(DisplayName = "The document's info names the API and explains the envelope and every result code")]
    public async Task Info_explains_the_envelope_and_codes()
    {
        var document = await DocumentAsync();
        var info = document.GetProperty("info");
        Assert.Equal("MsgMate.NET API", Str(info, "title"));
        var description = Str(info, "description") ?? "";
        Assert.Contains("\"code\"", description);
        Assert.Contains("\"msg\"", description);
        int[] codes = [8020, 8021, 8023, 8035, 8036, 8037, 8038, 8048, 8049, 8050, 8051, 9001, 9002, 9003, 9004, 9005];
        Assert.All(codes, code => Assert.Contains($"| {code} |", description));
        Assert.StartsWith("3.1", Str(document, "openapi"));
    }

    [Fact(DisplayName = "The document is valid OpenAPI 3.1 for independent validators: @seriousme/openapi-schema-validator, and Ajv strict on every schema")]
    public async Task Independent_validator_accepts_the_document()
    {
        var text = await Node.Client.GetStringAsync(DocumentPath);
        var directory = ValidatorDirectory();
        await EnsureValidatorInstalledAsync(directory);
        var file = Path.Combine(Path.GetTempPath(), $"msgmate-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, text);
        try
        {
            var (exitCode, output) = await RunAsync("node", ["validate.mjs", file, "3.1"], directory, TimeSpan.FromMinutes(2));
            Assert.True(exitCode == 0, $"the OpenAPI validator refused {DocumentPath}:\n{output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>tests/openapi-validate, found from the test's output directory up to the repository root.</summary>
    private static string ValidatorDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "openapi-validate");
            if (File.Exists(Path.Combine(candidate, "validate.mjs")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"tests/openapi-validate/validate.mjs not found above {AppContext.BaseDirectory}");
    }

    /// <summary>scripts/test.sh runs <c>npm ci</c> there; a plain <c>dotnet test</c> in a fresh checkout does it here.</summary>
    private static async Task EnsureValidatorInstalledAsync(string directory)
    {
        if (File.Exists(Path.Combine(directory, "node_modules", "@seriousme", "openapi-schema-validator", "package.json"))
            && File.Exists(Path.Combine(directory, "node_modules", "ajv", "package.json")))
        {
            return;
        }
        var (exitCode, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, TimeSpan.FromMinutes(5));
        Assert.True(exitCode == 0, $"npm ci in {directory} failed (the validator comes from the npm registry):\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"cannot run {program} ({ex.Message}): the OpenAPI validator needs Node.js 18+ and npm (Debian: apt-get install nodejs npm; scripts/test.sh installs them)");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
            }
            return (process.ExitCode, $"{await stdout}{await stderr}".Trim());
        }
    }
}
