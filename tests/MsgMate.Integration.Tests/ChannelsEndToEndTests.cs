using System.Text.Json;
using MsgMate.Integration.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace MsgMate.Integration.Tests;

/// <summary>
/// Every vendor channel end to end through the HTTP API: a user with each contact, a template per channel, send_msg,
/// and the record sent with the provider's message id — against one loopback fake of the vendors' APIs.
/// </summary>
public sealed class ChannelsEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
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

    [Fact(DisplayName = "SMS, Lark, WeCom and DingTalk: a user's contact per channel, a template per channel, each record sent with the provider's message id")]
    public async Task Every_vendor_channel_delivers()
    {
        (await _node.PostAsync("/user/create", new
        {
            user_id = "e2e-user", name = "Ann", mobile = "13800138000", lark_id = "ou_ann", dingtalk_id = "ding-ann", wechat_id = "wx-ann",
        })).ShouldSucceed();

        var expected = new (int Channel, string RelTemplateId, string ProviderMsgId, string VendorPath, string Contact)[]
        {
            (2, "SMS_123456", "biz-42", "/", "PhoneNumbers=13800138000"),
            (3, "text", "om_42", "/open-apis/im/v1/messages", "ou_ann"),
            (4, "text", "wm-42", "/cgi-bin/message/send", "wx-ann"),
            (5, "text", "4242", "/topapi/message/corpconversation/asyncsend_v2", "ding-ann"),
        };
        foreach (var (channel, rel, providerMsgId, path, contact) in expected)
        {
            var template = (await _node.PostAsync("/msg/create_template", new
            {
                sourceID = "e2e", name = $"c{channel}", channel, subject = "Hi {{name}}", content = "Hello {{name}}",
                signName = "MsgMate", relTemplateID = rel,
            })).ShouldSucceed()["templateID"].GetString()!;
            var msgId = (await _node.PostAsync("/msg/send_msg", new { user_ids = new[] { "e2e-user" }, templateID = template, templateData = new { name = "Ann" } }))
                .ShouldSucceed()["msgID"].GetString()!;

            var record = await WaitForFinalAsync(msgId);
            Assert.True(record.GetProperty("status").GetInt32() == 2, $"channel {channel}: {record}");
            Assert.Equal(providerMsgId, record.GetProperty("provider_msg_id").GetString());
            Assert.Contains(_vendors.LogEntries, e => e.RequestMessage!.Path == path && (e.RequestMessage.Body ?? "").Contains(contact));
        }
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
