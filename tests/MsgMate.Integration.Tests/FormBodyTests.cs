using System.Text;
using System.Text.Json;
using MsgMate.Http.Infrastructure;
using MsgMate.Http.Messages;
using MsgMate.Http.Schedules;
using MsgMate.Http.Users;

namespace MsgMate.Integration.Tests;

/// <summary>The form → JSON conversion on its own: decoding, and the JSON each request contract gets from a form.</summary>
public sealed class FormBodyTests
{
    private static List<FormBody.Field> Parse(string body)
    {
        var (fields, error) = FormBody.ParseUrlEncoded(Encoding.UTF8.GetBytes(body));
        Assert.True(error is null, error);
        return fields!;
    }

    private static string? ParseError(byte[] body) => FormBody.ParseUrlEncoded(body).Error;

    /// <summary>The JSON text a form stands for as a <typeparamref name="T"/>.</summary>
    private static string Json<T>(string form)
    {
        var (json, error) = FormBody.ToJson(Parse(form), Api.RequestJson.GetTypeInfo(typeof(T)));
        Assert.True(error is null, error);
        return Encoding.UTF8.GetString(json!);
    }

    private static string? ShapeError<T>(string form) => FormBody.ToJson(Parse(form), Api.RequestJson.GetTypeInfo(typeof(T))).Error;

    [Fact(DisplayName = "Decoding: + is a space, %XX escapes decode as UTF-8, raw UTF-8 passes, key order is kept")]
    public void Decoding()
    {
        Assert.Equal(
            new FormBody.Field[] { new("name", "Ann Lee"), new("city", "北京"), new("a&b", "x=y"), new("raw", "张三") },
            Parse("name=Ann+Lee&city=%E5%8C%97%E4%BA%AC&a%26b=x%3Dy&raw=张三"));
    }

    [Fact(DisplayName = "Decoding: empty segments are skipped, a key without = has an empty value, an empty key is dropped")]
    public void Empty_parts()
    {
        Assert.Equal(new FormBody.Field[] { new("a", "1"), new("flag", ""), new("b", "") }, Parse("&a=1&&flag&b=&=orphan&"));
        Assert.Empty(Parse("&&&"));
    }

    [Theory(DisplayName = "Decoding: a broken percent-escape is a malformed body with a clear message")]
    [InlineData("name=%zz")]
    [InlineData("name=%4")]
    [InlineData("name=100%")]
    [InlineData("na%gme=x")]
    public void Bad_escape(string body)
    {
        var error = ParseError(Encoding.ASCII.GetBytes(body));
        Assert.NotNull(error);
        Assert.Contains("percent-encoding", error);
    }

    [Fact(DisplayName = "Decoding: percent-escapes that are not UTF-8 are a malformed body")]
    public void Escapes_not_utf8()
    {
        var error = ParseError(Encoding.ASCII.GetBytes("name=%C3%28&x=1"));
        Assert.NotNull(error);
        Assert.Contains("not valid UTF-8", error);
    }

    [Fact(DisplayName = "send_msg: to once is a string, templateData[k] an object of strings, numbers are numbers, a list a one-element array")]
    public void Send_single_values()
    {
        Assert.Equal(
            """{"to":"a@example.com","templateID":"t1","templateData":{"name":"x","code":"4711"},"priority":3,"channels":[1],"sendTimestamp":1700000000}""",
            Json<SendMsgRequest>("to=a@example.com&templateID=t1&templateData[name]=x&templateData[code]=4711&priority=3&channels=1&sendTimestamp=1700000000"));
    }

    [Fact(DisplayName = "send_msg: repeated keys and k[] are arrays, in body order, for to and for list fields")]
    public void Send_arrays()
    {
        Assert.Equal(
            """{"to":["a@example.com","b@example.com"],"user_ids":["u1","u2","u3"],"channels":[1,2]}""",
            Json<SendMsgRequest>("to=a@example.com&user_ids[]=u1&to=b@example.com&user_ids[]=u2&user_ids=u3&channels[]=1&channels[]=2"));
        Assert.Equal("""{"to":["a@example.com"]}""", Json<SendMsgRequest>("to[]=a@example.com"));
    }

    [Fact(DisplayName = "Names match case-insensitively and take the contract's spelling; unknown names are ignored")]
    public void Names()
    {
        Assert.Equal("""{"to":"a@example.com","templateID":"t","templateData":{"Name":"x"}}""",
            Json<SendMsgRequest>("TO=a@example.com&templateid=t&TemplateData[Name]=x&unknown=1&other[a]=2&weird[a][b]=3"));
    }

    [Fact(DisplayName = "Text that is not a number (or boolean) stays a string, so the deserializer reports the wrong type as for JSON")]
    public void Not_a_number()
    {
        Assert.Equal("""{"priority":"high","sendTimestamp":"soon","channels":["email",1]}""",
            Json<SendMsgRequest>("priority=high&sendTimestamp=soon&channels=email&channels=1"));
        Assert.Equal("""{"priority":1.5}""", Json<SendMsgRequest>("priority=1.5"));
        Assert.Equal("""{"priority":99999999999}""", Json<SendMsgRequest>("priority=99999999999"));
        Assert.Equal("""{"priority":"NaN"}""", Json<SendMsgRequest>("priority=NaN"));
        Assert.Equal("""{"priority":" 1"}""", Json<SendMsgRequest>("priority=+1"));
    }

    [Fact(DisplayName = "An empty value: a string stays \"\", a number or map is absent, a list whose values are all empty is []")]
    public void Empty_values()
    {
        Assert.Equal("""{"subject":"","user_ids":[],"tags":[]}""",
            Json<SendMsgRequest>("subject=&priority=&templateData=&user_ids=&tags[]="));
        Assert.Equal("""{"tags":["a",""]}""", Json<CreateUserRequest>("tags=a&tags="));
    }

