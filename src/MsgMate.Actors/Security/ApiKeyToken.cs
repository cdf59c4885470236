using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MsgMate.Actors.Security;

/// <summary>
/// The form of an API key: <c>mm_</c> + a 12-hex-digit key id + <c>.</c> + a random 32-byte secret in base64url
/// (43 characters). The id says which stored key to compare with; only the SHA-256 of the whole key is stored, and
/// the comparison is in constant time. A secret of 256 random bits needs no slow hash: nothing can guess it.
/// A bootstrap key given by the operator may have any form of 32 or more characters; it is stored under the id
/// <see cref="BootstrapKeyId"/>.
/// </summary>
public static partial class ApiKeyToken
{
    public const string BootstrapKeyId = "bootstrap";

    public const int MinimumBootstrapLength = 32;

    [GeneratedRegex("^mm_(?<id>[0-9a-f]{12})\\.[A-Za-z0-9_-]{43}$")]
    private static partial Regex Shape();

    /// <summary>A new key and its id.</summary>
    public static (string KeyId, string Key) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (id, $"mm_{id}.{secret}");
    }

    /// <summary>The id a presented key claims: its own for a generated key, <see cref="BootstrapKeyId"/> for any other string.</summary>
    public static string KeyIdOf(string key)
    {
        var match = Shape().Match(key);
        return match.Success ? match.Groups["id"].Value : BootstrapKeyId;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static bool Matches(string key, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key)), Encoding.ASCII.GetBytes(storedHash));
}
