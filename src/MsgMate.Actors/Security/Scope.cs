namespace MsgMate.Actors.Security;

/// <summary>What a caller may do. A route names the one scope it needs; <see cref="Admin"/> holds every scope.</summary>
public enum Scope
{
    /// <summary>send_msg, cancel and resend of the caller's own messages.</summary>
    Send,

    /// <summary>Records, attempt history and statistics (a key's own source's records only, unless admin).</summary>
    Read,

    Users,

    Templates,

    Schedules,

    /// <summary>The admin API (keys, quotas, audit) and everything else.</summary>
    Admin,
}

/// <summary>A set of scopes, written on the wire and in the store as lower-case names (<c>send,read</c>).</summary>
public readonly record struct ScopeSet(int Bits)
{
    public static readonly ScopeSet None = new(0);

    public static readonly ScopeSet All = Of(Enum.GetValues<Scope>());

    public static ScopeSet Of(IEnumerable<Scope> scopes) => new(scopes.Aggregate(0, (bits, s) => bits | (1 << (int)s)));

    /// <summary>Admin holds every scope.</summary>
    public bool Allows(Scope scope) => (Bits & (1 << (int)scope)) != 0 || (Bits & (1 << (int)Scope.Admin)) != 0;

    public bool IsAdmin => (Bits & (1 << (int)Scope.Admin)) != 0;

    public IEnumerable<Scope> Scopes
    {
        get
        {
            var bits = Bits;
            return Enum.GetValues<Scope>().Where(s => (bits & (1 << (int)s)) != 0);
        }
    }

    public static string Name(Scope scope) => scope.ToString().ToLowerInvariant();

    public static bool TryParseName(string? name, out Scope scope)
    {
        foreach (var candidate in Enum.GetValues<Scope>())
        {
            if (string.Equals(Name(candidate), name?.Trim(), StringComparison.Ordinal))
            {
                scope = candidate;
                return true;
            }
        }
        scope = default;
        return false;
    }

    /// <summary>Parses names; the first unknown one is reported (quoted by the caller).</summary>
    public static bool TryParse(IEnumerable<string?> names, out ScopeSet set, out string? unknown)
    {
        var scopes = new List<Scope>();
        foreach (var name in names)
        {
            if (!TryParseName(name, out var scope))
            {
                set = None;
                unknown = name ?? "";
                return false;
            }
            scopes.Add(scope);
        }
        set = Of(scopes);
        unknown = null;
        return true;
    }

    /// <summary>The stored form; unknown names in it (from a later version) are dropped, never widened.</summary>
    public static ScopeSet FromStored(string stored) =>
        Of(stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => TryParseName(n, out var s) ? (Scope?)s : null).OfType<Scope>());

    public override string ToString() => string.Join(',', Scopes.Select(Name));

    public static string AllNames => string.Join(", ", Enum.GetValues<Scope>().Select(Name));
}
