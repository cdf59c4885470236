using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MsgMate.Deployment.Tests.Infrastructure;

/// <summary>
/// YAML documents as <see cref="JsonNode"/> trees (YamlDotNet's representation model underneath), so that the tests
/// navigate manifests, compose and Prometheus files alike. Plain scalars get their YAML type (integer, float, boolean,
/// null), quoted ones stay strings, as Kubernetes and compose read them; compose's merge keys (<c>&lt;&lt;: *anchor</c>)
/// are applied, explicit keys winning.
/// </summary>
public static partial class Yaml
{
    public static IReadOnlyList<JsonNode?> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => ToJson(d.RootNode))];
    }

    /// <summary>The one document of a file (repository-relative path).</summary>
    public static JsonObject LoadFile(string relative)
    {
        var documents = LoadAll(Repo.Read(relative));
        Assert.True(documents.Count == 1, $"{relative}: {documents.Count} documents, expected one");
        return documents[0] as JsonObject ?? throw new InvalidDataException($"{relative}: not a mapping");
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => ToJson(map),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"unexpected YAML node {node.GetType().Name} at {node.Start}"),
    };

    private static JsonObject ToJson(YamlMappingNode map)
    {
        var result = new JsonObject();
        // Merge keys first: explicit keys of this mapping override what they bring.
        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: "<<" })
            {
                var sources = value is YamlSequenceNode list ? list.Children.ToList() : [value];
                foreach (var source in sources)
                {
                    foreach (var (k, v) in (JsonObject)ToJson(source)!)
                    {
                        result[k] = v?.DeepClone();
                    }
                }
            }
        }
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (name != "<<")
            {
                result[name] = ToJson(value);
            }
        }
        return result;
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(text);
        }
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
        }
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer is >= int.MinValue and <= int.MaxValue ? JsonValue.Create((int)integer) : JsonValue.Create(integer);
        }
        if (FloatPattern().IsMatch(text))
        {
            return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    /// <summary>A scalar as the text a process would see in its environment (compose and Kubernetes both stringify).</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v => v.ToJsonString(),
        _ => throw new InvalidDataException($"not a scalar: {node.ToJsonString()}"),
    };
}
