using MsgMate.Actors.Channels.Sms;

namespace MsgMate.Channels.Tests.Sms;

public sealed class AliyunRpcSignatureTests
{
    /// <summary>Aliyun SMS doc 56189 ("HTTP协议及签名"), the published SendSms example.</summary>
    private static readonly Dictionary<string, string> PublishedSendSms = new()
    {
        ["AccessKeyId"] = "testId",
        ["Action"] = "SendSms",
        ["Format"] = "XML",
        ["OutId"] = "123",
        ["PhoneNumbers"] = "15300000001",
        ["RegionId"] = "cn-hangzhou",
        ["SignName"] = "阿里云短信测试专用",
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        ["SignatureVersion"] = "1.0",
        ["TemplateCode"] = "SMS_71390007",
        ["TemplateParam"] = "{\"customer\":\"test\"}",
        ["Timestamp"] = "2017-07-12T02:42:19Z",
        ["Version"] = "2017-05-25",
    };

    [Fact(DisplayName = "Aliyun's published SendSms example: canonical string, StringToSign and signature zJDF+Lrzhj/ThnlvIToysFRq6t4= (GET, testId/testSecret)")]
    public void Published_sendsms_vector()
    {
        // Shuffled: the order given must not matter.
        var parameters = PublishedSendSms.Reverse().ToList();

        Assert.Equal(
            "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25",
            AliyunRpcSignature.CanonicalQuery(parameters));
        Assert.Equal(
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25",
            AliyunRpcSignature.StringToSign("GET", parameters));
        Assert.Equal("zJDF+Lrzhj/ThnlvIToysFRq6t4=", AliyunRpcSignature.Sign("GET", parameters, "testSecret"));
        Assert.Equal("zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D", AliyunRpcSignature.PercentEncode("zJDF+Lrzhj/ThnlvIToysFRq6t4="));
    }

    [Fact(DisplayName = "The key is case-sensitive and a Signature parameter is not signed")]
    public void Key_case_and_signature_excluded()
    {
        Assert.NotEqual("zJDF+Lrzhj/ThnlvIToysFRq6t4=", AliyunRpcSignature.Sign("GET", PublishedSendSms, "testsecret"));

        var withSignature = new Dictionary<string, string>(PublishedSendSms) { ["Signature"] = "anything" };
        Assert.Equal("zJDF+Lrzhj/ThnlvIToysFRq6t4=", AliyunRpcSignature.Sign("GET", withSignature, "testSecret"));
    }

    [Fact(DisplayName = "The same inputs signed for POST (what the provider sends) give Xvhv7fPXrPkLVSnlt0jIr08o8NQ= (computed with Python's hmac, not vendor-published)")]
    public void Post_vector()
    {
        Assert.Equal("Xvhv7fPXrPkLVSnlt0jIr08o8NQ=", AliyunRpcSignature.Sign("POST", PublishedSendSms, "testSecret"));
        Assert.StartsWith("POST&%2F&AccessKeyId%3DtestId%26", AliyunRpcSignature.StringToSign("POST", PublishedSendSms));
    }

    [Fact(DisplayName = "Aliyun's generic signing example (ECS DescribeRegions, testid/testsecret, old TimeStamp spelling) gives CT9X0VtwR86fNWSnsc6v8YGOjuE=")]
    public void Published_generic_vector()
    {
        var parameters = new Dictionary<string, string>
        {
            ["TimeStamp"] = "2016-02-23T12:46:24Z",
            ["Version"] = "2014-05-26",
            ["AccessKeyId"] = "testid",
            ["Action"] = "DescribeRegions",
            ["Format"] = "XML",
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureNonce"] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
            ["SignatureVersion"] = "1.0",
        };

        Assert.Equal(
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
            AliyunRpcSignature.StringToSign("GET", parameters));
        Assert.Equal("CT9X0VtwR86fNWSnsc6v8YGOjuE=", AliyunRpcSignature.Sign("GET", parameters, "testsecret"));
    }

    [Theory(DisplayName = "Percent-encoding is RFC 3986 over UTF-8: unreserved kept, space %20, * %2A, + %2B, upper-case hex")]
    [InlineData("AZaz09-_.~", "AZaz09-_.~")]
    [InlineData("a b", "a%20b")]
    [InlineData("*", "%2A")]
    [InlineData("+", "%2B")]
    [InlineData("/=&%", "%2F%3D%26%25")]
    [InlineData("{\"k\":\"v\"}", "%7B%22k%22%3A%22v%22%7D")]
    [InlineData("中", "%E4%B8%AD")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("\n", "%0A")]
    public void Percent_encoding(string value, string expected) =>
        Assert.Equal(expected, AliyunRpcSignature.PercentEncode(value));

    [Fact(DisplayName = "Timestamp is ISO 8601 UTC without fractions, converted from any offset")]
    public void Timestamp_format()
    {
        Assert.Equal("2017-07-12T02:42:19Z", AliyunRpcSignature.Timestamp(new DateTimeOffset(2017, 7, 12, 10, 42, 19, 987, TimeSpan.FromHours(8))));
        Assert.Equal("2024-01-02T03:04:05Z", AliyunRpcSignature.Timestamp(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)));
    }
}
