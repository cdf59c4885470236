using System.Reflection;
using Tomlyn;
using Tomlyn.Model;

namespace MsgMate.Node;

/// <summary>
/// Reads the Go MsgMate's TOML configuration so that people moving over keep their file. Known Go keys
/// (by their leaf name anywhere in the file, or by their dotted path such as <c>kafka.brokers</c>) map to
/// MsgMate settings; a <c>[MsgMate]</c> table maps verbatim. Later sources (appsettings, environment) still win.
/// A key the node would not act on is never dropped silently: <see cref="UnusedKeys"/> names it, and the node
/// warns once per key at start.
/// </summary>
public sealed class GoTomlConfigurationSource(string path) : IConfigurationSource
{
    /// <summary>Go key (leaf name, or dotted path from the file's root) → MsgMate configuration key.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeyMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["port"] = "MsgMate:Port",
        ["timezone"] = "MsgMate:TimeZone",
        ["max_retry_count"] = "MsgMate:Delivery:Retry:MaxRetryCount",
        ["mysql_as_mq"] = "MsgMate:Queue:SqlQueue",
        ["open_cache"] = "MsgMate:Cache:Enabled",
        ["email_account"] = "MsgMate:Email:Account",
        ["email_auth_code"] = "MsgMate:Email:Password",
        ["email_host"] = "MsgMate:Email:Host",
        ["email_port"] = "MsgMate:Email:Port",
        ["ali_app_id"] = "MsgMate:Sms:AccessKeyId",
        ["ali_app_secret"] = "MsgMate:Sms:AccessKeySecret",
        ["lark_app_id"] = "MsgMate:Lark:AppId",
        ["lark_app_secret"] = "MsgMate:Lark:AppSecret",
        ["kafka.brokers"] = "MsgMate:Kafka:BootstrapServers",
    };

    private Provider? _provider;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider = new Provider(path);

    /// <summary>
    /// Keys of the file that change nothing: Go keys this node does not know, and known ones whose MsgMate key no
    /// options class binds (yet). Names only; values may be secrets.
    /// </summary>
    public IReadOnlyList<string> UnusedKeys(Type optionsRoot, string rootSection)
    {
        if (_provider is null)
        {
            return [];
        }
        return
        [
            .. _provider.Unknown.Select(k => $"{k} (not a key MsgMate.NET knows)"),
            .. _provider.Mapped
                .Where(m => !OptionsPaths.Binds(optionsRoot, rootSection, m.Target))
                .Select(m => $"{m.GoKey} (maps to {m.Target}, which nothing reads yet)"),
        ];
    }

    private sealed class Provider(string path) : ConfigurationProvider
    {
        public List<string> Unknown { get; } = [];

        public List<(string GoKey, string Target)> Mapped { get; } = [];

        public override void Load()
        {
            Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            Unknown.Clear();
            Mapped.Clear();
            if (!File.Exists(path))
            {
                return;
            }
            var table = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path), new TomlSerializerOptions())!;
            Flatten(table, "");
        }

        private void Flatten(TomlTable table, string prefix)
        {
            foreach (var (key, value) in table)
            {
                var full = prefix.Length == 0 ? key : $"{prefix}.{key}";
                if (full.StartsWith("MsgMate.", StringComparison.OrdinalIgnoreCase))
                {
                    if (value is TomlTable verbatim)
                    {
                        Flatten(verbatim, full);
                    }
                    else
                    {
                        Data[full.Replace('.', ':')] = Text(value);
                    }
                }
                else if (KeyMap.TryGetValue(full, out var mapped) || KeyMap.TryGetValue(key, out mapped))
                {
                    Data[mapped] = Text(value);
                    Mapped.Add((full, mapped));
                }
                else if (value is TomlTable nested)
                {
                    Flatten(nested, full);
                }
                else
                {
                    Unknown.Add(full);
                }
            }
        }

        /// <summary>Scalars as invariant text; an array (Kafka brokers) as a comma-separated list.</summary>
        private static string? Text(object? value) => value is TomlArray array
            ? string.Join(",", array.Select(Text))
            : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Whether a configuration key lands on a property of an options type (what the binder would set).</summary>
public static class OptionsPaths
{
    /// <summary>
    /// True when <paramref name="key"/> (e.g. <c>MsgMate:Delivery:Retry:MaxRetryCount</c>) walks public settable
    /// properties from <paramref name="root"/> bound at <paramref name="rootSection"/>, case-insensitively, as
    /// the configuration binder matches them.
    /// </summary>
    public static bool Binds(Type root, string rootSection, string key)
    {
        var prefix = rootSection + ":";
        if (!key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var type = root;
        foreach (var segment in key[prefix.Length..].Split(':'))
        {
            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite && property.PropertyType.IsValueType)
            {
                return false;
            }
            type = property.PropertyType;
        }
        return true;
    }
}
