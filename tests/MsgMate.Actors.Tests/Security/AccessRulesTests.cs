using System.Net;
using MsgMate.Actors.Common;
using MsgMate.Actors.Security;

namespace MsgMate.Actors.Tests.Security;

public sealed class AccessRulesTests
{
    private const long Now = 1_800_000_000_000;

    private static readonly (string KeyId, string Key) Issued = ApiKeyToken.Generate();

    private static ApiKeyRecord Stored(ScopeSet scopes, long expiresAt = 0, long revokedAt = 0, string source = "billing") =>
        new(Issued.KeyId, source, scopes, "test", ApiKeyToken.Hash(Issued.Key), Now - 1000, "", expiresAt, revokedAt, "");

    private static readonly IReadOnlyList<LegacySource> Legacy = new AuthOptions
    {
        LegacySources =
        [
            new LegacySourceOptions { SourceId = "go-client", Scopes = ["send", "read"] },
            new LegacySourceOptions { SourceId = "", Scopes = ["users", "templates", "read"], Networks = ["10.1.0.0/16"] },
        ],
    }.Legacy;

    private static AccessDecision Decide(
        Scope needs, string? key = null, ApiKeyRecord? stored = null, string? source = null, string remote = "127.0.0.1",
        bool keys = true, bool malformed = false) =>
        AccessRules.Decide(new AccessRequest(new AccessRequirement.Needs(needs), key, malformed, stored, source, IPAddress.Parse(remote), Now), keys, Legacy);

    [Fact(DisplayName = "Keys mode: no key → 401 Unauthenticated; a public route needs none")]
    public void No_key_is_refused()
    {
        var d = Decide(Scope.Send);
        Assert.Equal((401, ResultCode.Unauthenticated), (d.Status, d.Code));
        var open = AccessRules.Decide(new AccessRequest(new AccessRequirement.Public(), null, false, null, null, IPAddress.Loopback, Now), true, Legacy);
        Assert.Equal(CallerKind.Anonymous, open.Caller!.Kind);
    }

    [Fact(DisplayName = "A key with the scope is let in as its source; admin holds every scope")]
    public void Right_key_is_allowed()
    {
        var d = Decide(Scope.Send, Issued.Key, Stored(ScopeSet.Of([Scope.Send])));
        Assert.Equal(new Caller(CallerKind.Key, Issued.KeyId, "billing", ScopeSet.Of([Scope.Send])), d.Caller);
        Assert.Equal("billing", d.Caller!.OwnSourceOnly);
        var admin = Decide(Scope.Users, Issued.Key, Stored(ScopeSet.Of([Scope.Admin])));
        Assert.NotNull(admin.Caller);
        Assert.Null(admin.Caller!.OwnSourceOnly);
    }

    [Theory(DisplayName = "Refusals: wrong secret, unknown id, revoked, expired → 401; missing scope, other Source-Id → 403")]
    [InlineData("wrong", 401)]
    [InlineData("unknown", 401)]
    [InlineData("revoked", 401)]
    [InlineData("expired", 401)]
    [InlineData("scope", 403)]
    [InlineData("source", 403)]
    [InlineData("malformed", 401)]
    public void Refusals(string why, int status)
    {
        var send = ScopeSet.Of([Scope.Send]);
        var d = why switch
        {
            "wrong" => Decide(Scope.Send, Issued.Key[..^1] + (Issued.Key[^1] == 'a' ? 'b' : 'a'), Stored(send)),
            "unknown" => Decide(Scope.Send, Issued.Key, null),
            "revoked" => Decide(Scope.Send, Issued.Key, Stored(send, revokedAt: Now - 1)),
            "expired" => Decide(Scope.Send, Issued.Key, Stored(send, expiresAt: Now)),
            "scope" => Decide(Scope.Users, Issued.Key, Stored(send)),
            "source" => Decide(Scope.Send, Issued.Key, Stored(send), source: "someone-else"),
            _ => Decide(Scope.Send, malformed: true),
        };
        Assert.Null(d.Caller);
        Assert.Equal(status, d.Status);
        Assert.Equal(status == 401 ? ResultCode.Unauthenticated : ResultCode.Forbidden, d.Code);
    }

    [Fact(DisplayName = "A rotated key works until the end of its grace period")]
    public void Rotated_key_works_within_grace()
    {
        Assert.NotNull(Decide(Scope.Send, Issued.Key, Stored(ScopeSet.Of([Scope.Send]), expiresAt: Now + 1)).Caller);
    }

