using MsgMate.Actors.Common;

namespace MsgMate.Actors.Tests.Common;

public class PersonalDataTests
{
    [Theory(DisplayName = "Phone numbers keep their first 3 and last 4 digits (5 after a country code); short ones keep less")]
    [InlineData("13812348000", "138****8000")]
    [InlineData("+8613812348000", "+86138****8000")]
    [InlineData("+14155550123", "+141****0123")]
    [InlineData("12345678", "12****78")]
    [InlineData("12345", "1****")]
    public void Phones(string phone, string masked)
    {
        Assert.Equal(masked, PersonalData.Mask(phone));
        Assert.Equal(masked, PersonalData.Mask(Channel.Sms, phone));
    }

    [Theory(DisplayName = "Emails keep the first character and the domain")]
    [InlineData("alice@example.com", "a***@example.com")]
    [InlineData("a@example.com", "a***@example.com")]
    [InlineData("Zhang.San+tag@mail.example.cn", "Z***@mail.example.cn")]
    public void Emails(string email, string masked)
    {
        Assert.Equal(masked, PersonalData.Mask(email));
        Assert.Equal(masked, PersonalData.Mask(Channel.Email, email));
    }

    [Theory(DisplayName = "Lark, DingTalk and WeCom ids keep a short prefix, never the whole id")]
    [InlineData(Channel.Lark, "ou_1234567890abcdef", "ou_1***")]
    [InlineData(Channel.DingTalk, "manager4220", "mana***")]
    [InlineData(Channel.WeCom, "zhangsan", "zh***")]
    [InlineData(Channel.WeCom, "wx1", "***")]
    // A numeric DingTalk userid stays an id on its channel (by shape alone it would pass for a phone number).
    [InlineData(Channel.DingTalk, "0123456789012", "0123***")]
    public void Ids(Channel channel, string id, string masked) => Assert.Equal(masked, PersonalData.Mask(channel, id));

    [Theory(DisplayName = "URLs keep scheme, host and a non-default port: paths and queries carry tokens")]
    [InlineData("https://oapi.dingtalk.com/robot/send?access_token=abc123", "https://oapi.dingtalk.com/***")]
    [InlineData("http://user:pw@127.0.0.1:8080/hooks/T000/B000/XXXX", "http://127.0.0.1:8080/***")]
    public void Urls(string url, string masked)
    {
        Assert.Equal(masked, PersonalData.Mask(url));
        Assert.Equal(masked, PersonalData.Mask(Channel.Webhook, url));
        Assert.Equal(masked, PersonalData.Mask(Channel.DingTalk, url));
    }

    [Theory(DisplayName = "Every mask is idempotent, and a masked address is recognised as one")]
    [InlineData("13812348000")]
    [InlineData("+8613812348000")]
    [InlineData("alice@example.com")]
    [InlineData("ou_1234567890abcdef")]
    [InlineData("https://hooks.example.com/x?token=1")]
    public void Idempotent(string address)
    {
        var once = PersonalData.Mask(address);
        Assert.NotEqual(address, once);
        Assert.Equal(once, PersonalData.Mask(once));
        Assert.Equal(once, PersonalData.Scrub(once));
        Assert.True(PersonalData.IsMasked(once));
        Assert.False(PersonalData.IsMasked(address));
    }

    [Fact(DisplayName = "Empty addresses stay empty")]
    public void Empty()
    {
        Assert.Equal("", PersonalData.Mask(null));
        Assert.Equal("", PersonalData.Mask(Channel.Email, " "));
        Assert.Equal("", PersonalData.Scrub(null));
    }

    [Fact(DisplayName = "Scrub: secrets removed, the recipient masked in any shape, other emails, URLs and long digit runs masked")]
    public void Scrub()
    {
        var text = PersonalData.Scrub(
            "550 5.1.1 <bob@corp.cn>: unknown; to ou_abcdefgh12345 via https://h.example.com/send?key=K1 with tok-SECRET-9,\r\n"
            + "number 13812348000 and +8613812348000, code 1234, id ab12345678",
            "ou_abcdefgh12345", "tok-SECRET-9", "abc");

        Assert.Equal(
            "550 5.1.1 <b***@corp.cn>: unknown; to ou_a*** via https://h.example.com/*** with ***, "
            + "number 138****8000 and +86138****8000, code 1234, id ab12345678",
            text);
    }

    [Fact(DisplayName = "Scrub keeps texts to 200 characters (or the limit given) on one line")]
    public void Scrub_is_bounded()
    {
        Assert.Equal(201, PersonalData.Scrub(new string('x', 1000)).Length);
        Assert.Equal(1001, PersonalData.Scrub(new string('x', 5000), 1000, null).Length);
        Assert.DoesNotContain('\n', PersonalData.Scrub("a\nb\r\nc"));
    }

    [Fact(DisplayName = "Describe: an exception and its inner one, every line scrubbed")]
    public void Describe()
    {
        var error = new InvalidOperationException("outer for alice@example.com", new ArgumentException("inner 13812348000"));

        var text = PersonalData.Describe(error, "alice@example.com");

        Assert.Contains("outer for a***@example.com", text);
        Assert.Contains("inner 138****8000", text);
        Assert.DoesNotContain("alice@", text);
        Assert.DoesNotContain("13812348000", text);
    }

    [Fact(DisplayName = "A profile, a patch, an outbound message and a record print their addresses masked")]
    public void Records_print_masked()
    {
        var profile = new MsgMate.Actors.Users.UserProfile("Alice", "Al", "13812348000", "alice@example.com", "ou_1234567890", "dd_1234567890", "wx_1234567890");
        var patch = new MsgMate.Actors.Users.UserPatch(Mobile: "13812348000", Email: "alice@example.com");
        var message = new MsgMate.Actors.Channels.OutboundMessage("m1", Channel.Email, "alice@example.com", "Hi Alice", "Body", false);
        var record = new MsgMate.Actors.Delivery.MessageRecord
        {
            MsgId = "m1", BatchId = "b1", To = "13812348000", Channel = 2, Priority = 2, Status = 1, Body = "Hi Alice",
        };

        foreach (var printed in new[] { profile.ToString(), patch.ToString(), message.ToString(), record.ToString() })
        {
            Assert.DoesNotContain("13812348000", printed);
            Assert.DoesNotContain("alice@", printed);
            Assert.DoesNotContain("Alice", printed);
        }
        Assert.Contains("138****8000", profile.ToString());
        Assert.Contains("a***@example.com", message.ToString());
    }
}
