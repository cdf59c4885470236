using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MsgMate.Actors.Common;
using MsgMate.Http.Infrastructure;
using MsgMate.Integration.Tests.Infrastructure;

namespace MsgMate.Integration.Tests;

/// <summary>
/// An error message quotes at most 200 characters of the input (with an ellipsis and the original length): a 70 KB
/// id comes back as a short msg, with the code and status the id deserves.
/// </summary>
public sealed class BoundedErrorTests(SqliteNode fixture) : IClassFixture<SqliteNode>
{
    private const int MaxMsg = 300;

    private static readonly string Huge = new('x', 70_000);

    private NodeHost Node => fixture.Node;

    private static Answer Bounded(Answer answer, int code, int status)
    {
        answer.ShouldFail(code, status);
        Assert.True(answer.Msg.Length <= MaxMsg, $"msg of {answer.Msg.Length} characters: {answer.Msg[..Math.Min(400, answer.Msg.Length)]}…");
        return answer;
    }

    public static TheoryData<string, string, int, int> HugeBodies() => new()
    {
        // Ids longer than any issued (64) are refused before they are looked up.
        { "/msg/send_msg", $$"""{"to":"a@example.com","templateID":"{{Huge}}"}""", 8020, 400 },
        { "/msg/send_msg", $$"""{"user_ids":["{{Huge}}"],"content":"x","channels":[1]}""", 8020, 400 },
        { "/msg/send_msg", """{"to":"a@example.com","content":"x","channels":[1],"templateData":{""" + $"\"{Huge}\"" + """:{"a":1}}}""", 8020, 400 },
        { "/msg/send_msg", $$$"""{"to":"a@example.com","content":"Hi {{{{{Huge[..5000]}}}}}","channels":[1]}""", 8020, 400 },
        { "/msg/cancel", $$"""{"msgID":"{{Huge}}"}""", 8020, 400 },
        { "/msg/resend", $$"""{"msgID":"{{Huge}}"}""", 8020, 400 },
        { "/msg/resend", $$"""{"batchID":"{{Huge}}"}""", 8020, 400 },
        { "/msg/create_template", $$$"""{"sourceID":"s","name":"n","channel":1,"content":"Hi {{{{{Huge[..5000]}}}}}"}""", 8020, 400 },
        { "/msg/update_template", $$"""{"templateID":"{{Huge}}","name":"x"}""", 8020, 400 },
        { "/msg/del_template", $$"""{"templateID":"{{Huge}}"}""", 8020, 400 },
        { "/user/create", $$"""{"user_id":"{{Huge}}","name":"x"}""", 8020, 400 },
        { "/user/delete", $$"""{"user_id":"{{Huge}}"}""", 8020, 400 },
        { "/scheduled/update", $$"""{"schedule_id":"{{Huge}}","scheduled_time":"2035-01-01 10:00:00"}""", 8020, 400 },
        { "/scheduled/update", $$"""{"schedule_id":"{{Huge}}","subject":"x"}""", 8020, 400 },
        { "/scheduled/cancel", $$"""{"schedule_id":"{{Huge}}"}""", 8020, 400 },
        { "/scheduled/pause", $$"""{"schedule_id":"{{Huge}}"}""", 8020, 400 },
        { "/scheduled/create", $$"""{"to":"a@example.com","channels":[1],"content":"x","cron":"{{Huge}}"}""", 8020, 400 },
        { "/scheduled/create", $$"""{"to":"a@example.com","channels":[1],"content":"x","cron":"* * * * *","time_zone":"{{Huge}}"}""", 8020, 400 },
        { "/scheduled/create", $$"""{"to":"a@example.com","template_id":"{{Huge}}","scheduled_time":"2035-01-01 10:00:00"}""", 8020, 400 },
        { "/user/create", $$"""{"{{Huge}}": }""", 8021, 400 },
    };

    [Theory(DisplayName = "A 70 KB id or value in a POST body: the right code and status, and a msg of at most ~300 characters")]
    [MemberData(nameof(HugeBodies))]
    public async Task Huge_input_in_body(string route, string body, int code, int status) =>
        Bounded(await Node.PostRawAsync(route, body), code, status);

