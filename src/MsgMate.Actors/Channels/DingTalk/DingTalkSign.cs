using System.Security.Cryptography;
using System.Text;

namespace MsgMate.Actors.Channels.DingTalk;

/// <summary>The custom robot's signature (加签).</summary>
public static class DingTalkSign
{
    /// <summary>Base64(HMAC-SHA256(key = secret, data = timestamp + "\n" + secret)), UTF-8 throughout.</summary>
    public static string Base64(string secret, long timestampMs)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        var data = Encoding.UTF8.GetBytes($"{timestampMs}\n{secret}");
        return Convert.ToBase64String(HMACSHA256.HashData(key, data));
    }

    /// <summary>The <c>sign</c> query value: the Base64 signature URL-encoded (+ → %2B, / → %2F, = → %3D).</summary>
    public static string Compute(string secret, long timestampMs) => Uri.EscapeDataString(Base64(secret, timestampMs));
}
