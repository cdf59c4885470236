using System.Text.RegularExpressions;

namespace MsgMate.Actors.Users;

/// <summary>A user's id as the calling business system names it.</summary>
public readonly partial record struct UserId(string Value)
{
    public const int MaxLength = 64;

    /// <summary>The characters an id may contain, as a regular expression (also published in the OpenAPI document).</summary>
    public const string AllowedPattern = @"^[A-Za-z0-9_\-.@:]+$";

    public override string ToString() => Value;

    /// <summary>Letters, digits and <c>_ - . @ :</c>; 1..64 characters. Keeps ids safe in URLs, logs and keys.</summary>
    public static string? Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "user_id is required";
        }
        if (value.Length > MaxLength)
        {
            return $"user_id must be at most {MaxLength} characters";
        }
        return Allowed().IsMatch(value) ? null : "user_id may contain only letters, digits and _ - . @ :";
    }

    [GeneratedRegex(AllowedPattern)]
    private static partial Regex Allowed();
}
