using System.Data.Common;

namespace MsgMate.Actors.Storage;

/// <summary>
/// One SQL statement run for many rows inside one transaction: the command is built once and only its parameter
/// values change, so the driver parses it once (SQLite keeps the prepared statement on the command) instead of
/// once per row as a fresh command per row would.
/// </summary>
public sealed class RepeatedStatement : IAsyncDisposable
{
    private readonly DbCommand _command;
    private readonly DbParameter[] _parameters;

    /// <param name="names">The statement's parameters, without the <c>@</c>, in the order values are given.</param>
    public RepeatedStatement(DbConnection connection, DbTransaction transaction, string sql, params string[] names)
    {
        _command = connection.CreateCommand();
        _command.Transaction = transaction;
        _command.CommandText = sql;
        _parameters = new DbParameter[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var parameter = _command.CreateParameter();
            // With its prefix: Microsoft.Data.Sqlite finds "@x" in the statement at once, but for a bare "x" it
            // tries every prefix on every execution (a third of the CPU of a bulk insert, measured).
            parameter.ParameterName = "@" + names[i];
            _command.Parameters.Add(parameter);
            _parameters[i] = parameter;
        }
    }

    /// <summary>Runs the statement with these values (one per name, in order); the number of rows it changed.</summary>
    public Task<int> ExecuteAsync(CancellationToken ct, params object?[] values)
    {
        if (values.Length != _parameters.Length)
        {
            throw new ArgumentException($"{_parameters.Length} values expected, {values.Length} given", nameof(values));
        }
        for (var i = 0; i < values.Length; i++)
        {
            _parameters[i].Value = values[i] ?? DBNull.Value;
        }
        return _command.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => _command.DisposeAsync();
}