    [Fact(DisplayName = "The quoted input shows its first 200 characters, an ellipsis and the original length")]
    public async Task Quote_shape()
    {
        var id = "t" + new string('y', 69_999);
        var msg = Bounded(await Node.PostAsync("/msg/send_msg", new { user_ids = new[] { id }, content = "x", channels = new[] { 1 } }), 8020, 400).Msg;
        Assert.Equal($"user_ids: '{id[..200]}… (70000 characters)' is not a valid user id", msg);

        var user = Bounded(await Node.PostAsync("/user/update", new { user_id = "u_bounded", clear_fields = new[] { Huge } }), 9002, 404).Msg;
        Assert.Equal("user u_bounded not found", user);
    }

    [Fact(DisplayName = "clear_fields with a 70 KB name: 8020/400 and a bounded msg")]
    public async Task Huge_clear_field()
    {
        var id = $"u_{Guid.NewGuid():N}"[..20];
        (await Node.PostAsync("/user/create", new { user_id = id, name = "x" })).ShouldSucceed();
        var msg = Bounded(await Node.PostAsync("/user/update", new { user_id = id, clear_fields = new[] { Huge } }), 8020, 400).Msg;
        Assert.Contains("(70000 characters)", msg);
    }

    [Fact(DisplayName = "A 70 KB templateID in a form body: 8020/400 and a bounded msg")]
    public async Task Huge_input_in_form() =>
        Bounded(await Node.PostRawAsync("/msg/send_msg", $"to=a@example.com&templateID={Huge}", "application/x-www-form-urlencoded"), 8020, 400);

    [Theory(DisplayName = "A 70 KB id in a GET query is over the request-line limit: 414 with code 8020 and a bounded msg")]
    [InlineData("/user/get?user_id=")]
    [InlineData("/msg/get_template?templateID=")]
    [InlineData("/msg/get_msg_record?msgID=")]
    [InlineData("/scheduled/get?schedule_id=")]
    public async Task Huge_id_in_get(string route) =>
        Bounded(await Node.GetAsync(route + Huge), 8020, 414);

    [Theory(DisplayName = "A 6 KB id in a GET query (under the request-line limit): 8020/400 and a bounded msg")]
    [InlineData("/user/get?user_id=")]
    [InlineData("/msg/get_template?templateID=")]
    [InlineData("/msg/get_msg_record?msgID=")]
    [InlineData("/scheduled/get?schedule_id=")]
    [InlineData("/msg/list_msg_records?status=")]
    [InlineData("/user/list?page=")]
    public async Task Long_id_in_get(string route) =>
        Bounded(await Node.GetAsync(route + Huge[..6000]), 8020, 400);

    [Fact(DisplayName = "The fallback route quotes a 6 KB path bounded: 404 with a short msg")]
    public async Task Long_unknown_path() =>
        Bounded(await Node.GetAsync("/" + Huge[..6000]), 8020, 404);

    [Fact(DisplayName = "InputText.Quote: short input as is, long input cut at 200 with the length, never inside a surrogate pair")]
    public void Quote_helper()
    {
        Assert.Equal("abc", InputText.Quote("abc"));
        Assert.Equal("", InputText.Quote(null));
        Assert.Equal(new string('a', 200), InputText.Quote(new string('a', 200)));
        Assert.Equal(new string('a', 200) + "… (201 characters)", InputText.Quote(new string('a', 201)));
        var emoji = new string('a', 199) + "😀" + "tail";
        Assert.Equal(new string('a', 199) + $"… ({emoji.Length} characters)", InputText.Quote(emoji));
        Assert.Equal("a, b… (7 characters)", InputText.QuoteAll(["a", "b", "c"], 4));
    }

    [Fact(DisplayName = "The envelope caps any msg, even one that does not quote through InputText")]
    public async Task Envelope_cap()
    {
        var ctx = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider(),
            Response = { Body = new MemoryStream() },
        };
        await Api.Error(ResultCode.InvalidArgument, new string('m', 5000)).ExecuteAsync(ctx);
        ctx.Response.Body.Position = 0;
        using var doc = await JsonDocument.ParseAsync(ctx.Response.Body);
        var msg = doc.RootElement.GetProperty("msg").GetString()!;
        Assert.Equal(400, ctx.Response.StatusCode);
        Assert.Equal(8020, doc.RootElement.GetProperty("code").GetInt32());
        Assert.Equal(new string('m', Api.MaxErrorMessageLength) + "… (5000 characters)", msg);
    }
}
