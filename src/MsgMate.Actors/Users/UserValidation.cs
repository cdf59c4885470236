using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace MsgMate.Actors.Users;

/// <summary>Field rules for users, shared by create and update. Returns the first problem in words, or null.</summary>
public static partial class UserValidation
{
    public const int MaxNameLength = 64;
    public const int MaxContactLength = 128;
    public const int MaxTagLength = 32;
    public const int MaxTags = 50;

    /// <summary>Entries a tag list may have as sent (duplicates are dropped; at most <see cref="MaxTags"/> remain).</summary>
    public const int MaxTagEntries = 2 * MaxTags;
    public const int MaxEmailLength = 254;

    /// <summary>The rules as regular expressions (also published in the OpenAPI document).</summary>
    public const string EmailPattern = @"^[^@\s]+@[^@\s]+\.[^@\s]+$";
    public const string MobilePattern = @"^\+?[0-9]{5,20}$";

    public static string? ValidateEmail(string value) =>
        value.Length <= MaxEmailLength && Email().IsMatch(value) ? null : "email is not a valid address";

    /// <summary>Digits with an optional leading +, 5..20 long: mainland numbers (13800138000) and E.164 alike.</summary>
    public static string? ValidateMobile(string value) =>
        Mobile().IsMatch(value) ? null : "mobile must be 5-20 digits, optionally starting with +";

    public static string? ValidateText(string field, string value, int max) =>
        value.Length > max ? $"{field} must be at most {max} characters" : null;

    /// <summary>Trims, drops duplicates (first wins) and checks each tag.</summary>
    public static (ImmutableArray<string> Tags, string? Error) NormalizeTags(IEnumerable<string?> tags)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<string>();
        var entries = 0;
        foreach (var raw in tags)
        {
            if (++entries > MaxTagEntries)
            {
                return (default, $"tags may list at most {MaxTagEntries} entries");
            }
            var tag = raw?.Trim() ?? "";
            if (tag.Length == 0)
            {
                return (default, "tags must not contain empty values");
            }
            if (tag.Length > MaxTagLength)
            {
                return (default, $"a tag must be at most {MaxTagLength} characters");
            }
            if (seen.Add(tag))
            {
                result.Add(tag);
            }
        }
        return result.Count > MaxTags
            ? (default, $"a user may carry at most {MaxTags} tags")
            : (result.ToImmutable(), null);
    }

    public static string? ValidateProfile(UserProfile p) =>
        (p.Name.Length == 0 ? "name is required" : null)
        ?? ValidateText("name", p.Name, MaxNameLength)
        ?? ValidateText("nickname", p.Nickname, MaxNameLength)
        ?? (p.Mobile.Length > 0 ? ValidateMobile(p.Mobile) : null)
        ?? (p.Email.Length > 0 ? ValidateEmail(p.Email) : null)
        ?? ValidateText("lark_id", p.LarkId, MaxContactLength)
        ?? ValidateText("dingtalk_id", p.DingtalkId, MaxContactLength)
        ?? ValidateText("wechat_id", p.WechatId, MaxContactLength);

    [GeneratedRegex(EmailPattern)]
    private static partial Regex Email();

    [GeneratedRegex(MobilePattern)]
    private static partial Regex Mobile();
}
