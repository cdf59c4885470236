using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels;

/// <summary>One rendered message for one recipient on one channel.</summary>
/// <param name="To">The address for the channel: an email address, a mobile number, a Lark/DingTalk/WeCom id, a URL.</param>
/// <param name="IsHtml">Email: the body is HTML (a text part is derived from it).</param>
/// <param name="SignName">SMS signature (Aliyun); empty elsewhere.</param>
/// <param name="ProviderTemplateId">The provider's own template code (Aliyun SMS), the template's relTemplateID.</param>
/// <param name="TemplateData">The raw values, for providers that render themselves (Aliyun SMS).</param>
public sealed record OutboundMessage(
    string MsgId,
    Channel Channel,
    string To,
    string Subject,
    string Body,
    bool IsHtml,
    string SignName = "",
    string ProviderTemplateId = "",
    IReadOnlyDictionary<string, string>? TemplateData = null);

/// <summary>How an attempt ended. A permanent failure is not retried (bad address, rejected content).</summary>
public enum SendResult
{
    Sent,
    RetryableFailure,
    PermanentFailure,
}

/// <param name="Provider">Who was called ("smtp:host", "outbox", "aliyun-sms", …), for the attempt history.</param>
/// <param name="Error">What went wrong, without personal data (no addresses, no message text).</param>
public sealed record SendOutcome(SendResult Result, string Provider, string? Error = null)
{
    public static SendOutcome Ok(string provider) => new(SendResult.Sent, provider);

    public static SendOutcome Retry(string provider, string error) => new(SendResult.RetryableFailure, provider, error);

    public static SendOutcome Permanent(string provider, string error) => new(SendResult.PermanentFailure, provider, error);
}

/// <summary>
/// A provider client for one channel. Implementations are thread-safe, reuse connections, classify every
/// error as retryable or permanent and never throw for a delivery failure (only for a programming error).
/// </summary>
public interface IChannelSender
{
    Channel Channel { get; }

    Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct);
}
