namespace MsgMate.Actors.Common;

/// <summary>
/// The input limits an operator may want to change, <c>MsgMate:Limits</c>: how many recipients a send may name and
/// reach, how much template data it may carry, and how large its rendered content may be per channel. Each is
/// checked before anything is stored and refused with 8020/400. The fixed limits (string lengths, template size,
/// paging) are the shape of stored data and live beside the rules that check them; README "Limits" lists them all.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Direct addresses in <c>to</c> (a list, or separated by commas).</summary>
    public int MaxDirectRecipients { get; set; } = 1000;

    /// <summary>Entries in <c>user_ids</c>.</summary>
    public int MaxUserIds { get; set; } = 10_000;

    /// <summary>Entries in <c>tags</c> of a send.</summary>
    public int MaxTags { get; set; } = 20;

    /// <summary>
    /// Records one send may create (recipients × channels, after duplicates are removed), tag audiences included. A tag
    /// audience is read in pages and written in chunks, so memory does not need this cap; the single transaction a
    /// large send holds does, and so does an audience that grew past what its sender meant to reach. A send over it
    /// stores nothing; a schedule whose audience grows past it fails that firing with the reason.
    /// </summary>
    public int MaxRecordsPerSend { get; set; } = 1_000_000;

    /// <summary>Entries in <c>templateData</c>.</summary>
    public int MaxTemplateDataEntries { get; set; } = 100;

    /// <summary>Characters of a <c>templateData</c> key (a placeholder name is at most 64).</summary>
    public int MaxTemplateDataKeyLength { get; set; } = 64;

    /// <summary>Characters of a <c>templateData</c> value.</summary>
    public int MaxTemplateDataValueLength { get; set; } = 16 * 1024;

    /// <summary>UTF-8 bytes of the whole <c>templateData</c> as stored (its JSON), which every record of the send carries.</summary>
    public int MaxTemplateDataBytes { get; set; } = 64 * 1024;

    /// <summary>The largest rendered message per channel.</summary>
    public RenderedLimits Rendered { get; set; } = new();

    /// <summary>Tags <c>/user/tag_statistics</c> answers (the most used first).</summary>
    public int MaxTagStatistics { get; set; } = 1000;
}

/// <summary>
/// The largest rendered message (subject and body, placeholders filled) a channel takes, so that a message its
/// provider would refuse is refused at intake with a clear 400 rather than failing later. UTF-8 bytes of subject plus
/// body, except SMS: characters of the body. The defaults follow the providers' documented limits, with room for the
/// JSON around the text.
/// </summary>
public sealed class RenderedLimits
{
    public int Email { get; set; } = 512 * 1024;

    /// <summary>Characters; a long SMS is sent in segments of 67 (Aliyun bills each) and carriers cap the whole near 500.</summary>
    public int Sms { get; set; } = 500;

    /// <summary>Lark text and post: its request body limit is 150 KB.</summary>
    public int Lark { get; set; } = 150_000;

    /// <summary>A Lark card (relTemplateID interactive, card or markdown): 30 KB.</summary>
    public int LarkCard { get; set; } = 30_000;

    /// <summary>WeCom text: at most 2048 bytes (errcode 40058 beyond).</summary>
    public int WeCom { get; set; } = 2048;

    /// <summary>WeCom markdown (relTemplateID markdown): at most 4096 bytes.</summary>
    public int WeComMarkdown { get; set; } = 4096;

    /// <summary>DingTalk: the whole request body at most 20,000 bytes (errcode 460101); 2,000 are left for the JSON around.</summary>
    public int DingTalk { get; set; } = 18_000;

    public int Webhook { get; set; } = 256 * 1024;

    /// <summary>The limit of <paramref name="channel"/> for a message type (a template's relTemplateID), and its unit.</summary>
    public (int Max, bool Characters) For(Channel channel, string providerTemplateId) => channel switch
    {
        Channel.Email => (Email, false),
        Channel.Sms => (Sms, true),
        Channel.Lark => (Channels.Lark.LarkContent.MessageType(providerTemplateId) == Channels.Lark.LarkContent.Interactive ? LarkCard : Lark, false),
        Channel.WeCom => (Channels.Tokens.MessageText.Kind(providerTemplateId) == Channels.Tokens.ChatMessageKind.Markdown ? WeComMarkdown : WeCom, false),
        Channel.DingTalk => (DingTalk, false),
        _ => (Webhook, false),
    };
}
