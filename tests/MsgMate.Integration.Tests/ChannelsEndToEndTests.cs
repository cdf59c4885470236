using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Every vendor channel end to end through the HTTP API: a user with each contact, a template per channel, send_msg,
/// and the record sent with the provider's message id — against one loopback fake of the vendors' APIs; and the same
/// through a schedule, for all six channels (email to the development outbox, webhook to a configured loopback endpoint).
/// </summary>
public sealed class ChannelsEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Per vendor channel: the template's vendor type, the provider's message id, the vendor path and the contact it carries.</summary>
    private static readonly (int Channel, string RelTemplateId, string ProviderMsgId, string VendorPath, string Contact)[] Vendors =
    [
        (2, "SMS_123456", "biz-42", "/", "PhoneNumbers=13800138000"),
        (3, "text", "om_42", "/open-apis/im/v1/messages", "ou_ann"),
        (4, "text", "wm-42", "/cgi-bin/message/send", "wx-ann"),
        (5, "text", "4242", "/topapi/message/corpconversation/asyncsend_v2", "ding-ann"),
    ];
    private readonly WireMockServer _vendors = WireMockServer.Start();
    private NodeHost _node = null!;

    public async Task InitializeAsync()
    {
        Answer("/", """{"Code":"OK","Message":"OK","BizId":"biz-42","RequestId":"r1"}""", post: true);
        Answer("/open-apis/auth/v3/tenant_access_token/internal", """{"code":0,"msg":"ok","tenant_access_token":"t-1","expire":7200}""", post: true);
        Answer("/open-apis/im/v1/messages", """{"code":0,"msg":"success","data":{"message_id":"om_42"}}""", post: true);
        Answer("/gettoken", """{"errcode":0,"errmsg":"ok","access_token":"d-1","expires_in":7200}""", post: false);
        Answer("/topapi/message/corpconversation/asyncsend_v2", """{"errcode":0,"errmsg":"ok","task_id":4242,"request_id":"x"}""", post: true);
        Answer("/robot/send", """{"errcode":0,"errmsg":"ok"}""", post: true);
        Answer("/cgi-bin/gettoken", """{"errcode":0,"errmsg":"ok","access_token":"w-1","expires_in":7200}""", post: false);
        Answer("/cgi-bin/message/send", """{"errcode":0,"errmsg":"ok","invaliduser":"","msgid":"wm-42"}""", post: true);
        Answer("/hooks/orders", "{}", post: true);

        var (provider, connectionString) = await TestDatabases.CreateAsync(Db.Sqlite);
        var fake = _vendors.Url!;
        _node = await NodeHost.StartAsync(provider, connectionString, new Dictionary<string, string?>
        {
            ["MsgMate:Sms:AccessKeyId"] = "LTAI-test",
            ["MsgMate:Sms:AccessKeySecret"] = "ali-secret",
            ["MsgMate:Sms:Endpoint"] = fake,
            ["MsgMate:Lark:AppId"] = "cli_test",
            ["MsgMate:Lark:AppSecret"] = "lark-secret",
            ["MsgMate:Lark:BaseUrl"] = fake,
            ["MsgMate:DingTalk:ApiBaseUrl"] = fake,
            ["MsgMate:DingTalk:RobotBaseUrl"] = fake,
            ["MsgMate:DingTalk:App:AppKey"] = "ding-key",
            ["MsgMate:DingTalk:App:AppSecret"] = "ding-secret",
            ["MsgMate:DingTalk:App:AgentId"] = "2871239017",
            ["MsgMate:DingTalk:Robots:ops:AccessToken"] = "robot-token",
            ["MsgMate:DingTalk:Robots:ops:Secret"] = "SECrobot",
            ["MsgMate:WeCom:BaseUrl"] = fake,
            ["MsgMate:WeCom:App:CorpId"] = "corp",
            ["MsgMate:WeCom:App:CorpSecret"] = "corp-secret",
            ["MsgMate:WeCom:App:AgentId"] = "1000002",
            ["MsgMate:Webhook:Endpoints:orders:Url"] = $"http://127.0.0.1:{_vendors.Port}/hooks/orders",
            ["MsgMate:Webhook:Endpoints:orders:Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        });
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _vendors.Stop();
    }

    private void Answer(string path, string json, bool post)
    {
        var request = Request.Create().WithPath(path);
        _vendors.Given(post ? request.UsingPost() : request.UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(json));
    }

    private async Task CreateUserAsync() =>
        (await _node.PostAsync("/user/create", new
        {
            user_id = "e2e-user", name = "Ann", email = "ann@example.com", mobile = "13800138000", lark_id = "ou_ann", dingtalk_id = "ding-ann", wechat_id = "wx-ann",
        })).ShouldSucceed();

    private async Task<string> CreateTemplateAsync(int channel, string relTemplateId) =>
        (await _node.PostAsync("/msg/create_template", new
        {
            sourceID = "e2e", name = $"c{channel}-{Guid.NewGuid():N}", channel, subject = "Hi {{name}}", content = "Hello {{name}}",
            signName = "MsgMate", relTemplateID = relTemplateId,
        })).ShouldSucceed()["templateID"].GetString()!;

    private void AssertVendorCalled(string path, string contact) =>
        Assert.Contains(_vendors.LogEntries, e => e.RequestMessage!.Path == path && (e.RequestMessage.Body ?? "").Contains(contact));

    [Fact(DisplayName = "SMS, Lark, WeCom and DingTalk: a user's contact per channel, a template per channel, each record sent with the provider's message id")]
    public async Task Every_vendor_channel_delivers()
    {
        await CreateUserAsync();
        foreach (var (channel, rel, providerMsgId, path, contact) in Vendors)
        {
            var template = await CreateTemplateAsync(channel, rel);
            var msgId = (await _node.PostAsync("/msg/send_msg", new { user_ids = new[] { "e2e-user" }, templateID = template, templateData = new { name = "Ann" } }))
                .ShouldSucceed()["msgID"].GetString()!;

            var record = await WaitForFinalAsync(msgId);
            Assert.True(record.GetProperty("status").GetInt32() == 2, $"channel {channel}: {record}");
            Assert.Equal(providerMsgId, record.GetProperty("provider_msg_id").GetString());
            AssertVendorCalled(path, contact);
        }
    }

    [Fact(DisplayName = "All six channels through a schedule: each fires at its time and its record is sent, to the user's contact or the named endpoint")]
    public async Task Every_channel_through_a_schedule()
    {
        await CreateUserAsync();
        var byUser = new List<(int Channel, string Template, string? ProviderMsgId)>
        {
            (1, await CreateTemplateAsync(1, ""), null),
        };
        foreach (var (channel, rel, providerMsgId, _, _) in Vendors)
        {
            byUser.Add((channel, await CreateTemplateAsync(channel, rel), providerMsgId));
        }
        var webhookTemplate = await CreateTemplateAsync(6, "");

        var created = new List<(int Channel, string ScheduleId, string? ProviderMsgId)>();
        await BeforeDue.RunAsync(TimeSpan.FromSeconds(3), async due =>
        {
            created.Clear();
            var at = TimeZoneInfo.ConvertTime(due, Shanghai).ToString("yyyy-MM-dd HH:mm:ss");
            foreach (var (channel, template, providerMsgId) in byUser)
            {
                var id = (await _node.PostAsync("/scheduled/create", new
                {
                    user_ids = new[] { "e2e-user" }, template_id = template, template_data = new { name = "Ann" }, scheduled_time = at,
                })).ShouldSucceed()["schedule_id"].GetString()!;
                created.Add((channel, id, providerMsgId));
            }
            var hook = (await _node.PostAsync("/scheduled/create", new
            {
                to = "orders", template_id = webhookTemplate, template_data = new { name = "Ann" }, scheduled_time = at,
            })).ShouldSucceed()["schedule_id"].GetString()!;
            created.Add((6, hook, null));
            return created.Count;
        }, overran: async () =>
        {
            foreach (var (_, id, _) in created)
            {
                await _node.PostAsync("/scheduled/cancel", new { schedule_id = id });
            }
        });

        foreach (var (channel, scheduleId, providerMsgId) in created)
        {
            JsonElement records = default;
            await Eventually.AssertAsync(async () =>
            {
                records = (await _node.GetAsync($"/msg/list_msg_records?schedule_id={scheduleId}&page_size=10")).ShouldSucceed()["records"];
                return records.GetArrayLength() == 1;
            }, Patience, () => $"channel {channel}: schedule {scheduleId} fired one record (last seen {records})");
            var record = await WaitForFinalAsync(records[0].GetProperty("MsgId").GetString()!);
            Assert.True(record.GetProperty("status").GetInt32() == 2, $"channel {channel}: {record}");
            Assert.Equal(channel, record.GetProperty("channel").GetInt32());
            if (providerMsgId is not null)
            {
                Assert.Equal(providerMsgId, record.GetProperty("provider_msg_id").GetString());
            }
        }
        foreach (var (_, _, _, path, contact) in Vendors)
        {
            AssertVendorCalled(path, contact);
        }
        var hookCall = Assert.Single(_vendors.LogEntries, e => e.RequestMessage!.Path == "/hooks/orders");
        Assert.StartsWith("v1,", hookCall.RequestMessage!.Headers!["webhook-signature"].Single());
    }

    [Fact(DisplayName = "DingTalk robot: a recipient naming a configured robot goes to that robot, signed, at the robot's rate")]
    public async Task Robot_by_name()
    {
        var template = (await _node.PostAsync("/msg/create_template", new
        {
            sourceID = "e2e", name = "robot", channel = 5, subject = "Alert", content = "disk {{pct}}% full", relTemplateID = "markdown",
        })).ShouldSucceed()["templateID"].GetString()!;
        var msgId = (await _node.PostAsync("/msg/send_msg", new { to = "ops", templateID = template, templateData = new { pct = "93" } }))
            .ShouldSucceed()["msgID"].GetString()!;

        var record = await WaitForFinalAsync(msgId);
        Assert.True(record.GetProperty("status").GetInt32() == 2, record.ToString());
        var call = Assert.Single(_vendors.LogEntries, e => e.RequestMessage!.Path == "/robot/send");
        Assert.Equal("robot-token", call.RequestMessage!.Query!["access_token"].Single());
        Assert.False(string.IsNullOrEmpty(call.RequestMessage.Query["sign"].Single()));
        using var body = JsonDocument.Parse(call.RequestMessage.Body!);
        Assert.Equal("markdown", body.RootElement.GetProperty("msgtype").GetString());
        Assert.Contains("disk 93% full", body.RootElement.GetProperty("markdown").GetProperty("text").GetString());
    }

    [Fact(DisplayName = "Inline content to SMS without a content template is refused at intake with a clear reason, nothing stored")]
    public async Task Sms_inline_refused()
    {
        var answer = await _node.PostAsync("/msg/send_msg", new { to = "13800138000", channels = new[] { 2 }, content = "hello" });
        answer.ShouldFail(8020, 400);
        Assert.Contains("Aliyun template", answer.Msg);
    }

    private async Task<JsonElement> WaitForFinalAsync(string msgId)
    {
        JsonElement body = default;
        await Eventually.AssertAsync(async () =>
        {
            body = (await _node.GetAsync($"/msg/get_msg_record?msgID={msgId}")).ShouldSucceed().Body;
            return body.GetProperty("status").GetInt32() is 2 or 3;
        }, Patience, () => $"message {msgId} is final (last seen {body})");
        return body;
    }
}
