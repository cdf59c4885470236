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
    IReadOnlyDictionary<string, string>? TemplateData = null)
{
    /// <summary>The recipient masked and no content: a message that ends up in a log line shows neither.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("MsgId = ").Append(MsgId).Append(", Channel = ").Append(Channel)
            .Append(", To = ").Append(PersonalData.Mask(Channel, To));
        return true;
    }
}

/// <summary>How an attempt ended. A permanent failure is not retried (bad address, rejected content).</summary>
public enum SendResult
{
    Sent,
    RetryableFailure,
    PermanentFailure,
}

/// <param name="Provider">Who was called (the provider's name: "smtp", "outbox", "aliyun", …), for the attempt history.</param>
/// <param name="Error">What went wrong, without personal data (no addresses, no message text).</param>
/// <param name="ProviderMessageId">The provider's own id of the message (Aliyun's BizId, Lark's message_id), when it gives one.</param>
/// <param name="RetryAfter">The provider asked for this pause before the next call (a rate-limit answer).</param>
public sealed record SendOutcome(SendResult Result, string Provider, string? Error = null, string ProviderMessageId = "", TimeSpan? RetryAfter = null)
{
    public static SendOutcome Ok(string provider, string providerMessageId = "") => new(SendResult.Sent, provider, null, providerMessageId);

    public static SendOutcome Retry(string provider, string error, TimeSpan? retryAfter = null) =>
        new(SendResult.RetryableFailure, provider, error, "", retryAfter);

    public static SendOutcome Permanent(string provider, string error) => new(SendResult.PermanentFailure, provider, error);
}

/// <summary>
/// A client of one vendor account for one channel (an SMTP server, an Aliyun account, a DingTalk robot, …).
/// Implementations are thread-safe, reuse connections, classify every error as retryable or permanent and never
/// throw for a delivery failure (only for a programming error). Breaker, concurrency and rate limit are the
/// provider layer's (<see cref="ProviderRouter"/>), not the client's.
/// </summary>
public interface IProvider
{
    /// <summary>Unique on the node; shown in the attempt history. Names what was called, never a secret.</summary>
    string Name { get; }

    Channel Channel { get; }

    /// <summary>
    /// Whether this provider can reach the message's recipient at all (a DingTalk robot takes the messages addressed
    /// to it, the corp app the others). The router only considers providers that can; by default every one can.
    /// </summary>
    bool CanSend(OutboundMessage message) => true;

    Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct);
}

/// <summary>How the router uses one provider of a channel's route.</summary>
/// <param name="Priority">Lower goes first; providers of equal priority share the traffic by <paramref name="Weight"/>.</param>
/// <param name="Concurrency">Sends under way at once.</param>
/// <param name="RatePerSecond">The provider's documented rate (a robot's 20 a minute is 1/3); 0: none.</param>
/// <param name="Burst">Sends allowed back to back before the rate applies.</param>
public sealed record ProviderPolicy(int Priority = 0, int Weight = 1, int Concurrency = 4, double RatePerSecond = 0, int Burst = 1);

/// <summary>
/// Common settings of a configured provider, bound beside its vendor settings (e.g.
/// <c>MsgMate:DingTalk:Robots:ops:Priority</c>).
/// </summary>
public class ProviderSettings
{
    public int Priority { get; set; }

    public int Weight { get; set; } = 1;

    public int Concurrency { get; set; } = 4;

    /// <summary>Messages per second; <see cref="RatePerMinute"/> is the same in other words. 0: no limit of ours.</summary>
    public double RatePerSecond { get; set; }

    public double RatePerMinute { get; set; }

    public int Burst { get; set; } = 1;

    public ProviderPolicy Policy(double defaultRatePerSecond = 0) => new(
        Priority, Math.Max(1, Weight), Math.Max(1, Concurrency),
        RatePerSecond > 0 ? RatePerSecond : RatePerMinute > 0 ? RatePerMinute / 60 : defaultRatePerSecond,
        Math.Max(1, Burst));
}
