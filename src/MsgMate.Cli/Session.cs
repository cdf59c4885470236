using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MsgMate.Cli;

/// <summary>One verb's run: the node client and the output, as a table for people or the node's JSON for scripts.</summary>
public sealed class Session(NodeClient client, TextWriter output, bool json) : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public NodeClient Client { get; } = client;

    public TextWriter Out { get; } = output;

    public bool Json { get; } = json;

    /// <summary>With --json the node's answer as it came; otherwise what <paramref name="human"/> writes.</summary>
    public void Print(JsonElement answer, Action human)
    {
        if (Json)
        {
            Out.WriteLine(JsonSerializer.Serialize(answer, Indented));
        }
        else
        {
            human();
        }
    }

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)));
        }
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
        }
        Render(table);
    }

    /// <summary>One object as a two-column table of field and value.</summary>
    public void Fields(IEnumerable<(string Name, string Value)> fields) =>
        Table(["FIELD", "VALUE"], fields.Select(f => Wire.Row(f.Name, f.Value)));

    public void Line(string text) => Out.WriteLine(text);

    private void Render(IRenderable renderable)
    {
        // Plain text, no colours or cursor moves: the output may be a pipe, a file or a test's writer.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Out),
        });
        console.Profile.Width = 240;
        console.Write(renderable);
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>Reading fields of the node's answers (absent fields read as empty).</summary>
public static class Wire
{
    public static string Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString() ?? "",
                JsonValueKind.Null or JsonValueKind.Undefined => "",
                _ => v.ToString(),
            }
            : "";

    public static int Int(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;

    public static long Long(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    public static bool Flag(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static IEnumerable<JsonElement> Items(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    public static string List(this JsonElement e, string name) => string.Join(",", e.Items(name).Select(i => i.ToString()));

    /// <summary>A table row.</summary>
    public static IReadOnlyList<string> Row(params string[] cells) => cells;

    public static string YesNo(bool value) => value ? "yes" : "";

    public static string MessageStatus(int status) => status switch
    {
        1 => "pending", 2 => "sent", 3 => "failed", 4 => "retrying", 5 => "cancelled", 6 => "scheduled", _ => status.ToString(),
    };

    public static string ScheduleStatus(int status) => status switch
    {
        1 => "pending", 2 => "sent", 3 => "cancelled", 4 => "failed", 5 => "paused", _ => status.ToString(),
    };

    public static string Channel(int channel) => channel switch
    {
        1 => "email", 2 => "sms", 3 => "lark", 4 => "wecom", 5 => "dingtalk", 6 => "webhook", _ => channel.ToString(),
    };
}
