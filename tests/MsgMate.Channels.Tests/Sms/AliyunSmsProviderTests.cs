using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MsgMate.Actors.Channels;
using MsgMate.Actors.Channels.Sms;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static MsgMate.Channels.Tests.Sms.AliyunSmsTestSupport;

namespace MsgMate.Channels.Tests.Sms;

public sealed class AliyunSmsProviderTests : IDisposable
{
    private const string OkAnswer = "{\"Message\":\"OK\",\"RequestId\":\"F655A8D5-B967-440B-8683-DAD6FF8DE990\",\"Code\":\"OK\",\"BizId\":\"900619746936498440^0\"}";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private AliyunSmsAccount Account(
        string signName = "", string defaultTemplate = "", string contentTemplate = "", string region = "cn-hangzhou",
        TimeSpan? timeout = null, string? endpoint = null) => new()
        {
            Name = "aliyun",
            AccessKeyId = KeyId,
            AccessKeySecret = Secret,
            Endpoint = new Uri(endpoint ?? _server.Url!),
            RegionId = region,
            SignName = signName,
            DefaultTemplateCode = defaultTemplate,
            ContentTemplateCode = contentTemplate,
            // Generous: the fake's first answer in a process can take seconds on a loaded machine.
            Timeout = timeout ?? TimeSpan.FromMinutes(1),
        };

    private AliyunSmsProvider Provider(AliyunSmsAccount account, Func<string>? nonce = null) =>
        new(account, _http, new FixedClock(Now), nonce ?? (() => Nonce));

