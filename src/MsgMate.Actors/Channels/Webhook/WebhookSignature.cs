using System.Security.Cryptography;
using System.Text;

namespace MsgMate.Actors.Channels.Webhook;

/// <summary>
/// Standard Webhooks v1 (symmetric) signatures: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256(key, id.timestamp.body)&gt;</c>.
/// A secret is configured as <c>whsec_&lt;base64 key&gt;</c>, as the spec shows it to users; the HMAC key is the
/// base64-decoded part. A secret without the prefix is a raw secret: its UTF-8 bytes are the key (for receivers
/// that verify with a plain shared string). The reference libraries base64-decode an unprefixed secret, so give
/// receivers that use them the <c>whsec_</c> form.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>The spec's bounds for a secret: at least 24 bytes (192 bits), at most 64 (512 bits).</summary>
    public const int MinKeyBytes = 24;

    public const int MaxKeyBytes = 64;

    /// <summary>The HMAC key of a configured secret, or an error in words (which never repeats the secret).</summary>
    public static bool TryParseSecret(string secret, out byte[] key, out string error)
    {
        key = [];
        error = "";
        if (string.IsNullOrWhiteSpace(secret))
        {
            error = "is empty";
            return false;
        }
        secret = secret.Trim();
        if (secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            try
            {
                key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
            }
            catch (FormatException)
            {
                error = $"is not valid base64 after the {SecretPrefix} prefix";
                return false;
            }
            if (key.Length is < MinKeyBytes or > MaxKeyBytes)
            {
                error = $"decodes to {key.Length} bytes; a {SecretPrefix} key has {MinKeyBytes} to {MaxKeyBytes} bytes";
                key = [];
                return false;
            }
            return true;
        }
        key = Encoding.UTF8.GetBytes(secret);
        if (key.Length < MinKeyBytes)
        {
            error = $"is {key.Length} bytes long; a raw secret needs at least {MinKeyBytes}";
            key = [];
            return false;
        }
        return true;
    }

    /// <summary>The HMAC key of a configured secret; throws <see cref="FormatException"/> (without the secret) when invalid.</summary>
    public static byte[] ParseSecret(string secret) =>
        TryParseSecret(secret, out var key, out var error) ? key : throw new FormatException($"The webhook secret {error}.");

    /// <summary>
    /// The <c>webhook-signature</c> value for one request: <c>v1,</c> and the base64 HMAC-SHA256 of
    /// <c>{msgId}.{timestamp}.{body}</c> over the exact body bytes that are sent.
    /// </summary>
    public static string Sign(ReadOnlySpan<byte> key, string msgId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{msgId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, content, mac);
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>As <see cref="Sign(ReadOnlySpan{byte}, string, long, ReadOnlySpan{byte})"/>, from a configured secret.</summary>
    public static string Sign(string secret, string msgId, long timestamp, ReadOnlySpan<byte> body) =>
        Sign(ParseSecret(secret), msgId, timestamp, body);
}
