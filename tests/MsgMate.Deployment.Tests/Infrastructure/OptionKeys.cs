using System.Collections;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using MsgMate.Actors.Common;
using MsgMate.Node;

namespace MsgMate.Deployment.Tests.Infrastructure;

/// <summary>
/// Environment variables checked against what the node binds: each <c>MsgMate__…</c> name must be a path through
/// <see cref="MsgMateOptions"/> (properties, list indexes, dictionary keys), and a configuration made of the variables
/// must bind with <see cref="BinderOptions.ErrorOnUnknownConfiguration"/> and carry every value into the options —
/// the way the node reads them (<see cref="MsgMateNode.ReadOptions"/>).
/// </summary>
public static class OptionKeys
{
    public const string Prefix = "MsgMate__";

    /// <summary>A variable's configuration key (<c>MsgMate__Cluster__Port</c> → <c>MsgMate:Cluster:Port</c>).</summary>
    public static string KeyOf(string variable) => variable.Replace("__", ":");

    /// <summary>
    /// Binds the variables (name → value; a null value: set elsewhere, a Secret, a sample of the right type is used)
    /// and asserts every one arrives. Returns the options, for assertions on the values.
    /// </summary>
    public static MsgMateOptions BindAll(IReadOnlyDictionary<string, string?> variables, string where)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (name, value) in variables)
        {
            Assert.True(name.StartsWith(Prefix, StringComparison.Ordinal), $"{where}: {name} is not a MsgMate__ variable");
            var type = TargetType(name, where);
            values[KeyOf(name)] = value ?? Sample(type);
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        MsgMateOptions options;
        try
        {
            options = configuration.GetSection(MsgMateOptions.Section).Get<MsgMateOptions>(o => o.ErrorOnUnknownConfiguration = true)
                ?? new MsgMateOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new Xunit.Sdk.XunitException($"{where}: the variables do not bind into MsgMateOptions: {ex.Message}");
        }
        // The node's own reading gives the same options.
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(options.Cluster),
            System.Text.Json.JsonSerializer.Serialize(MsgMateNode.ReadOptions(configuration).Cluster));
        foreach (var (key, value) in values)
        {
            var bound = ValueAt(options, key);
            Assert.True(SameValue(bound, value), $"{where}: {key} = '{value}' arrived as '{bound}'");
        }
        return options;
    }

    /// <summary>The type a variable binds to, or a failure naming the first segment that binds nowhere.</summary>
    public static Type TargetType(string variable, string where)
    {
        var segments = KeyOf(variable).Split(':');
        Assert.Equal(MsgMateOptions.Section, segments[0]);
        var type = typeof(MsgMateOptions);
        foreach (var segment in segments.Skip(1))
        {
            type = Step(type, segment)
                ?? throw new Xunit.Sdk.XunitException($"{where}: {variable}: '{segment}' is not a setting of {type.Name}");
        }
        return type;
    }

    private static Type? Step(Type type, string segment)
    {
        if (type.IsArray)
        {
            return int.TryParse(segment, out _) ? type.GetElementType() : null;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)))
        {
            return int.TryParse(segment, out _) ? type.GetGenericArguments()[0] : null;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return type.GetGenericArguments()[1];
        }
        var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        // The binder sets writable properties, and fills get-only ones that hold an object.
        return property is not null && (property.CanWrite || !IsLeaf(property.PropertyType)) ? property.PropertyType : null;
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || Nullable.GetUnderlyingType(type) is not null;

    private static object? ValueAt(object root, string key)
    {
        object? current = root;
        foreach (var segment in key.Split(':').Skip(1))
        {
            current = current switch
            {
                null => null,
                IDictionary dictionary => dictionary.Contains(segment) ? dictionary[segment] : null,
                IList list => int.Parse(segment, CultureInfo.InvariantCulture) < list.Count ? list[int.Parse(segment, CultureInfo.InvariantCulture)] : null,
                _ => current.GetType().GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.GetValue(current),
            };
        }
        return current;
    }

    private static bool SameValue(object? bound, string? text) => bound switch
    {
        null => text is null,
        string s => s == text,
        bool b => bool.TryParse(text, out var t) && t == b,
        TimeSpan span => TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var t) && t == span,
        Enum e => Enum.TryParse(e.GetType(), text, ignoreCase: true, out var t) && t!.Equals(e),
        IConvertible c => Convert.ToString(c, CultureInfo.InvariantCulture) == text,
        _ => false,
    };

    private static string Sample(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(bool) ? "true"
            : t == typeof(TimeSpan) ? "00:00:01"
            : t.IsEnum ? Enum.GetNames(t)[0]
            : t.IsPrimitive || t == typeof(decimal) ? "1"
            : "sample-from-a-secret";
    }
}