    [Fact(DisplayName = "A single-valued field given twice, with [], or with [key] becomes an array or object: the wrong type, as in JSON")]
    public void Wrong_shapes()
    {
        Assert.Equal("""{"name":["a","b"]}""", Json<CreateUserRequest>("name=a&name=b"));
        Assert.Equal("""{"name":["a"]}""", Json<CreateUserRequest>("name[]=a"));
        Assert.Equal("""{"user_id":{"x":"a"}}""", Json<CreateUserRequest>("user_id[x]=a"));
        Assert.Equal("""{"tags":{"a":"x"}}""", Json<CreateUserRequest>("tags[a]=x"));
        Assert.Equal("""{"templateData":"x"}""", Json<SendMsgRequest>("templateData=x"));
        Assert.Equal("""{"templateData":{"a":["1","2"]}}""", Json<SendMsgRequest>("templateData[a]=1&templateData[a]=2"));
    }

    [Fact(DisplayName = "Booleans take Go's ParseBool spellings; other text stays a string")]
    public void Booleans()
    {
        Assert.Equal("""{"once":true}""", Json<UpdateScheduleRequest>("once=true"));
        Assert.Equal("""{"once":true}""", Json<UpdateScheduleRequest>("once=1"));
        Assert.Equal("""{"once":false}""", Json<UpdateScheduleRequest>("once=FALSE"));
        Assert.Equal("""{"once":"maybe"}""", Json<UpdateScheduleRequest>("once=maybe"));
        Assert.Equal("{}", Json<UpdateScheduleRequest>("once="));
    }

    [Fact(DisplayName = "Schedules: template_data map, interval_seconds and max_count numbers")]
    public void Schedule_fields()
    {
        Assert.Equal("""{"to":"a@example.com","template_data":{"k":"v w"},"interval_seconds":60,"max_count":3}""",
            Json<CreateScheduleRequest>("to=a@example.com&template_data[k]=v+w&interval_seconds=60&max_count=3"));
    }

    [Theory(DisplayName = "A known field as name[a][b], name[a or with both name[key] and plain values is refused (8020) with a message")]
    [InlineData("templateData[a][b]=x", "templateData[a][b]")]
    [InlineData("templateData[a=x", "templateData[a")]
    [InlineData("to]=x&to[=y", "to[")]
    [InlineData("templateData[a]=x&templateData=y", "templateData")]
    [InlineData("tags[]=x&tags[a]=y", "tags")]
    public void Refused_keys(string form, string named)
    {
        var error = ShapeError<SendMsgRequest>(form);
        Assert.NotNull(error);
        Assert.Contains(named, error);
    }

    [Fact(DisplayName = "A body labelled as a form that starts with { or [ is JSON (curl -d '{…}'); a form is not")]
    public void Looks_like_json()
    {
        Assert.True(FormBody.LooksLikeJson("""  {"to":"a"}"""u8));
        Assert.True(FormBody.LooksLikeJson("\n[1]"u8));
        Assert.False(FormBody.LooksLikeJson("to=%7B"u8));
        Assert.False(FormBody.LooksLikeJson("   "u8));
    }

    [Theory(DisplayName = "The content types that are forms; everything else is read as JSON")]
    [InlineData("application/x-www-form-urlencoded", FormBody.FormEncoding.UrlEncoded)]
    [InlineData("Application/X-WWW-Form-UrlEncoded; charset=UTF-8", FormBody.FormEncoding.UrlEncoded)]
    [InlineData("multipart/form-data; boundary=xyz", FormBody.FormEncoding.Multipart)]
    [InlineData("application/json", null)]
    [InlineData("text/plain", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("not a media type", null)]
    public void Content_types(string? contentType, FormBody.FormEncoding? expected) =>
        Assert.Equal(expected, FormBody.EncodingOf(contentType));

    [Fact(DisplayName = "Multipart: form-data parts are fields in order, file parts are skipped")]
    public async Task Multipart()
    {
        const string body = "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@example.com\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\u0001\u0002\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"templateData[name]\"\r\n\r\n张三\r\n--b--\r\n";
        var (fields, error) = await FormBody.ParseMultipartAsync(Encoding.UTF8.GetBytes(body), "multipart/form-data; boundary=b", CancellationToken.None);
        Assert.Null(error);
        Assert.Equal(new FormBody.Field[] { new("to", "a@example.com"), new("templateData[name]", "张三") }, fields!);
    }

    [Fact(DisplayName = "Multipart: no boundary or a broken body is a malformed body")]
    public async Task Multipart_malformed()
    {
        Assert.NotNull((await FormBody.ParseMultipartAsync("x"u8.ToArray(), "multipart/form-data", CancellationToken.None)).Error);
        Assert.NotNull((await FormBody.ParseMultipartAsync("--b\r\nno headers end"u8.ToArray(), "multipart/form-data; boundary=b", CancellationToken.None)).Error);
    }

    [Fact(DisplayName = "The JSON a form makes deserializes into the contract as the same JSON would")]
    public void Round_trip()
    {
        var (json, _) = FormBody.ToJson(Parse("to=a@example.com&to=b@example.com&templateData[name]=x&priority=2"),
            Api.RequestJson.GetTypeInfo(typeof(SendMsgRequest)));
        var request = JsonSerializer.Deserialize<SendMsgRequest>(json, Api.RequestJson)!;
        Assert.Equal(["a@example.com", "b@example.com"], SendFields.ParseTo(request.To).To.ToArray());
        Assert.Equal("x", SendFields.ParseTemplateData(request.TemplateData).Data["name"]);
        Assert.Equal(2, request.Priority);
    }
}