    [Fact(DisplayName = "A Source-Id equal to the key's source is accepted")]
    public void Same_source_header_is_fine() =>
        Assert.NotNull(Decide(Scope.Send, Issued.Key, Stored(ScopeSet.Of([Scope.Send])), source: "billing").Caller);

    [Fact(DisplayName = "Legacy source: from its networks with its scopes; elsewhere 401; beyond its scopes 403")]
    public void Legacy_sources()
    {
        Assert.Equal(CallerKind.Legacy, Decide(Scope.Send, source: "go-client").Caller!.Kind);
        Assert.Equal(CallerKind.Legacy, Decide(Scope.Send, source: "go-client", remote: "::1").Caller!.Kind);
        Assert.Equal(CallerKind.Legacy, Decide(Scope.Send, source: "go-client", remote: "::ffff:127.0.0.1").Caller!.Kind);
        Assert.Equal(401, Decide(Scope.Send, source: "go-client", remote: "192.0.2.7").Status);
        Assert.Equal(403, Decide(Scope.Users, source: "go-client").Status);
        // The Go console sends no Source-Id: the entry with an empty source id, here from 10.1/16 only.
        Assert.Equal(CallerKind.Legacy, Decide(Scope.Users, remote: "10.1.2.3").Caller!.Kind);
        Assert.Equal(401, Decide(Scope.Users).Status);
        Assert.Equal(401, Decide(Scope.Send, source: "unknown-source").Status);
    }

    [Fact(DisplayName = "Open mode: no key is let in with every scope; a presented key is still checked")]
    public void Open_mode()
    {
        var d = Decide(Scope.Admin, keys: false, source: "anyone");
        Assert.Equal(new Caller(CallerKind.Open, "", "anyone", ScopeSet.All), d.Caller);
        Assert.Equal(401, Decide(Scope.Send, Issued.Key, null, keys: false).Status);
    }

    [Fact(DisplayName = "Keys: the generated form, its id, and a bootstrap key of any other form")]
    public void Key_form()
    {
        var (id, key) = ApiKeyToken.Generate();
        Assert.Matches("^mm_[0-9a-f]{12}\\.[A-Za-z0-9_-]{43}$", key);
        Assert.Equal(id, ApiKeyToken.KeyIdOf(key));
        Assert.Equal(ApiKeyToken.BootstrapKeyId, ApiKeyToken.KeyIdOf("an-operator-chosen-secret-of-enough-length"));
        Assert.True(ApiKeyToken.Matches(key, ApiKeyToken.Hash(key)));
        Assert.False(ApiKeyToken.Matches(key + "x", ApiKeyToken.Hash(key)));
        Assert.NotEqual(key, ApiKeyToken.Generate().Key);
    }

    [Fact(DisplayName = "Scopes: parsed by name, stored as a list, unknown names refused (and dropped when read back)")]
    public void Scope_sets()
    {
        Assert.True(ScopeSet.TryParse(["send", "read"], out var set, out _));
        Assert.Equal("send,read", set.ToString());
        Assert.Equal(set, ScopeSet.FromStored("send,read,later-scope"));
        Assert.False(ScopeSet.TryParse(["send", "root"], out _, out var unknown));
        Assert.Equal("root", unknown);
        Assert.True(ScopeSet.Of([Scope.Admin]).Allows(Scope.Templates));
        Assert.False(set.Allows(Scope.Admin));
    }

    [Theory(DisplayName = "Auth settings are checked at start")]
    [InlineData("mode")]
    [InlineData("short-bootstrap")]
    [InlineData("scope")]
    [InlineData("admin-legacy")]
    [InlineData("network")]
    public void Settings_problems(string what)
    {
        var options = what switch
        {
            "mode" => new AuthOptions { Mode = "closed" },
            "short-bootstrap" => new AuthOptions { BootstrapAdminKey = "short" },
            "scope" => new AuthOptions { LegacySources = [new() { SourceId = "x", Scopes = ["sudo"] }] },
            "admin-legacy" => new AuthOptions { LegacySources = [new() { SourceId = "x", Scopes = ["admin"] }] },
            _ => new AuthOptions { LegacySources = [new() { SourceId = "x", Scopes = ["send"], Networks = ["10.0.0.0/99"] }] },
        };
        Assert.NotNull(options.Problem());
        Assert.Null(new AuthOptions { Mode = "keys", BootstrapAdminKey = new string('k', 32) }.Problem());
    }
}
