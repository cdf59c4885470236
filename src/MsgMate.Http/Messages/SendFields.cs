using System.Collections.Immutable;
using System.Text.Json;
using MsgMate.Actors.Common;

namespace MsgMate.Http.Messages;

/// <summary>The send fields that send_msg and scheduled/create share, read the same way.</summary>
public static class SendFields
{
    public static (ImmutableArray<string> To, string? Error) ParseTo(JsonElement? to)
    {
        switch (to?.ValueKind)
        {
            case null or JsonValueKind.Null or JsonValueKind.Undefined:
                return ([], null);
            case JsonValueKind.String:
                return ([.. to.Value.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], null);
            case JsonValueKind.Array when to.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                return ([.. to.Value.EnumerateArray().Select(e => e.GetString()!.Trim()).Where(a => a.Length > 0)], null);
            default:
                return ([], "to must be a string (addresses separated by commas) or a list of strings");
        }
    }

    public static (ImmutableSortedDictionary<string, string> Data, string? Error) ParseTemplateData(Dictionary<string, JsonElement>? data)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in data ?? [])
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    result[key] = value.GetString()!;
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    result[key] = value.GetRawText();
                    break;
                default:
                    return (ImmutableSortedDictionary<string, string>.Empty, $"templateData.{InputText.Quote(key)} must be a string");
            }
        }
        return (result.ToImmutable(), null);
    }
}
