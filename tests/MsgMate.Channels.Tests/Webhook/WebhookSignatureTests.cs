using System.Text;
using MsgMate.Actors.Channels.Webhook;

namespace MsgMate.Channels.Tests.Webhook;

public sealed class WebhookSignatureTests
{
    [Fact(DisplayName = "Standard Webhooks published test vector: whsec_ secret, msg id, timestamp and body give the documented v1 signature")]
    public void Published_test_vector()
    {
        var signature = WebhookSignature.Sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"u8);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact(DisplayName = "A whsec_ secret's key is the base64-decoded part (24 bytes for the test vector's secret)")]
    public void Whsec_key_is_base64_decoded()
    {
        Assert.True(WebhookSignature.TryParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key, out _));

        Assert.Equal(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), key);
        Assert.Equal(24, key.Length);
    }

    [Theory(DisplayName = "Signatures verify with an independent HMAC-SHA256 implementation, over the exact bytes (non-ASCII, empty and binary bodies)")]
    [InlineData("{\"msgID\":\"a\",\"content\":\"\\u4F60\\u597D\"}")]
    [InlineData("")]
    [InlineData("{\"content\":\"caf\u00e9 \u2603\"}")]
    public void Verifies_independently(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);

        var signature = WebhookSignature.Sign(WebhookTestKit.Key, "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", 1700000000, bytes);

        Assert.StartsWith("v1,", signature);
        Assert.True(WebhookTestKit.Verifies(WebhookTestKit.Secret, "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "1700000000", bytes, signature));
        Assert.False(WebhookTestKit.Verifies(WebhookTestKit.Secret, "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "1700000001", bytes, signature));
        Assert.False(WebhookTestKit.Verifies(WebhookTestKit.Secret, "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "1700000000", [.. bytes, (byte)' '], signature));
    }

    [Fact(DisplayName = "A raw secret (no whsec_ prefix) is used as is: its UTF-8 bytes are the key")]
    public void Raw_secret_is_utf8_bytes()
    {
        const string raw = "a-plain-shared-secret-of-32-chars";
        var body = "{\"x\":1}"u8.ToArray();

        Assert.True(WebhookSignature.TryParseSecret(raw, out var key, out _));
        Assert.Equal(Encoding.UTF8.GetBytes(raw), key);
        var signature = WebhookSignature.Sign(raw, "m1", 42, body);
        Assert.True(WebhookTestKit.Verifies(raw, "m1", "42", body, signature));
        Assert.Equal(signature, WebhookSignature.Sign("whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(raw)), "m1", 42, body));
    }

    [Theory(DisplayName = "Invalid secrets are refused with a reason that does not repeat the secret")]
    [InlineData("whsec_not*base64!", "base64")]
    [InlineData("whsec_c2hvcnQ=", "24 to 64 bytes")]
    [InlineData("short-raw", "at least 24")]
    [InlineData("   ", "empty")]
    public void Invalid_secrets(string secret, string reason)
    {
        Assert.False(WebhookSignature.TryParseSecret(secret, out var key, out var error));

        Assert.Empty(key);
        Assert.Contains(reason, error);
        if (secret.Trim().Length > 0)
        {
            Assert.DoesNotContain(secret.Trim(), error);
        }
        Assert.Throws<FormatException>(() => WebhookSignature.ParseSecret(secret));
    }
}
