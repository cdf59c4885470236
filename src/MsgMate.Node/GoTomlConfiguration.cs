using Tomlyn;
using Tomlyn.Model;

namespace MsgMate.Node;

/// <summary>
/// Reads the Go MsgMate's TOML configuration so that people moving over keep their file. Known Go keys
/// (anywhere in the file, tables flattened) map to MsgMate settings; a <c>[MsgMate]</c> table maps verbatim.
/// Later sources (appsettings, environment) still win.
/// </summary>
public sealed class GoTomlConfigurationSource(string path) : IConfigurationSource
{
    /// <summary>Go key → MsgMate configuration key.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeyMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["port"] = "MsgMate:Port",
        ["timezone"] = "MsgMate:TimeZone",
        ["max_retry_count"] = "MsgMate:Delivery:MaxRetryCount",
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
    };

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(path);

    private sealed class Provider(string path) : ConfigurationProvider
    {
        public override void Load()
        {
            Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
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
                var full = prefix.Length == 0 ? key : $"{prefix}:{key}";
                if (value is TomlTable nested)
                {
                    Flatten(nested, full);
                }
                else if (full.StartsWith("MsgMate:", StringComparison.OrdinalIgnoreCase))
                {
                    Data[full] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (KeyMap.TryGetValue(key, out var mapped))
                {
                    Data[mapped] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
    }
}
