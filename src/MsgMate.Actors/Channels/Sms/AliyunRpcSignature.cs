using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MsgMate.Actors.Channels.Sms;

/// <summary>
/// Aliyun's RPC-style request signature (SignatureVersion 1.0, HMAC-SHA1): the parameters other than
/// <c>Signature</c>, sorted by name (ordinal), percent-encoded (RFC 3986, UTF-8) as <c>k=v</c> joined by <c>&amp;</c>;
/// <c>StringToSign = METHOD &amp; %2F &amp; percentEncode(canonical)</c>;
/// <c>Signature = Base64(HMAC-SHA1(secret + "&amp;", StringToSign))</c>. Pure functions.
/// </summary>
public static class AliyunRpcSignature
{
    private const string Unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

    /// <summary>RFC 3986 percent-encoding of the UTF-8 bytes: only <c>A-Z a-z 0-9 - _ . ~</c> stay, hex is upper case, a space is <c>%20</c>.</summary>
    public static string PercentEncode(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b < 0x80 && Unreserved.Contains((char)b))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    /// <summary>The sorted, encoded <c>k=v&amp;…</c> of every parameter but <c>Signature</c>.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join('&', parameters
            .Where(p => p.Key != "Signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => PercentEncode(p.Key) + "=" + PercentEncode(p.Value)));

    public static string StringToSign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters) =>
        httpMethod.ToUpperInvariant() + "&" + PercentEncode("/") + "&" + PercentEncode(CanonicalQuery(parameters));

    /// <summary>The Base64 signature (not yet encoded for a URL or form body).</summary>
    public static string Sign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters, string accessKeySecret)
    {
        var key = Encoding.UTF8.GetBytes(accessKeySecret + "&");
        var data = Encoding.UTF8.GetBytes(StringToSign(httpMethod, parameters));
        return Convert.ToBase64String(HMACSHA1.HashData(key, data));
    }

    /// <summary>ISO 8601 UTC without fractions, e.g. <c>2017-07-12T02:42:19Z</c>.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
