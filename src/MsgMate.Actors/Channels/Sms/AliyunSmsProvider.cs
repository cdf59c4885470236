using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MsgMate.Actors.Common;

namespace MsgMate.Actors.Channels.Sms;

/// <summary>
/// Channel 2 through one Aliyun account: dysmsapi <c>SendSms</c> (version 2017-05-25), RPC style, signed with
/// HMAC-SHA1 (SignatureVersion 1.0), every parameter in a form-encoded POST body to the endpoint's path
/// (<c>StringToSign</c> starts with <c>POST</c>). The phone number and the signature stay out of the URL.
/// <list type="bullet">
/// <item>PhoneNumbers = the recipient; SignName = the template's signName, else the account's SignName.</item>
/// <item>TemplateCode = the template's relTemplateID, else the account's DefaultTemplateCode; TemplateParam = the
/// template data as a JSON string (omitted when there is none).</item>
/// <item>Neither (inline content): through ContentTemplateCode with <c>{"content": body}</c>, else a permanent failure.</item>
/// <item>OutId = the message id (Aliyun's delivery report carries it back).</item>
/// </list>
/// One call per send, no retry, no throttle of its own (the router does that); the answer is classified by
/// <see cref="AliyunSmsAnswers.Map"/>. SendSms is not idempotent: a timeout is retryable, so a message whose answer
/// was lost may arrive twice.
/// </summary>
public sealed class AliyunSmsProvider : IProvider
{
    public const string InlineRefusal =
        "SMS needs an Aliyun template (relTemplateID) or MsgMate:Sms:ContentTemplateCode for inline content";

    public const string Action = "SendSms";

    public const string ApiVersion = "2017-05-25";

    public const string HttpMethodName = "POST";

    /// <summary>Quotes and backslashes escaped as JSON requires, other text (Chinese, …) as is: it is no HTML.</summary>
    private static readonly JsonSerializerOptions TemplateJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly MediaTypeHeaderValue FormType = new("application/x-www-form-urlencoded");

    private readonly AliyunSmsAccount _account;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly Func<string> _nonce;

    /// <param name="nonce">The SignatureNonce of each request; a fresh GUID by default (tests fix it).</param>
    public AliyunSmsProvider(AliyunSmsAccount account, HttpClient http, TimeProvider clock, Func<string>? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(clock);
        _account = account;
        _http = http;
        _clock = clock;
        _nonce = nonce ?? (() => Guid.NewGuid().ToString());
    }

    public string Name => _account.Name;

    public Channel Channel => Channel.Sms;

    public AliyunSmsAccount Account => _account;

    /// <summary>
    /// Another account of the route can send messages without a TemplateCode: this one, when it cannot, leaves them
    /// to it (<see cref="CanSend"/>). When no account can, each takes them and refuses them with <see cref="InlineRefusal"/>.
    /// </summary>
    public bool OtherAccountsTakeInline { get; init; }

    public bool CanSend(OutboundMessage message) =>
        message.ProviderTemplateId.Trim().Length > 0 || _account.AcceptsInline || !OtherAccountsTakeInline;

    public async Task<SendOutcome> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        var parameters = Parameters(message, out var refusal);
        if (parameters is null)
        {
            return SendOutcome.Permanent(Name, refusal!);
        }
        var signature = AliyunRpcSignature.Sign(HttpMethodName, parameters, _account.AccessKeySecret);
        var body = AliyunRpcSignature.CanonicalQuery(parameters) + "&Signature=" + AliyunRpcSignature.PercentEncode(signature);

        using var request = new HttpRequestMessage(HttpMethod.Post, _account.Endpoint);
        request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        request.Content.Headers.ContentType = FormType;
        request.Headers.Accept.ParseAdd("application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_account.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var outcome = AliyunSmsAnswers.Map(Name, (int)response.StatusCode, AliyunAnswer.Parse(text), _clock.GetUtcNow(), RetryAfter(response));
            // Aliyun's messages may quote the request (the number, the AccessKeyId): neither stays in the error.
            return outcome.Error is { Length: > 0 } error
                ? outcome with { Error = PersonalData.Scrub(error, 1000, message.To, _account.AccessKeyId, _account.AccessKeySecret) }
                : outcome;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return SendOutcome.Retry(Name, $"timed out after {_account.Timeout.TotalSeconds:0.###} s (the message may still have been sent)");
        }
        catch (HttpRequestException ex)
        {
            return SendOutcome.Retry(Name, $"request failed: {ex.HttpRequestError}");
        }
        catch (IOException)
        {
            return SendOutcome.Retry(Name, "connection lost while reading the answer");
        }
    }

    /// <summary>
    /// Every parameter of the request but <c>Signature</c>, or null with the reason when the message cannot be sent
    /// (no number, no sign name, no template for inline content).
    /// </summary>
    public SortedDictionary<string, string>? Parameters(OutboundMessage message, out string? refusal)
    {
        refusal = null;
        var phone = message.To.Trim();
        if (phone.Length == 0)
        {
            refusal = "no mobile number";
            return null;
        }
        var signName = message.SignName.Trim().Length > 0 ? message.SignName.Trim() : _account.SignName;
        if (signName.Length == 0)
        {
            refusal = "no SMS sign name: the template has no signName and MsgMate:Sms:SignName is empty";
            return null;
        }

        string templateCode, templateParam;
        var code = message.ProviderTemplateId.Trim().Length > 0 ? message.ProviderTemplateId.Trim() : _account.DefaultTemplateCode;
        if (code.Length > 0)
        {
            templateCode = code;
            templateParam = message.TemplateData is { Count: > 0 } data ? TemplateParam(data) : "";
        }
        else if (_account.ContentTemplateCode.Length > 0)
        {
            templateCode = _account.ContentTemplateCode;
            templateParam = TemplateParam(new Dictionary<string, string> { ["content"] = message.Body });
        }
        else
        {
            refusal = InlineRefusal;
            return null;
        }

        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccessKeyId"] = _account.AccessKeyId,
            ["Action"] = Action,
            ["Format"] = "JSON",
            ["PhoneNumbers"] = phone,
            ["RegionId"] = _account.RegionId,
            ["SignName"] = signName,
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureNonce"] = _nonce(),
            ["SignatureVersion"] = "1.0",
            ["TemplateCode"] = templateCode,
            ["Timestamp"] = AliyunRpcSignature.Timestamp(_clock.GetUtcNow()),
            ["Version"] = ApiVersion,
        };
        if (templateParam.Length > 0)
        {
            parameters["TemplateParam"] = templateParam;
        }
        if (message.MsgId.Length > 0)
        {
            parameters["OutId"] = message.MsgId;
        }
        return parameters;
    }

    /// <summary>The JSON object of string values that Aliyun's TemplateParam takes.</summary>
    public static string TemplateParam(IReadOnlyDictionary<string, string> values) => JsonSerializer.Serialize(values, TemplateJson);

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } when delta > TimeSpan.Zero => delta,
        { Date: { } date } when date > _clock.GetUtcNow() => date - _clock.GetUtcNow(),
        _ => null,
    };
}
