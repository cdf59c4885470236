using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>One generated request of the fuzz campaign.</summary>
/// <param name="Target">Path and query as sent on the request line (already percent-encoded).</param>
/// <param name="RawHeaderLines">Header lines sent as bytes over a raw socket (CR LF inside a value, UTF-8 in a header).</param>
/// <param name="KestrelMayRefuse">Malformed HTTP that Kestrel refuses itself, before any code of the node runs, with a
/// bare 400: the one answer allowed without the envelope (RequestLimits documents it).</param>
public sealed record FuzzCase(
    string Route, string Kind, string Label, string Method, string Target,
    byte[]? Body = null, string? ContentType = null,
    IReadOnlyList<(string Name, string Value)>? Headers = null,
    string? RawHeaderLines = null, bool KestrelMayRefuse = false)
{
    public bool ReadOnly => Method == "GET";

    public bool Raw => RawHeaderLines is not null || Target.Contains("%ZZ") || Target.EndsWith('%') || Target.Contains("%ED%A0");

    public override string ToString() =>
        $"{Method} {Route} [{Kind}: {Label}] {(Target.Length > 160 ? Target[..160] + "…" : Target)}"
        + (Body is null ? "" : $" body {Body.Length} B: {Preview(Body)}");

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200));
        return text.ReplaceLineEndings("⏎") + (body.Length > 200 ? "…" : "");
    }
}

/// <summary>A route as the node's own OpenAPI document describes it: query parameters and body properties with their schemas.</summary>
public sealed record FuzzRoute(string Method, string Path, IReadOnlyList<(string Name, JsonElement Schema, bool Required)> Query,
    IReadOnlyList<(string Name, JsonElement Schema)> BodyFields)
{
    public string Key => $"{Method} {Path}";

    /// <summary>Every operation of <c>/openapi/v1.json</c>, its <c>$ref</c>s resolved.</summary>
    public static IReadOnlyList<FuzzRoute> FromDocument(JsonElement document)
    {
        var routes = new List<FuzzRoute>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var query = new List<(string, JsonElement, bool)>();
                if (operation.Value.TryGetProperty("parameters", out var parameters))
                {
                    foreach (var p in parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query"))
                    {
                        query.Add((p.GetProperty("name").GetString()!, p.GetProperty("schema"),
                            p.TryGetProperty("required", out var r) && r.GetBoolean()));
                    }
                }
                var fields = new List<(string, JsonElement)>();
                if (operation.Value.TryGetProperty("requestBody", out var body))
                {
                    var schema = Resolve(document, body.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
                    foreach (var property in schema.GetProperty("properties").EnumerateObject())
                    {
                        fields.Add((property.Name, Resolve(document, property.Value)));
                    }
                }
                routes.Add(new FuzzRoute(operation.Name.ToUpperInvariant(), path.Name, query, fields));
            }
        }
        return routes;
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..])
            : schema;
}

/// <summary>
/// Generates the cases of one route from its schema and a valid baseline request: malformed bodies, every field
/// replaced by values of every type and by huge, deep, Unicode-edge and injection values (schema-guided boundaries
/// too), the same as form bodies, hostile headers, and for GET routes the query parameters. Deterministic for a seed.
/// </summary>
public sealed class FuzzCaseGenerator(Random random, int maxFieldCasesPerRoute, int maxQueryCasesPerRoute)
{
    private const string Json = "application/json";
    private const string Form = "application/x-www-form-urlencoded";

    /// <summary>Kestrel's request-line limit as the node raises it (MsgMateOptions.ServerRequestHeadLimitBytes), less the method and version.</summary>
    private const int KestrelRequestLineLimit = 256 * 1024 - 32;

    /// <summary>Wrong types and the worst values every field gets, whatever the sampling keeps of the rest.</summary>
    private static readonly HashSet<string> AlwaysTried =
        ["1", "\"empty\"", "[]", "{}", "null", "true", "1e309", "lone-high-surrogate", "\"nul\"", "\"huge-ascii\"", "deep-object", "\"crlf\"", "10k-strings"];

