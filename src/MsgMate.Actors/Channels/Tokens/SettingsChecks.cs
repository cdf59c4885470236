namespace MsgMate.Actors.Channels.Tokens;

/// <summary>Checks the DingTalk and WeCom settings share.</summary>
public static class SettingsChecks
{
    public static void Url(List<string> errors, string key, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Query.Length > 0)
        {
            errors.Add($"{key} must be an absolute http(s) URL without a query (was '{value}').");
        }
    }

    public static void Provider(List<string> errors, string key, ProviderSettings settings)
    {
        if (settings.RatePerSecond < 0 || settings.RatePerMinute < 0)
        {
            errors.Add($"{key}: RatePerSecond and RatePerMinute must not be negative.");
        }
        if (settings.Weight < 0 || settings.Concurrency < 0 || settings.Burst < 0)
        {
            errors.Add($"{key}: Weight, Concurrency and Burst must not be negative.");
        }
    }

    public static void RobotName(List<string> errors, string key, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim() != name)
        {
            errors.Add($"{key}: a robot name must not be empty or start or end with spaces.");
        }
        else if (name.Contains("://", StringComparison.Ordinal))
        {
            errors.Add($"{key}: a robot name must not look like a URL.");
        }
    }
}
