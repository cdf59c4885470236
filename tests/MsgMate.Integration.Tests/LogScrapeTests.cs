using System.Text.Json;
using System.Text.RegularExpressions;
using MsgMate.Actors.Common;
using MsgMate.Channels.Tests;
using MsgMate.Integration.Tests.Infrastructure;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace MsgMate.Integration.Tests;

/// <summary>
/// The log scrape: a node logging at Debug into a file (Serilog's file sink, configured as an operator would) runs a
/// full pipeline — email over authenticated SMTP, SMS, Lark, DingTalk and a webhook, with vendor answers that echo the
/// addresses and tokens, retries and final failures, and an erase — and its whole log is then searched for every phone
/// number, email, vendor id, configured secret, issued token and API key. None may be there; the masked forms must be.
/// </summary>
public sealed partial class LogScrapeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // The people.
    private const string AnnMobile = "13812348000";
    private const string AnnEmail = "ann.logscrape@example.com";
    private const string AnnLark = "ou_logscrape_ann_0001";
    private const string AnnDingTalk = "dd_logscrape_ann_0001";
    private const string BobMobile = "13912345678";
    private const string BobEmail = "bob.logscrape@example.com";
    private const string BobLark = "ou_logscrape_bob_0002";
    private const string CarolMobile = "+8613700001111";
    private const string CarolEmail = "carol.logscrape@example.org";

    // The secrets: configured, or issued by the vendors' token endpoints.
    private const string SmtpAccount = "sender@msgmate.test";
    private const string SmtpPassword = "smtp-Pa55-logscrape";
    private const string AliyunKeyId = "LTAI5tLogScrapeKeyId";
    private const string AliyunSecret = "ali-secret-logscrape";
    private const string LarkSecret = "lark-secret-logscrape";
    private const string LarkToken = "t-lark-token-logscrape";
    private const string DingTalkSecret = "ding-secret-logscrape";
    private const string DingTalkToken = "d-ding-token-logscrape";
    private const string RobotToken = "robot-token-logscrape";
    private const string RobotSecret = "SECrobot-logscrape";
    private const string WeComSecret = "corp-secret-logscrape";
    private const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string WebhookPathToken = "pathsecret-logscrape";
    private const string WebhookQueryToken = "hooksecret-logscrape";

    private static readonly string[] Addresses = [AnnMobile, AnnEmail, AnnLark, AnnDingTalk, BobMobile, BobEmail, BobLark, CarolMobile, "13700001111", CarolEmail];

    private static readonly string[] Secrets =
    [
        SmtpPassword, AliyunKeyId, AliyunSecret, LarkSecret, LarkToken, DingTalkSecret, DingTalkToken, RobotToken, RobotSecret, WeComSecret,
        WebhookSecret, WebhookSecret["whsec_".Length..], WebhookPathToken, WebhookQueryToken,
    ];

    private readonly WireMockServer _vendors = WireMockServer.Start();
    private readonly ScriptedSmtpServer _smtp = new();
    private readonly string _logFile = Path.Combine(Path.GetTempPath(), "msgmate-tests", $"logscrape-{Guid.NewGuid():N}.log");
    private NodeHost? _node;

    public Task InitializeAsync()
    {
        _smtp.RequireAuthentication(SmtpAccount, SmtpPassword);
        // Aliyun: Bob's number is refused (the answer quotes it), Carol's always busy (retried until the budget is spent).
        Answer("/", """{"Code":"OK","Message":"OK","BizId":"biz-42","RequestId":"r1"}""", post: true);
        Answer("/", $$"""{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"invalid mobile {{BobMobile}}","RequestId":"r2"}""", post: true, body: BobMobile, priority: 1);
        Answer("/", $$"""{"Code":"ServiceUnavailable","Message":"busy for +86 13700001111 (key {{AliyunKeyId}})","RequestId":"r3"}""", post: true, body: "13700001111", priority: 1, status: 503);
        // Lark: a token that must never be logged; Bob's receive_id is refused with his id and email in the msg.
        Answer("/open-apis/auth/v3/tenant_access_token/internal", $$"""{"code":0,"msg":"ok","tenant_access_token":"{{LarkToken}}","expire":7200}""", post: true);
        Answer("/open-apis/im/v1/messages", """{"code":0,"msg":"success","data":{"message_id":"om_42"}}""", post: true);
        Answer("/open-apis/im/v1/messages", $$"""{"code":230001,"msg":"invalid receive_id {{BobLark}} ({{BobEmail}}), token {{LarkToken}}"}""", post: true,
            body: BobLark, priority: 1, status: 400);
        // DingTalk corp app: busy, quoting the user and the token (retryable: retried, then failed).
        Answer("/gettoken", $$"""{"errcode":0,"errmsg":"ok","access_token":"{{DingTalkToken}}","expires_in":7200}""", post: false);
        Answer("/topapi/message/corpconversation/asyncsend_v2",
            $$"""{"errcode":-1,"errmsg":"system busy for {{AnnDingTalk}} with {{DingTalkToken}}","request_id":"x"}""", post: true);
        // The webhook receiver fails every time.
        _vendors.Given(Request.Create().WithPath($"/hooks/{WebhookPathToken}").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(500));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        _vendors.Stop();
        await _smtp.DisposeAsync();
    }

    private void Answer(string path, string json, bool post, string? body = null, int priority = 10, int status = 200)
    {
        var request = Request.Create().WithPath(path);
        request = post ? request.UsingPost() : request.UsingGet();
        if (body is not null)
        {
            request = request.WithBody(new WildcardMatcher($"*{body}*"));
        }
        _vendors.Given(request).AtPriority(priority)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(json));
    }

    private Dictionary<string, string?> Settings()
    {
        var fake = _vendors.Url!;
        return new Dictionary<string, string?>
        {
            // Logs as an operator would configure them, at Debug (the shipped overrides of appsettings.json stay).
            ["Serilog:MinimumLevel:Default"] = "Debug",
            ["Serilog:Using:0"] = "Serilog.Sinks.File",
            ["Serilog:WriteTo:0:Name"] = "File",
            ["Serilog:WriteTo:0:Args:path"] = _logFile,
            ["Serilog:WriteTo:0:Args:outputTemplate"] = "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}",
            ["MsgMate:Queue:SqlQueue"] = "true",
            ["MsgMate:Delivery:Retry:MaxRetryCount"] = "2",
            ["MsgMate:Delivery:Retry:MinBackoff"] = "00:00:00.300",
            ["MsgMate:Delivery:Retry:MaxBackoff"] = "00:00:01",
            ["MsgMate:Delivery:Retry:Jitter"] = "0",
            ["MsgMate:Delivery:PollInterval"] = "00:00:00.100",
            ["MsgMate:Email:Host"] = _smtp.Host,
            ["MsgMate:Email:Port"] = _smtp.Port.ToString(),
            ["MsgMate:Email:TlsMode"] = "None",
            ["MsgMate:Email:Account"] = SmtpAccount,
            ["MsgMate:Email:Password"] = SmtpPassword,
            ["MsgMate:Email:From"] = "noreply@msgmate.test",
            ["MsgMate:Sms:AccessKeyId"] = AliyunKeyId,
            ["MsgMate:Sms:AccessKeySecret"] = AliyunSecret,
            ["MsgMate:Sms:Endpoint"] = fake,
            ["MsgMate:Sms:SignName"] = "MsgMate",
            ["MsgMate:Sms:ContentTemplateCode"] = "SMS_CONTENT",
            ["MsgMate:Lark:AppId"] = "cli_logscrape",
            ["MsgMate:Lark:AppSecret"] = LarkSecret,
            ["MsgMate:Lark:BaseUrl"] = fake,
            ["MsgMate:DingTalk:ApiBaseUrl"] = fake,
            ["MsgMate:DingTalk:RobotBaseUrl"] = fake,
            ["MsgMate:DingTalk:App:AppKey"] = "ding-key-logscrape",
            ["MsgMate:DingTalk:App:AppSecret"] = DingTalkSecret,
            ["MsgMate:DingTalk:App:AgentId"] = "2871239017",
            ["MsgMate:DingTalk:Robots:ops:AccessToken"] = RobotToken,
            ["MsgMate:DingTalk:Robots:ops:Secret"] = RobotSecret,
            ["MsgMate:WeCom:BaseUrl"] = fake,
            ["MsgMate:WeCom:App:CorpId"] = "corp-logscrape",
            ["MsgMate:WeCom:App:CorpSecret"] = WeComSecret,
            ["MsgMate:WeCom:App:AgentId"] = "1000002",
            ["MsgMate:Webhook:Endpoints:orders:Url"] = $"http://127.0.0.1:{_vendors.Port}/hooks/orders",
            ["MsgMate:Webhook:Endpoints:orders:Secret"] = WebhookSecret,
        };
    }

    [Fact(DisplayName = "Log scrape: a full pipeline run at Debug logs no phone number, email, vendor id, secret, token or API key — only their masks")]
    public async Task Logs_hold_no_personal_data_or_secrets()
    {
        var (provider, connectionString) = await TestDatabases.CreateAsync(Db.Sqlite);
        _node = await NodeHost.StartAsync(provider, connectionString, Settings());
        var node = _node;

        (await node.PostAsync("/user/create", new
        {
            user_id = "scrape-ann", name = "Ann", mobile = AnnMobile, email = AnnEmail, lark_id = AnnLark, dingtalk_id = AnnDingTalk,
        })).ShouldSucceed();
        (await node.PostAsync("/user/create", new { user_id = "scrape-bob", name = "Bob", mobile = BobMobile, email = BobEmail, lark_id = BobLark }))
            .ShouldSucceed();
        (await node.PostAsync("/user/create", new { user_id = "scrape-carol", name = "Carol", mobile = CarolMobile, email = CarolEmail })).ShouldSucceed();

        // SMTP: the first delivery is greylisted and the first recipient refused, each answer quoting an address.
        _smtp.FailDeliveries(1, 451, $"4.7.1 <{AnnEmail}> greylisted, try again");
        _smtp.On(SmtpStage.RcptTo, SmtpAction.Reply(550, $"5.1.1 <{BobEmail}>: Recipient address rejected"), times: 1);

        var sent = (await node.PostAsync("/msg/send_msg", new
        {
            user_ids = new[] { "scrape-ann", "scrape-bob", "scrape-carol" }, channels = new[] { 1, 2, 3, 5 }, subject = "Hello",
            content = "Your code is {{code}}", templateData = new { code = "4711" },
        })).ShouldSucceed();
        var webhook = (await node.PostAsync("/msg/send_msg", new
        {
            to = new[] { $"http://127.0.0.1:{_vendors.Port}/hooks/{WebhookPathToken}?token={WebhookQueryToken}" }, channels = new[] { 6 }, content = "x",
        })).ShouldSucceed();
        var ids = sent["msgIDs"].EnumerateArray().Append(webhook["msgID"]).Select(e => e.GetString()!).ToList();
        var statuses = new List<int>();
        foreach (var id in ids)
        {
            statuses.Add((await WaitForFinalAsync(node, id)).GetProperty("status").GetInt32());
        }
        Assert.Contains(2, statuses);
        Assert.Contains(3, statuses);

        (await node.PostAsync("/user/erase", new { user_id = "scrape-bob" })).ShouldSucceed();
        await node.DisposeAsync();
        _node = null;

        var log = await File.ReadAllTextAsync(_logFile);
        Assert.True(log.Length > 10_000, $"the node logged almost nothing ({log.Length} characters): is the file sink configured?");
        Assert.Contains("[DBG]", log);
        Assert.Contains("[WRN]", log);
        foreach (var value in Addresses.Concat(Secrets))
        {
            var at = log.IndexOf(value, StringComparison.OrdinalIgnoreCase);
            Assert.True(at < 0, $"the log holds '{value}': …{(at < 0 ? "" : log.Substring(Math.Max(0, at - 300), Math.Min(600, log.Length - Math.Max(0, at - 300))))}…");
        }
        var apiKey = ApiKey().Match(log);
        Assert.False(apiKey.Success, $"the log holds an API key: {apiKey.Value}");

        // The masked forms are there: the scrape looks at a log that did name the recipients.
        Assert.Contains(PersonalData.Mask(Channel.Sms, AnnMobile), log);
        Assert.Contains(PersonalData.Mask(Channel.Sms, CarolMobile), log);
        Assert.Contains(PersonalData.Mask(Channel.Email, AnnEmail), log);
        Assert.Contains(PersonalData.Mask(Channel.Email, BobEmail), log);
        Assert.Contains(PersonalData.Mask(Channel.Lark, BobLark), log);
        Assert.Contains(PersonalData.Mask(Channel.DingTalk, AnnDingTalk), log);
        Assert.Contains($"http://127.0.0.1:{_vendors.Port}/***", log);
    }

    private static async Task<JsonElement> WaitForFinalAsync(NodeHost node, string msgId)
    {
        JsonElement record = default;
        await Eventually.AssertAsync(async () =>
        {
            record = (await node.GetAsync($"/msg/get_msg_record?msgID={msgId}")).ShouldSucceed().Body;
            return record.GetProperty("status").GetInt32() is 2 or 3 or 5;
        }, Patience, () => $"message {msgId} final: {record}");
        return record;
    }

    /// <summary>MsgMate's API keys (<c>mm_</c>, a 12-hex id, a dot, 43 characters of secret).</summary>
    [GeneratedRegex(@"mm_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}")]
    private static partial Regex ApiKey();
}