    private static readonly HashSet<string> NumberEdges = ["0", "-1", "1.5", "-0", "-1e309", "1e-400", "int-max+1", "long-max", "long-max+1", "long-min-1"];

    public IEnumerable<FuzzCase> Post(FuzzRoute route, JsonObject baseline)
    {
        var valid = baseline.ToJsonString();
        foreach (var c in Malformed(route, valid))
        {
            yield return c;
        }
        foreach (var c in Sample(FieldCases(route, baseline), maxFieldCasesPerRoute))
        {
            yield return c;
        }
        foreach (var c in FormCases(route, baseline))
        {
            yield return c;
        }
        foreach (var c in HeaderCases(route, valid))
        {
            yield return c;
        }
    }

    public IEnumerable<FuzzCase> Get(FuzzRoute route, IReadOnlyDictionary<string, string> baseline)
    {
        var cases = new List<FuzzCase>();
        // The value under test is sent as given when `encoded` (raw escapes); everything else is percent-encoded.
        FuzzCase Query(string kind, string label, IEnumerable<(string Name, string Value)> pairs, bool encoded = false)
        {
            var list = pairs.ToList();
            var target = route.Path + "?" + string.Join("&", list.Select((p, i) => encoded && i == list.Count - 1
                ? $"{p.Name}={p.Value}"
                : $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
            // Past Kestrel's own (raised) request-line limit the answer is Kestrel's bare 414: documented, not the node's.
            return new(route.Key, kind, label, "GET", target, KestrelMayRefuse: target.Length > KestrelRequestLineLimit);
        }
        IEnumerable<(string, string)> With(string name, string value) =>
            baseline.Where(b => b.Key != name).Select(b => (b.Key, b.Value)).Append((name, value));

        foreach (var (name, schema, _) in route.Query)
        {
            foreach (var (label, text) in FuzzInputs.QueryStrings(random))
            {
                cases.Add(Query("query", $"{name}={label}", With(name, text)));
            }
            foreach (var (label, value) in Boundaries(schema))
            {
                cases.Add(Query("query-boundary", $"{name}={label}", With(name, value)));
            }
            cases.Add(Query("query-repeated", $"{name} twice", With(name, "1").Append((name, "2"))));
            cases.Add(Query("query-array", $"{name}[]", baseline.Select(b => (b.Key, b.Value)).Append((name + "[]", "1"))));
            cases.Add(Query("query-raw", $"{name}=%ZZ", With(name, "%ZZ"), encoded: true));
            cases.Add(Query("query-raw", $"{name}=%ED%A0%80 (a surrogate in UTF-8)", With(name, "%ED%A0%80"), encoded: true));
            cases.Add(Query("query-raw", $"{name}=%C3%28 (invalid UTF-8)", With(name, "%C3%28"), encoded: true));
            cases.Add(Query("query-raw", $"{name}=%00", With(name, "%00"), encoded: true));
        }
        cases.Add(Query("query-raw", "a lone %", baseline.Select(b => (b.Key, b.Value)).Append(("x", "%")), encoded: true));
        cases.Add(new FuzzCase(route.Key, "query-raw", "&&&=&", "GET", route.Path + "?&&&=&"));
        cases.Add(new FuzzCase(route.Key, "query-raw", "a query of only ?", "GET", route.Path + "?"));
        cases.Add(Query("query-unknown", "unknown parameter", baseline.Select(b => (b.Key, b.Value)).Append(("\u202E" + FuzzInputs.RandomNasty(random), "x"))));
        return Sample(cases, maxQueryCasesPerRoute);
    }

    private IEnumerable<FuzzCase> Malformed(FuzzRoute route, string valid)
    {
        FuzzCase Body(string label, byte[] bytes, string contentType = Json) => new(route.Key, "malformed", label, "POST", route.Path, bytes, contentType);
        FuzzCase Text(string label, string text, string contentType = Json) => Body(label, Encoding.UTF8.GetBytes(text), contentType);

        for (var i = 0; i < 4; i++)
        {
            var cut = random.Next(1, valid.Length);
            yield return Text($"truncated at {cut}", valid[..cut]);
        }
        yield return Text("trailing }", valid + "}");
        yield return Text("trailing garbage", valid + " x");
        yield return Text("two objects", valid + valid);
        yield return Text("trailing comma", valid[..^1] + ",}");
        yield return Text("single quotes", valid.Replace('"', '\''));
        yield return Text("comment", "/* c */" + valid);
        yield return Text("empty", "");
        yield return Text("whitespace", " \r\n\t ");
        yield return Text("100 KB of whitespace then the body", new string(' ', FuzzInputs.HugeLength) + valid);
        foreach (var root in new[] { "[]", "[" + valid + "]", "\"text\"", "42", "null", "true", "1e309" })
        {
            yield return Text($"root {(root.Length > 20 ? "[body]" : root)}", root);
        }
        if (valid.Length > 2)
        {
            var inner = valid[1..^1];
            yield return Text("duplicate keys (every field twice)", "{" + inner + "," + inner + "}");
            var first = inner.Split(',')[0].Split(':')[0];
            yield return Text("duplicate key with a wrong type", "{" + first + ":[{}]," + inner + "}");
        }
        yield return Body("UTF-8 BOM", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(valid)]);
        yield return Body("UTF-16", Encoding.Unicode.GetBytes(valid));
        yield return Body("invalid UTF-8 in a string", [.. Encoding.UTF8.GetBytes(valid[..^1] + ",\"x\":\""), 0xC3, 0x28, 0xFF, .. "\"}"u8.ToArray()]);
        yield return Body("raw NUL byte in a string", [.. Encoding.UTF8.GetBytes(valid[..^1] + ",\"x\":\"a"), 0x00, .. "b\"}"u8.ToArray()]);
        yield return Text("raw control character in a string", valid[..^1] + ",\"x\":\"a\u0001\nb\"}");
        yield return Text("deep array root", FuzzInputs.Structures[0].Json);
        yield return Text("deep object root", FuzzInputs.Structures[1].Json);
        yield return Text("JSON as text/plain", valid, "text/plain");
        yield return Text("JSON under a form content type", valid, Form);
        yield return Text("JSON under multipart without a boundary", valid, "multipart/form-data");
        yield return Text("garbage content type", valid, "x/y; charset=\"unterminated");
    }

    private IEnumerable<FuzzCase> FieldCases(FuzzRoute route, JsonObject baseline)
    {
        var values = FuzzInputs.Scalars.Concat(FuzzInputs.Structures).ToList();
        foreach (var (name, schema) in route.BodyFields)
        {
            var kinds = SchemaKinds(schema);
            var own = new List<FuzzInputs.Value>(values);
            if (kinds.Contains("array"))
            {
                own.AddRange(FuzzInputs.Items);
            }
            if (kinds.Contains("object"))
            {
                own.AddRange(FuzzInputs.Entries);
            }
            own.AddRange(Boundaries(schema).Select(b => new FuzzInputs.Value("boundary " + b.Label, kinds.Contains("string") ? FuzzInputs.Quote(b.Value) : b.Value)));
            if (schema.TryGetProperty("maxItems", out var maxItems) && maxItems.TryGetInt32(out var m))
            {
                var item = schema.GetProperty("items").TryGetProperty("type", out var t) && t.GetString() == "integer" ? "1" : "\"x\"";
                own.Add(new($"{m} items", "[" + string.Join(",", Enumerable.Repeat(item, m)) + "]"));
                own.Add(new($"{m + 1} items", "[" + string.Join(",", Enumerable.Repeat(item, m + 1)) + "]"));
            }
            for (var i = 0; i < 3; i++)
            {
                own.Add(new("random", FuzzInputs.Quote(FuzzInputs.RandomNasty(random))));
            }
            foreach (var value in own)
            {
                var body = Splice(baseline, name, value.Json);
                // Numbers past every range matter most where a number is read; limits matter everywhere.
                var always = AlwaysTried.Contains(value.Label) || value.Label.StartsWith("boundary ") || value.Label.EndsWith(" items")
                    || (kinds.Contains("integer") && NumberEdges.Contains(value.Label));
                yield return new FuzzCase(route.Key, always ? "field!" : "field", $"{name} = {value.Label}",
                    "POST", route.Path, Encoding.UTF8.GetBytes(body), Json);
            }
            yield return new FuzzCase(route.Key, "field!", $"{name} removed", "POST", route.Path,
                Encoding.UTF8.GetBytes(Splice(baseline, name, null)), Json);
        }
        yield return new FuzzCase(route.Key, "field!", "unknown field with a NUL name", "POST", route.Path,
            Encoding.UTF8.GetBytes(Splice(baseline, "\0", "1")), Json);
        yield return new FuzzCase(route.Key, "field!", "unknown field with a 100 KB name", "POST", route.Path,
            Encoding.UTF8.GetBytes(Splice(baseline, new string('n', FuzzInputs.HugeLength), "1")), Json);
    }

    private IEnumerable<FuzzCase> FormCases(FuzzRoute route, JsonObject baseline)
    {
        var pairs = ToForm(baseline);
        FuzzCase Case(string label, string body) => new(route.Key, "form", label, "POST", route.Path, Encoding.UTF8.GetBytes(body), Form);
        string Encode(IEnumerable<(string Key, string Value)> p) => string.Join("&", p.Select(x => $"{Uri.EscapeDataString(x.Key)}={Uri.EscapeDataString(x.Value)}"));

        yield return Case("baseline as a form", Encode(pairs));
        var names = route.BodyFields.Select(f => f.Name).ToList();
        var strings = FuzzInputs.QueryStrings(random).ToList();
        foreach (var name in names)
        {
            var others = pairs.Where(p => !p.Key.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
            var prefix = others.Count == 0 ? "" : Encode(others) + "&";
            for (var i = 0; i < 4; i++)
            {
                var (label, text) = strings[random.Next(strings.Count)];
                yield return Case($"{name}={label}", prefix + Encode([(name, text)]));
            }
            yield return Case($"{name}[]=a&{name}[]=b", prefix + $"{name}[]=a&{name}[]=b");
            yield return Case($"{name}[k]=v", prefix + $"{name}[k]=v&{name}[{Uri.EscapeDataString("\0")}]=x");
            yield return Case($"{name}=%ZZ", prefix + $"{name}=%ZZ");
            yield return Case($"{name}=%C3%28", prefix + $"{name}=%C3%28");
            yield return Case($"{name}[a][b]=1", prefix + $"{name}[a][b]=1&{name}[=2&{name}]]=3");
        }
        yield return Case("empty names and values", "&&=&=x&" + Encode(pairs));
        yield return Case("10,000 fields", string.Join("&", Enumerable.Range(0, FuzzInputs.ManyItems).Select(i => $"f{i}=v")) + "&" + Encode(pairs));
        yield return Case("a 100 KB name", new string('n', FuzzInputs.HugeLength) + "=1&" + Encode(pairs));
    }

    private IEnumerable<FuzzCase> HeaderCases(FuzzRoute route, string valid)
    {
        var body = Encoding.UTF8.GetBytes(valid);
        string[] ascii = ["' OR 1=1 --", "\"; DROP TABLE mm_users; --", "{{.Name}}", "${x}", "%s%n", new string('h', 64), new string('h', 65),
            new string('h', 128), new string('h', 129), new string('h', 10_000), "", " "];
        foreach (var header in new[] { "Source-Id", "Idempotency-Key" })
        {
            foreach (var value in ascii)
            {
                yield return new FuzzCase(route.Key, "header", $"{header}: {(value.Length > 20 ? $"{value.Length} characters" : value)}",
                    "POST", route.Path, body, Json, Headers: [(header, value)]);
            }
            yield return new FuzzCase(route.Key, "header-crlf", $"{header} with CR LF X-Injected", "POST", route.Path, body, Json,
                RawHeaderLines: $"{header}: fuzz\r\nX-Injected: 1\r\n");
            yield return new FuzzCase(route.Key, "header-raw", $"{header} in UTF-8 with RTL and emoji", "POST", route.Path, body, Json,
                RawHeaderLines: $"{header}: \u202Eévil😀\r\n", KestrelMayRefuse: true);
            yield return new FuzzCase(route.Key, "header-raw", $"{header} with a NUL", "POST", route.Path, body, Json,
                RawHeaderLines: $"{header}: a\0b\r\n", KestrelMayRefuse: true);
        }
    }

    /// <summary>Values at and just past the schema's limits, as text (a number, or a string's characters).</summary>
    private static IEnumerable<(string Label, string Value)> Boundaries(JsonElement schema)
    {
        if (schema.TryGetProperty("maxLength", out var maxLength))
        {
            var l = maxLength.GetInt32();
            yield return ($"maxLength {l}", new string('a', l));
            yield return ($"maxLength+1 {l + 1}", new string('a', l + 1));
        }
        if (schema.TryGetProperty("minimum", out var min))
        {
            yield return ($"minimum-1", (min.GetInt64() - 1).ToString());
        }
        if (schema.TryGetProperty("maximum", out var max))
        {
            yield return ($"maximum {max.GetInt64()}", max.GetInt64().ToString());
            yield return ($"maximum+1", (max.GetInt64() + 1).ToString());
        }
        if (schema.TryGetProperty("enum", out var values))
        {
            var first = values.EnumerateArray().First();
            yield return ("outside the enum", first.ValueKind == JsonValueKind.Number
                ? (values.EnumerateArray().Max(v => v.GetInt64()) + 1).ToString()
                : "not-" + first.GetString());
        }
    }

    private static HashSet<string> SchemaKinds(JsonElement schema)
    {
        var kinds = new HashSet<string>();
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                kinds.Add(type.GetString()!);
            }
            else if (type.ValueKind == JsonValueKind.Array)
            {
                kinds.UnionWith(type.EnumerateArray().Select(t => t.GetString()!));
            }
        }
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            foreach (var s in oneOf.EnumerateArray())
            {
                kinds.UnionWith(SchemaKinds(s));
            }
        }
        if (schema.TryGetProperty("additionalProperties", out _))
        {
            kinds.Add("object");
        }
        return kinds;
    }

    /// <summary>The baseline with <paramref name="name"/> set to the raw JSON <paramref name="json"/> (removed when null).</summary>
    private static string Splice(JsonObject baseline, string name, string? json)
    {
        var parts = baseline.Where(p => p.Key != name).Select(p => FuzzInputs.Quote(p.Key) + ":" + (p.Value?.ToJsonString() ?? "null")).ToList();
        if (json is not null)
        {
            parts.Add(FuzzInputs.Quote(name) + ":" + json);
        }
        return "{" + string.Join(",", parts) + "}";
    }

    /// <summary>The baseline as form fields, as FormBody reads them: lists as repeated names, maps as name[key].</summary>
    private static List<(string Key, string Value)> ToForm(JsonObject baseline)
    {
        var pairs = new List<(string, string)>();
        foreach (var (key, value) in baseline)
        {
            switch (value)
            {
                case JsonArray array:
                    pairs.AddRange(array.Select(item => (key, item is JsonValue v && v.TryGetValue<string>(out var s) ? s : item?.ToJsonString() ?? "")));
                    break;
                case JsonObject map:
                    pairs.AddRange(map.Select(entry => ($"{key}[{entry.Key}]", entry.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : entry.Value?.ToJsonString() ?? "")));
                    break;
                case JsonValue v when v.TryGetValue<string>(out var text):
                    pairs.Add((key, text));
                    break;
                default:
                    pairs.Add((key, value?.ToJsonString() ?? ""));
                    break;
            }
        }
        return pairs;
    }

    /// <summary>At most <paramref name="max"/> cases: every "always" case, the rest drawn at random (deterministically).</summary>
    private List<FuzzCase> Sample(IEnumerable<FuzzCase> cases, int max)
    {
        var all = cases.ToList();
        if (all.Count <= max)
        {
            return all;
        }
        var always = all.Where(c => c.Kind.EndsWith('!') || c.Kind.StartsWith("query-raw")).ToList();
        var rest = all.Except(always).OrderBy(_ => random.Next()).Take(Math.Max(0, max - always.Count));
        return [.. always, .. rest];
    }
}
