namespace MsgMate.Actors.Common;

/// <summary>Delivery channels, numbered as in the Go project (1–5); webhook is new.</summary>
public enum Channel
{
    Email = 1,
    Sms = 2,
    Lark = 3,
    WeCom = 4,
    DingTalk = 5,
    Webhook = 6,
}

public static class KnownChannels
{
    public static bool IsKnown(int value) => Enum.IsDefined(typeof(Channel), value);

    public const string Range = "1 email, 2 SMS, 3 Lark, 4 WeCom, 5 DingTalk, 6 webhook";

    /// <summary>How many channels there are: the most entries a send's <c>channels</c> may list.</summary>
    public static int Count { get; } = Enum.GetValues<Channel>().Length;
}
