namespace MsgMate.Actors.Delivery;

/// <summary>Record status. 1/2/3 keep the Go project's meaning; 4 and 5 are new.</summary>
public static class MessageStatus
{
    public const int Pending = 1;
    public const int Sent = 2;
    public const int Failed = 3;
    public const int Retrying = 4;
    public const int Cancelled = 5;

    /// <summary>Stored for a future sendTimestamp; its schedule entity releases it (to pending) when due.</summary>
    public const int Scheduled = 6;

    public static bool IsFinal(int status) => status is Sent or Failed or Cancelled;

    public static bool IsKnown(int status) => status is >= Pending and <= Scheduled;

    /// <summary>The status's name on the wire (statistics, errors).</summary>
    public static string Name(int status) => status switch
    {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Retrying => "retrying",
        Cancelled => "cancelled",
        Scheduled => "scheduled",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Priority as on the wire: 1 low, 2 medium (the default), 3 high.</summary>
public static class MessagePriority
{
    public const int Low = 1;
    public const int Medium = 2;
    public const int High = 3;
}

/// <summary>One message for one recipient on one channel, as stored. The record store is the source of truth.</summary>
public sealed record MessageRecord
{
    public required string MsgId { get; init; }
    public required string BatchId { get; init; }
    public string SourceId { get; init; } = "";
    public string ScheduleId { get; init; } = "";
    public required string To { get; init; }
    public string UserId { get; init; } = "";
    public required int Channel { get; init; }
    public required int Priority { get; init; }
    public string TemplateId { get; init; } = "";

    /// <summary>The caller's template data as a JSON object text ("{}" when none): the console parses it.</summary>
    public string TemplateData { get; init; } = "{}";
    public string Subject { get; init; } = "";
    public string Body { get; init; } = "";
    public bool IsHtml { get; init; }
    public string SignName { get; init; } = "";
    public string ProviderTemplateId { get; init; } = "";
    public required int Status { get; init; }
    public int Attempts { get; init; }
    public int RetryCount { get; init; }
    public string LastError { get; init; } = "";
    public long NotBefore { get; init; }
    public long CreateTime { get; init; }
    public long ModifyTime { get; init; }
    public long SentTime { get; init; }

    /// <summary>The provider's own id of the sent message (Aliyun's BizId, Lark's message_id); empty when it gives none.</summary>
    public string ProviderMessageId { get; init; } = "";

    /// <summary>The recipient masked and no content: a record that ends up in a log line shows neither.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("MsgId = ").Append(MsgId).Append(", BatchId = ").Append(BatchId)
            .Append(", Channel = ").Append(Channel).Append(", To = ").Append(Common.PersonalData.Mask((Common.Channel)Channel, To))
            .Append(", UserId = ").Append(UserId).Append(", Status = ").Append(Status).Append(", Attempts = ").Append(Attempts);
        return true;
    }
}

/// <summary>One delivery attempt, for the record's history.</summary>
/// <param name="RetryAt">When the attempt scheduled a retry: the time before which that retry may not start (the
/// attempt's time plus the backoff the retry policy chose); 0 when it scheduled none.</param>
public sealed record AttemptRecord(
    string MsgId, int Attempt, long At, int Channel, string Provider, int Outcome, string Error, int DurationMs, string Node, long RetryAt = 0,
    string ProviderMessageId = "");
