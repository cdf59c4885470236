using System.CommandLine;
using MsgMate.Cli.Commands;

namespace MsgMate.Cli;

/// <summary>
/// <c>msgmate</c>: the operator CLI over a node's admin API, with Petabridge.Cmd's cluster verbs. Every verb is a small
/// function of a <see cref="Session"/>; the global options say which node, with which key, and whether to print JSON.
/// </summary>
public sealed class MsgMateCli
{
    public const string DefaultNode = "http://localhost:8109";
    public const string NodeVariable = "MSGMATE_NODE";
    public const string KeyVariable = "MSGMATE_KEY";

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Func<string, string?> _environment;

    private MsgMateCli(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        _out = output;
        _err = error;
        _environment = environment;
        NodeOption = new Option<string>("--node")
        {
            Description = $"The node's HTTP address (or {NodeVariable}; default {DefaultNode})",
            Recursive = true,
            DefaultValueFactory = _ => environment(NodeVariable) is { Length: > 0 } node ? node : DefaultNode,
        };
        // No DefaultValueFactory: help prints defaults, and the key is a secret. The environment is read when the verb runs.
        KeyOption = new Option<string?>("--key")
        {
            Description = $"An API key with the admin scope, sent as a Bearer token (or {KeyVariable})",
            Recursive = true,
        };
        JsonOption = new Option<bool>("--json") { Description = "Print the node's JSON answer instead of a table", Recursive = true };
        TimeoutOption = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the node's answer",
            Recursive = true,
            DefaultValueFactory = _ => 30,
        };
        TimeoutOption.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 600)
            {
                r.AddError("--timeout must be 1 to 600 seconds");
            }
        });
        Root = new RootCommand("MsgMate.NET operator CLI: the cluster, its shards, the queue, dead letters, messages and schedules, over a node's admin API.\n" +
            "Exit codes: 0 ok, 1 refused by the node, 2 usage, 3 unreachable or unauthorised.")
        {
            NodeOption, KeyOption, JsonOption, TimeoutOption,
        };
        Root.Subcommands.Add(ClusterCommands.Build(this));
        Root.Subcommands.Add(QueueCommands.BuildQueue(this));
        Root.Subcommands.Add(QueueCommands.BuildDeadLetters(this));
        Root.Subcommands.Add(MessageCommands.Build(this));
        Root.Subcommands.Add(ScheduleCommands.Build(this));
        Root.Subcommands.Add(NodeCommands.Build(this));
    }

    public RootCommand Root { get; }

    public Option<string> NodeOption { get; }

    public Option<string?> KeyOption { get; }

    public Option<bool> JsonOption { get; }

    public Option<int> TimeoutOption { get; }

    /// <summary>The entry point, with its output and environment given (tests run it in-process).</summary>
    public static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, Func<string, string?>? environment = null, CancellationToken ct = default)
    {
        var cli = new MsgMateCli(output, error, environment ?? Environment.GetEnvironmentVariable);
        var parsed = cli.Root.Parse(args);
        // --help wins over the errors of an incomplete command line (`msgmate msg get --help` has no ID).
        var help = cli.Root.Options.FirstOrDefault(o => o.Name == "--help");
        var asksHelp = help is not null && parsed.GetResult(help) is not null;
        if (parsed.Errors.Count > 0 && !asksHelp)
        {
            // One line, as every failure: the problems, then where to look.
            var problems = string.Join("; ", parsed.Errors.Select(e => string.Join(' ', e.Message.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()))));
            await error.WriteLineAsync($"msgmate: {problems} (see --help)");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, ct);
    }

    /// <summary>Wires a verb: its action opens a session from the global options, runs, and maps failures to exit codes.</summary>
    public void Action(Command verb, Func<ParseResult, Session, CancellationToken, Task<int>> run) =>
        verb.SetAction(async (parsed, ct) =>
        {
            var node = parsed.GetValue(NodeOption);
            if (!Uri.TryCreate(node, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await _err.WriteLineAsync($"msgmate: --node '{node}' is not an http(s) address, e.g. {DefaultNode}");
                return ExitCodes.Usage;
            }
            using var session = new Session(
                new NodeClient(uri, parsed.GetValue(KeyOption) ?? _environment(KeyVariable), TimeSpan.FromSeconds(parsed.GetValue(TimeoutOption))), _out, parsed.GetValue(JsonOption));
            try
            {
                return await run(parsed, session, ct);
            }
            catch (CliFailure failure)
            {
                await _err.WriteLineAsync($"msgmate: {failure.Message}");
                return failure.ExitCode;
            }
        });

    /// <summary>A usage error found by a verb itself (e.g. two ways to name the same thing).</summary>
    public async Task<int> UsageAsync(string problem)
    {
        await _err.WriteLineAsync($"msgmate: {problem}");
        return ExitCodes.Usage;
    }
}
