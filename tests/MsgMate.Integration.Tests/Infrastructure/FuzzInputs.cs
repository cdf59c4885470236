using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MsgMate.Integration.Tests.Infrastructure;

/// <summary>
/// The raw material of the fuzz campaign: JSON values of every type, numbers past every range, strings that have
/// broken parsers, renderers, SQL drivers and HTTP stacks before, nested and huge values. Each is JSON text (a
/// lone surrogate or 1e309 cannot be written by a serializer), with a short label for the report.
/// </summary>
public static class FuzzInputs
{
    public readonly record struct Value(string Label, string Json);

    public const int HugeLength = 100 * 1024;
    public const int ManyItems = 10_000;
    public const int DeepNesting = 10_000;

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A C# string as JSON text.</summary>
    public static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);

    /// <summary>Strings as a client could send them (any Unicode), worth trying in every text field, query and header.</summary>
    public static IReadOnlyList<(string Label, string Text)> Strings { get; } =
    [
        ("empty", ""),
        ("blank", "   "),
        ("huge-ascii", new string('a', HugeLength)),
        ("huge-multibyte", new string('é', HugeLength / 2)),
        ("nul", "a\0b"),
        ("only-nul", "\0"),
        ("control", "\u0001\u0007\u001b[31m"),
        ("rtl-override", "\u202Egnp.exe"),
        ("zero-width", "x\u200B\u200C\u200D\u2060\uFEFF"),
        ("emoji", "😀👍🏽👨‍👩‍👧"),
        ("combining", "e\u0301\u0302\u0303\u0304"),
        ("noncharacter", "\uFFFF\uFFFE"),
        ("wide", "﷽𒐫"),
        ("sql-or", "' OR 1=1 --"),
        ("sql-drop", "\"; DROP TABLE mm_users; --"),
        ("sql-like", "%_%\\"),
        ("go-template", "{{.Name}}"),
        ("placeholder", "{{name}}"),
        ("open-placeholder", "{{"),
        ("shell", "${x}$(id)`id`"),
        ("printf", "%s%s%n%x"),
        ("crlf", "\r\nX-Injected: 1"),
        ("html", "<script>alert(1)</script>"),
        ("path", "../../../../etc/passwd"),
        ("backslash", "\\"),
        ("commas", "a,b,,c, ,"),
        ("far-future", "9999-12-31 23:59:59"),
        ("year-one", "0001-01-01 00:00:00"),
        ("iso-min", "0001-01-01T00:00:00+14:00"),
        ("epoch", "1970-01-01T00:00:00Z"),
        ("url", "http://127.0.0.1:1/hook"),
        ("js-url", "javascript:alert(1)"),
        ("cron-every-second", "* * * * * *"),
        ("zone", "Etc/../../UTC"),
        ("number-text", "1e309"),
    ];

    /// <summary>Values of every JSON type and the numbers at and past the edges of int, long and double.</summary>
    public static IReadOnlyList<Value> Scalars { get; } =
    [
        new("0", "0"), new("1", "1"), new("-1", "-1"), new("1.5", "1.5"), new("-0", "-0"), new("1e309", "1e309"),
        new("-1e309", "-1e309"), new("1e-400", "1e-400"), new("1E2", "1E2"), new("int-max+1", "2147483648"),
        new("long-max", "9223372036854775807"), new("long-max+1", "9223372036854775808"), new("long-min-1", "-9223372036854775809"),
        new("true", "true"), new("false", "false"), new("null", "null"),
        new("[]", "[]"), new("{}", "{}"), new("[null]", "[null]"), new("[1]", "[1]"), new("[\"x\"]", "[\"x\"]"),
        new("[[x]]", "[[\"x\"]]"), new("{a:b}", "{\"a\":\"b\"}"),
        new("lone-high-surrogate", "\"\\ud800\""), new("lone-low-surrogate", "\"x\\udc00y\""), new("swapped-surrogates", "\"\\udfff\\ud800\""),
        new("escaped-nul", "\"\\u0000\""),
        .. Strings.Select(s => new Value("\"" + s.Label + "\"", Quote(s.Text))),
    ];

    /// <summary>Large and deep values: 10,000 items or keys, 10,000 levels.</summary>
    public static IReadOnlyList<Value> Structures { get; } =
    [
        new("deep-array", new string('[', DeepNesting) + new string(']', DeepNesting)),
        new("deep-object", string.Concat(Enumerable.Repeat("{\"a\":", DeepNesting)) + "1" + new string('}', DeepNesting)),
        new("10k-strings", "[" + string.Join(",", Enumerable.Repeat("\"x\"", ManyItems)) + "]"),
        new("10k-numbers", "[" + string.Join(",", Enumerable.Range(1, ManyItems)) + "]"),
        new("10k-keys", "{" + string.Join(",", Enumerable.Range(0, ManyItems).Select(i => $"\"k{i}\":\"v\"")) + "}"),
    ];

    /// <summary>Values for the items of a list field: each wrapped in a one-element array.</summary>
    public static IReadOnlyList<Value> Items { get; } =
    [
        .. new[] { "1", "null", "{}", "[]", "true", "1e309", "\"\"", "\"\\ud800\"", "\"\\u0000\"" }.Select(v => new Value($"[{v}]", $"[{v}]")),
        .. Strings.Where(s => s.Label is "huge-ascii" or "rtl-override" or "sql-drop" or "go-template" or "crlf" or "emoji" or "blank")
            .Select(s => new Value($"[\"{s.Label}\"]", "[" + Quote(s.Text) + "]")),
    ];

    /// <summary>Values and keys for a map field (templateData): one entry each.</summary>
    public static IReadOnlyList<Value> Entries { get; } =
    [
        .. new[] { "1", "null", "{}", "[]", "true", "1e309", "\"\\ud800\"", "\"\\u0000\"", "[\"x\"]" }.Select(v => new Value($"{{k:{v}}}", $"{{\"k\":{v}}}")),
        new("{k:huge}", "{\"k\":" + Quote(new string('a', HugeLength)) + "}"),
        new("{\"\":x}", "{\"\":\"x\"}"),
        new("{nul:x}", "{\"\\u0000\":\"x\"}"),
        new("{surrogate:x}", "{\"\\ud800\":\"x\"}"),
        new("{long-key:x}", "{\"" + new string('k', 1000) + "\":\"x\"}"),
        new("{placeholder-key}", "{\"{{x}}\":\"{{y}}\"}"),
        new("{name:placeholder}", "{\"name\":\"{{name}}\"}"),
    ];

    /// <summary>A random string of code points that have broken things (controls, bidi, joiners, surrogate pairs, syntax).</summary>
    public static string RandomNasty(Random random)
    {
        string[] pool =
        [
            "\0", "\u0001", "\t", "\r", "\n", "\u202E", "\u202D", "\u200B", "\u200D", "\uFEFF", "\u0301", "😀", "🏽", "\uFFFD",
            "'", "\"", "\\", "%", "{{", "}}", "$", "{", "}", "<", ">", "&", ";", "--", "/*", ",", "@", ":", " ", "a", "é", "中",
        ];
        var builder = new StringBuilder();
        var length = random.Next(1, 40);
        for (var i = 0; i < length; i++)
        {
            builder.Append(pool[random.Next(pool.Length)]);
        }
        return builder.ToString();
    }

    /// <summary>Strings for query parameters and form values (not JSON): the same set, minus what only JSON can carry.</summary>
    public static IEnumerable<(string Label, string Text)> QueryStrings(Random random) =>
    [
        .. Strings,
        ("int-max", "2147483647"), ("int-max+1", "2147483648"), ("int-min", "-2147483648"), ("huge-number", "99999999999999999999"),
        ("float", "1.5"), ("negative", "-1"), ("zero", "0"), ("hex", "0x10"), ("spaced-number", " 1 "),
        ("random", RandomNasty(random)), ("random", RandomNasty(random)),
    ];
}
