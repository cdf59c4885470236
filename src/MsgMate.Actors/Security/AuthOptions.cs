using System.Net;

namespace MsgMate.Actors.Security;

/// <summary>Who may call the API. Bound from <c>MsgMate:Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// <c>open</c> (the embedded default: no key needed, a loud warning at start and in /readyz) or <c>keys</c>
    /// (production: every route but /healthz, /readyz, /metrics and the OpenAPI document needs a key or a legacy source).
    /// </summary>
    public string Mode { get; set; } = "open";

    /// <summary>The first admin key, given by the operator (32+ characters); stored hashed under the id <c>bootstrap</c>.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>A file holding the first admin key (a mounted secret); read when <see cref="BootstrapAdminKey"/> is empty.</summary>
    public string? BootstrapAdminKeyFile { get; set; }

    /// <summary>The source id of the bootstrap (and of a generated first) admin key.</summary>
    public string BootstrapSourceId { get; set; } = "admin";

    /// <summary>Source ids accepted without a key (Go clients, the Go console), each from its networks only.</summary>
    public LegacySourceOptions[] LegacySources { get; set; } = [];

    /// <summary>After a rotation, how long the old key keeps working beside the new one.</summary>
    public TimeSpan RotationGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a node trusts what it read of a key: a revocation on another node holds there within this.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    public bool KeysRequired => Mode.Trim().Equals("keys", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first problem of these settings, or null. Checked at start: a node with a wrong setting does not start.</summary>
    public string? Problem()
    {
        if (!Mode.Trim().Equals("open", StringComparison.OrdinalIgnoreCase) && !KeysRequired)
        {
            return $"MsgMate:Auth:Mode must be 'open' or 'keys', not '{Mode}'";
        }
        var bootstrap = BootstrapKey();
        if (bootstrap is not null && bootstrap.Length < ApiKeyToken.MinimumBootstrapLength)
        {
            return $"MsgMate:Auth:BootstrapAdminKey must have at least {ApiKeyToken.MinimumBootstrapLength} characters";
        }
        for (var i = 0; i < LegacySources.Length; i++)
        {
            var legacy = LegacySources[i];
            if (!ScopeSet.TryParse(legacy.Scopes, out var scopes, out var unknown))
            {
                return $"MsgMate:Auth:LegacySources:{i}:Scopes: unknown scope '{unknown}' ({ScopeSet.AllNames})";
            }
            if (scopes.IsAdmin)
            {
                return $"MsgMate:Auth:LegacySources:{i}: a source without a key cannot hold the admin scope";
            }
            foreach (var network in legacy.Networks)
            {
                if (!IPNetwork.TryParse(network, out _))
                {
                    return $"MsgMate:Auth:LegacySources:{i}:Networks: '{network}' is not a CIDR network";
                }
            }
        }
        return null;
    }

    /// <summary>The bootstrap key from the setting or its file, trimmed; null when neither is given.</summary>
    public string? BootstrapKey()
    {
        if (!string.IsNullOrWhiteSpace(BootstrapAdminKey))
        {
            return BootstrapAdminKey.Trim();
        }
        return string.IsNullOrWhiteSpace(BootstrapAdminKeyFile) ? null : File.ReadAllText(BootstrapAdminKeyFile).Trim();
    }

    private IReadOnlyList<LegacySource>? _legacy;

    /// <summary>The legacy sources, parsed once (settings do not change while a node runs).</summary>
    public IReadOnlyList<LegacySource> Legacy => _legacy ??= ParseLegacy();

    private IReadOnlyList<LegacySource> ParseLegacy() =>
        [.. LegacySources.Select(l => new LegacySource(
            l.SourceId.Trim(),
            ScopeSet.TryParse(l.Scopes, out var scopes, out _) ? scopes : ScopeSet.None,
            [.. (l.Networks.Length == 0 ? LegacySourceOptions.Loopback : l.Networks).Select(n => IPNetwork.Parse(n))]))];
}

/// <summary>One legacy source in configuration.</summary>
public sealed class LegacySourceOptions
{
    public static readonly string[] Loopback = ["127.0.0.0/8", "::1/128"];

    /// <summary>The <c>Source-Id</c> header's value; empty matches a request without the header (the Go console).</summary>
    public string SourceId { get; set; } = "";

    public string[] Scopes { get; set; } = [];

    /// <summary>CIDR networks the source may call from; none given: loopback only.</summary>
    public string[] Networks { get; set; } = [];
}

/// <summary>A legacy source, parsed.</summary>
public sealed record LegacySource(string SourceId, ScopeSet Scopes, IReadOnlyList<IPNetwork> Networks)
{
    public bool AllowsFrom(IPAddress? remote)
    {
        if (remote is null)
        {
            return false;
        }
        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return Networks.Any(n => n.Contains(address));
    }
}