    private void Answer(int status, string body, string contentType = "application/json;charset=utf-8") =>
        _server.Given(Request.Create().WithPath("/").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));

    [Fact(DisplayName = "Sends the exact documented request: POST / as a form, every parameter, signature recomputed from the fixed key, nonce and clock")]
    public async Task Exact_request()
    {
        Answer(200, OkAnswer);
        var message = SmsMessage(signName: "阿里云短信测试", data: new Dictionary<string, string> { ["code"] = "1234" });

        var outcome = await Provider(Account()).SendAsync(message, CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var request = Single(_server);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/", request.Path);
        Assert.True(string.IsNullOrEmpty(request.RawQuery), "nothing in the query string");
        Assert.Equal("application/x-www-form-urlencoded", Assert.Single(request.Headers!["Content-Type"]));
        Assert.Contains("application/json", request.Headers!["Accept"].Single());

        var body = RawBody(request);
        var expectedSignature = ExpectedSignature("POST", FormPairs(body), Secret);
        Assert.Equal(
            "AccessKeyId=LTAI5tTestKeyId&Action=SendSms&Format=JSON&OutId=msg-1&PhoneNumbers=13812345678&RegionId=cn-hangzhou"
            + "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95"
            + "&SignatureMethod=HMAC-SHA1&SignatureNonce=0c1d2e3f-4a5b-4c6d-8e7f-112233445566&SignatureVersion=1.0"
            + "&TemplateCode=SMS_123456&TemplateParam=%7B%22code%22%3A%221234%22%7D&Timestamp=2024-05-06T07%3A08%3A09Z&Version=2017-05-25"
            + "&Signature=" + Uri.EscapeDataString(expectedSignature),
            body);
        // Computed once with Python's hmac from the same inputs: the recomputation above is not circular.
        Assert.Equal("k5BhIHvKbTOFekT6jGnGxW49tKY=", expectedSignature);

        var form = Form(request);
        Assert.Equal(
            new[] { "AccessKeyId", "Action", "Format", "OutId", "PhoneNumbers", "RegionId", "SignName", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam", "Timestamp", "Version" },
            form.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(KeyId, form["AccessKeyId"]);
        Assert.Equal("SendSms", form["Action"]);
        Assert.Equal("JSON", form["Format"]);
        Assert.Equal("msg-1", form["OutId"]);
        Assert.Equal(Phone, form["PhoneNumbers"]);
        Assert.Equal("cn-hangzhou", form["RegionId"]);
        Assert.Equal("阿里云短信测试", form["SignName"]);
        Assert.Equal("HMAC-SHA1", form["SignatureMethod"]);
        Assert.Equal(Nonce, form["SignatureNonce"]);
        Assert.Equal("1.0", form["SignatureVersion"]);
        Assert.Equal("SMS_123456", form["TemplateCode"]);
        Assert.Equal("{\"code\":\"1234\"}", form["TemplateParam"]);
        Assert.Equal("2024-05-06T07:08:09Z", form["Timestamp"]);
        Assert.Equal("2017-05-25", form["Version"]);
        Assert.Equal(expectedSignature, form["Signature"]);
    }

    [Fact(DisplayName = "Success: Sent by provider 'aliyun' with Aliyun's BizId as the provider message id")]
    public async Task Success_with_bizid()
    {
        Answer(200, OkAnswer);

        var outcome = await Provider(Account()).SendAsync(SmsMessage(), CancellationToken.None);

        Assert.Equal(SendOutcome.Ok("aliyun", "900619746936498440^0"), outcome);
    }

    [Fact(DisplayName = "Without a default nonce each request gets a fresh GUID nonce, and the signature changes with it")]
    public async Task Fresh_nonce()
    {
        Answer(200, OkAnswer);
        var provider = new AliyunSmsProvider(Account(), _http, new FixedClock(Now));

        await provider.SendAsync(SmsMessage(), CancellationToken.None);
        await provider.SendAsync(SmsMessage(), CancellationToken.None);

        var forms = _server.LogEntries.Select(e => Form(e.RequestMessage!)).ToList();
        Assert.Equal(2, forms.Count);
        Assert.All(forms, f => Assert.True(Guid.TryParse(f["SignatureNonce"], out _)));
        Assert.NotEqual(forms[0]["SignatureNonce"], forms[1]["SignatureNonce"]);
        Assert.NotEqual(forms[0]["Signature"], forms[1]["Signature"]);
        Assert.All(forms, f => Assert.Equal(ExpectedSignature("POST", f, Secret), f["Signature"]));
    }

    [Fact(DisplayName = "The template's signName wins; without one the configured SignName is used; RegionId is configurable")]
    public async Task Sign_name_fallback_and_region()
    {
        Answer(200, OkAnswer);
        var provider = Provider(Account(signName: "Configured", region: "cn-shanghai"));

        await provider.SendAsync(SmsMessage(signName: "FromTemplate"), CancellationToken.None);
        await provider.SendAsync(SmsMessage(signName: ""), CancellationToken.None);

        var forms = _server.LogEntries.Select(e => Form(e.RequestMessage!)).ToList();
        Assert.Equal("FromTemplate", forms[0]["SignName"]);
        Assert.Equal("Configured", forms[1]["SignName"]);
        Assert.All(forms, f => Assert.Equal("cn-shanghai", f["RegionId"]));
        Assert.All(forms, f => Assert.Equal(ExpectedSignature("POST", f, Secret), f["Signature"]));
    }

    [Fact(DisplayName = "Without relTemplateID the DefaultTemplateCode is used with the template data; no data means no TemplateParam")]
    public async Task Default_template_code()
    {
        Answer(200, OkAnswer);
        var provider = Provider(Account(defaultTemplate: "SMS_DEFAULT", contentTemplate: "SMS_CONTENT"));

        await provider.SendAsync(SmsMessage(templateCode: "", data: new Dictionary<string, string> { ["name"] = "Ann" }), CancellationToken.None);
        await provider.SendAsync(SmsMessage(templateCode: "SMS_OWN", data: new Dictionary<string, string>()), CancellationToken.None);

        var forms = _server.LogEntries.Select(e => Form(e.RequestMessage!)).ToList();
        Assert.Equal("SMS_DEFAULT", forms[0]["TemplateCode"]);
        Assert.Equal("{\"name\":\"Ann\"}", forms[0]["TemplateParam"]);
        Assert.Equal("SMS_OWN", forms[1]["TemplateCode"]);
        Assert.False(forms[1].ContainsKey("TemplateParam"));
        Assert.All(forms, f => Assert.Equal(ExpectedSignature("POST", f, Secret), f["Signature"]));
    }

    [Fact(DisplayName = "Inline content with ContentTemplateCode: sent through it with TemplateParam {\"content\": body}")]
    public async Task Inline_with_content_template()
    {
        Answer(200, OkAnswer);
        var message = SmsMessage(templateCode: "", signName: "", body: "Your code is 1234, valid 5 min.", data: new Dictionary<string, string> { ["code"] = "1234" });

        var outcome = await Provider(Account(signName: "MsgMate", contentTemplate: "SMS_CONTENT")).SendAsync(message, CancellationToken.None);

        Assert.Equal(SendResult.Sent, outcome.Result);
        var form = Form(Single(_server));
        Assert.Equal("SMS_CONTENT", form["TemplateCode"]);
        Assert.Equal("{\"content\":\"Your code is 1234, valid 5 min.\"}", form["TemplateParam"]);
        Assert.Equal("MsgMate", form["SignName"]);
        Assert.Equal(ExpectedSignature("POST", form, Secret), form["Signature"]);
    }

    [Fact(DisplayName = "Inline content without ContentTemplateCode: permanent failure with the documented text, nothing sent")]
    public async Task Inline_without_content_template()
    {
        Answer(200, OkAnswer);

        var outcome = await Provider(Account(signName: "MsgMate")).SendAsync(SmsMessage(templateCode: ""), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, outcome.Result);
        Assert.Equal("SMS needs an Aliyun template (relTemplateID) or MsgMate:Sms:ContentTemplateCode for inline content", outcome.Error);
        Assert.Equal("aliyun", outcome.Provider);
        Assert.Empty(_server.LogEntries);
    }

    [Fact(DisplayName = "No sign name anywhere, or no number: permanent failure, nothing sent")]
    public async Task Missing_sign_name_or_number()
    {
        Answer(200, OkAnswer);
        var provider = Provider(Account());

        var noSign = await provider.SendAsync(SmsMessage(signName: ""), CancellationToken.None);
        var noNumber = await provider.SendAsync(SmsMessage(to: " "), CancellationToken.None);

        Assert.Equal(SendResult.PermanentFailure, noSign.Result);
        Assert.Contains("MsgMate:Sms:SignName", noSign.Error);
        Assert.Equal(SendResult.PermanentFailure, noNumber.Result);
        Assert.Empty(_server.LogEntries);
    }

    [Fact(DisplayName = "TemplateParam is the JSON string of the data: quotes, backslashes and control characters escaped, Chinese kept, values round-trip")]
    public async Task Template_param_escaping()
    {
        Answer(200, OkAnswer);
        var data = new Dictionary<string, string>
        {
            ["name"] = "Bob \"the\" builder",
            ["path"] = @"C:\tmp",
            ["city"] = "北京",
            ["lines"] = "a\nb\tc",
            ["emoji"] = "👍",
            ["html"] = "<b>&'</b>",
        };

        await Provider(Account()).SendAsync(SmsMessage(data: data), CancellationToken.None);

        var form = Form(Single(_server));
        var param = form["TemplateParam"];
        Assert.StartsWith("{\"name\":\"Bob \\\"the\\\" builder\",\"path\":\"C:\\\\tmp\",\"city\":\"北京\",\"lines\":\"a\\nb\\tc\",", param);
        Assert.Contains("\"html\":\"<b>&'</b>\"", param);
        Assert.Equal(data, JsonSerializer.Deserialize<Dictionary<string, string>>(param));
        Assert.Equal(ExpectedSignature("POST", form, Secret), form["Signature"]);
        // The body carries it percent-encoded as UTF-8.
        Assert.Contains("%E5%8C%97%E4%BA%AC", RawBody(Single(_server)));
    }

    [Theory(DisplayName = "Aliyun's error answers over HTTP map to the right class with code and message, never the number or keys")]
    [InlineData(200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", SendResult.RetryableFailure)]
    [InlineData(200, "isv.DAY_LIMIT_CONTROL", "触发日发送限额", SendResult.RetryableFailure)]
    [InlineData(200, "isp.SYSTEM_ERROR", "系统错误", SendResult.RetryableFailure)]
    [InlineData(400, "Throttling.User", "Request was denied due to user flow control.", SendResult.RetryableFailure)]
    [InlineData(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", SendResult.RetryableFailure)]
    [InlineData(200, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足", SendResult.RetryableFailure)]
    [InlineData(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号 13812345678", SendResult.PermanentFailure)]
    [InlineData(200, "isv.SMS_SIGNATURE_ILLEGAL", "签名不合法", SendResult.PermanentFailure)]
    [InlineData(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法", SendResult.PermanentFailure)]
    [InlineData(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量", SendResult.PermanentFailure)]
    [InlineData(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", SendResult.PermanentFailure)]
    [InlineData(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", SendResult.PermanentFailure)]
    [InlineData(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", SendResult.PermanentFailure)]
    [InlineData(200, "isp.RAM_PERMISSION_DENY", "RAM权限DENY", SendResult.PermanentFailure)]
    [InlineData(400, "Brand.New.Code", "something new", SendResult.PermanentFailure)]
    public async Task Error_answers(int status, string code, string message, SendResult expected)
    {
        Answer(status, JsonSerializer.Serialize(new { Message = message, RequestId = "REQ-42", HostId = "dysmsapi.aliyuncs.com", Code = code }));

        var outcome = await Provider(Account()).SendAsync(SmsMessage(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Equal("aliyun", outcome.Provider);
        Assert.Contains(code, outcome.Error);
        Assert.Contains("RequestId REQ-42", outcome.Error);
        Assert.Contains($"HTTP {status}", outcome.Error);
        Assert.DoesNotContain(Phone, outcome.Error);
        Assert.DoesNotContain(Secret, outcome.Error);
        Assert.DoesNotContain(Form(Single(_server))["Signature"], outcome.Error);
        Assert.Equal("", outcome.ProviderMessageId);
    }

    [Fact(DisplayName = "Per-number control answered on the wire asks for a one-minute pause; a Retry-After header is honoured")]
    public async Task Retry_after_over_the_wire()
    {
        _server.Given(Request.Create().WithPath("/").UsingPost().WithBody(b => b != null && b.Contains("PhoneNumbers=13800000001")))
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"触发分钟级流控Permits:1\"}"));
        _server.Given(Request.Create().WithPath("/").UsingPost().WithBody(b => b != null && b.Contains("PhoneNumbers=13800000002")))
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Retry-After", "12").WithBody("{\"Code\":\"Throttling.User\",\"Message\":\"flow control\"}"));
        var provider = Provider(Account());

        var limit = await provider.SendAsync(SmsMessage(to: "13800000001"), CancellationToken.None);
        var throttled = await provider.SendAsync(SmsMessage(to: "13800000002"), CancellationToken.None);

        Assert.Equal(TimeSpan.FromMinutes(1), limit.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(12), throttled.RetryAfter);
    }

    [Theory(DisplayName = "A malformed or non-JSON answer is retryable (HTTP 200 or 5xx), permanent for a plain 404")]
    [InlineData(200, "{\"Code\":\"OK\",", SendResult.RetryableFailure)]
    [InlineData(200, "OK", SendResult.RetryableFailure)]
    [InlineData(200, "", SendResult.RetryableFailure)]
    [InlineData(502, "<html><body>502 Bad Gateway</body></html>", SendResult.RetryableFailure)]
    [InlineData(404, "<html><body>Not Found</body></html>", SendResult.PermanentFailure)]
    public async Task Malformed_answers(int status, string body, SendResult expected)
    {
        Answer(status, body, "text/html");

        var outcome = await Provider(Account()).SendAsync(SmsMessage(), CancellationToken.None);

        Assert.Equal(expected, outcome.Result);
        Assert.Contains($"HTTP {status}", outcome.Error);
    }

    [Fact(DisplayName = "No answer within the Timeout is retryable and returns promptly")]
    public async Task Timeout_is_retryable()
    {
        using var silent = new SilentServer();
        var started = DateTime.UtcNow;

        var outcome = await Provider(Account(timeout: TimeSpan.FromMilliseconds(200), endpoint: silent.Url)).SendAsync(SmsMessage(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("timed out after 0.2 s", outcome.Error);
        Assert.Equal(1, silent.Connections);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the timeout ended the call");
    }

    [Fact(DisplayName = "Connection refused is retryable, not thrown")]
    public async Task Network_error_is_retryable()
    {
        var outcome = await Provider(Account(endpoint: $"http://127.0.0.1:{TestSupport.ClosedPort()}/")).SendAsync(SmsMessage(), CancellationToken.None);

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
        Assert.Contains("request failed", outcome.Error);
    }

    [Fact(DisplayName = "A connection closed before the answer is retryable")]
    public async Task Dropped_connection_is_retryable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var drop = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var buffer = new byte[4096];
            _ = await client.GetStream().ReadAsync(buffer);
            client.Client.LingerState = new LingerOption(true, 0);
        });

        var outcome = await Provider(Account(endpoint: $"http://127.0.0.1:{port}/")).SendAsync(SmsMessage(), CancellationToken.None);
        await drop;

        Assert.Equal(SendResult.RetryableFailure, outcome.Result);
    }

    [Fact(DisplayName = "The caller's own cancellation is not classified: it propagates")]
    public async Task Caller_cancellation_propagates()
    {
        using var silent = new SilentServer();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Provider(Account(endpoint: silent.Url)).SendAsync(SmsMessage(), cts.Token));
    }
}
