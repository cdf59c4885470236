using System.Text;
using Dapper;

namespace MsgMate.Actors.Storage;

/// <summary>
/// A WHERE clause built from optional filters: each given value adds its condition and its parameter; an absent one
/// (null, or an empty string) adds nothing, so that "any" is the default of every filter.
/// </summary>
public sealed class SqlFilter(string initial = "1 = 1")
{
    private readonly StringBuilder _where = new(initial);

    public DynamicParameters Args { get; } = new();

    /// <summary>Adds <paramref name="sql"/> (which names <c>@<paramref name="name"/></c>) when <paramref name="value"/> is given.</summary>
    public SqlFilter Add<T>(T? value, string sql, string name)
    {
        if (value is null || value is string { Length: 0 })
        {
            return this;
        }
        _where.Append(" AND ").Append(sql);
        Args.Add(name, value);
        return this;
    }

    /// <summary>The clause, with its <c>WHERE</c>.</summary>
    public override string ToString() => $"WHERE {_where}";
}
