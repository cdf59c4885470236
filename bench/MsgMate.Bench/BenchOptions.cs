using System.Globalization;

namespace MsgMate.Bench;

/// <summary>What to run and how hard; parsed from the command line (<c>bench/run.sh --help</c>).</summary>
public sealed class BenchOptions
{
    public static readonly string[] AllPhases = ["ceilings", "raw", "intake", "e2e", "priority", "schedules", "cluster"];

    /// <summary>Messages of the end-to-end phase, and the low backlog of the priority phase.</summary>
    public int Messages { get; set; } = 100_000;

    /// <summary>Messages of the raw Kafka phase (default: <see cref="Messages"/>).</summary>
    public int? RawMessages { get; set; }

    /// <summary>Value size of the raw Kafka phase, bytes.</summary>
    public int RawSize { get; set; } = 100;

    public string Db { get; set; } = "sqlite";

    /// <summary>PostgreSQL server to create one database per phase in (admin connection string).</summary>
    public string? PostgresAdmin { get; set; } = Environment.GetEnvironmentVariable("MSGMATE_BENCH_PG");

    /// <summary>Lane parallelism given to the node (high, medium, low), or null for the node's defaults.</summary>
    public (int High, int Medium, int Low)? Parallelism { get; set; }

    /// <summary>Concurrent HTTP clients of the intake phase.</summary>
    public int Clients { get; set; } = 64;

    public TimeSpan IntakeDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan IntakeWarmup { get; set; } = TimeSpan.FromSeconds(3);

    public int IntakePriority { get; set; } = 1;

    /// <summary>The store and queue the targets name: the embedded default (SQL-table queue), Kafka + PostgreSQL or Kafka + SQLite.</summary>
    public string StoreLabel => SqlQueue ? "the embedded default" : Db == "postgresql" ? "Kafka + PostgreSQL" : "Kafka + SQLite";

    /// <summary>Each intake request carries an Idempotency-Key of its own (the keyed path a careful client takes).</summary>
    public bool IdempotencyKeys { get; set; }

    public int E2ePriority { get; set; } = 2;

    /// <summary>Recipients per send_msg request in the bulk phases (end-to-end, low backlog).</summary>
    public int Batch { get; set; } = 1000;

    /// <summary>Concurrent bulk submitters.</summary>
    public int Submitters { get; set; } = 4;

    public double HighRate { get; set; } = 20;

    public TimeSpan HighDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Schedules due in the same second (schedules phase).</summary>
    public int Schedules { get; set; } = 10_000;

    /// <summary>Schedules due per second in the sustained part of the schedules phase, for <see cref="ScheduleDuration"/>.</summary>
    public double ScheduleRate { get; set; } = 1000;

    public TimeSpan ScheduleDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gives up on the end-to-end phase after this long without completion.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Partitions of each lane topic; null picks enough for the mock's retention (see <see cref="PartitionsFor"/>).</summary>
    public int? Partitions { get; set; }

    /// <summary>Delay of the HTTP sink before it answers, to play a slower webhook receiver.</summary>
    public int SinkDelayMs { get; set; }

    public HashSet<string> Phases { get; set; } = [.. AllPhases];

    /// <summary>true: the node's embedded default queue (the SQL table); false: Kafka (the mock broker).</summary>
    public bool SqlQueue { get; set; }

    public string? NodeDll { get; set; }

    /// <summary>Extra node settings (<c>MsgMate:Kafka:MaxPollBatch=512</c>) and environment (<c>DOTNET_gcServer=0</c>).</summary>
    public List<KeyValuePair<string, string>> NodeSettings { get; } = [];

    public bool KeepWorkDir { get; set; }

    /// <summary>Before each phase, wait at most this long for other processes to leave the machine idle.</summary>
    public double WaitQuietSeconds { get; set; } = 30;

    public string Label { get; set; } = "";

    public int RawMessagesOrDefault => RawMessages ?? Messages;

    /// <summary>
    /// The mock broker keeps at most 5 MiB per partition and silently drops the oldest records beyond that, even
    /// unconsumed ones (DESIGN.md §6). A delivery job is ~160 B on the log, so a lane topic holding
    /// <paramref name="records"/> jobs needs this many partitions, with a quarter to spare; at least 3.
    /// </summary>
    public int PartitionsFor(int records) =>
        Partitions ?? Math.Max(3, (int)Math.Ceiling(records * 160.0 * 1.25 / (5 * 1024 * 1024)));

    public const string Usage = """
        bench/run.sh [options]          MsgMate.NET load and measurement harness (bench/README.md)

          --messages N          end-to-end messages and low backlog of the priority phase (100000)
          --raw-messages N      raw Kafka phase messages (= --messages); --raw-size B value bytes (100)
          --db sqlite|postgresql  record store of the node (sqlite); postgresql: run.sh starts a private server
          --parallelism H,M,L   lane parallelism of the node (MsgMate:Delivery:*Parallelism); one number sets all three
          --clients N           concurrent clients of the intake phase (64)
          --duration S          measured intake window, seconds (15); --warmup S before it (3)
          --intake-priority P   priority of the intake phase's messages (1)
          --idempotency-keys    every intake request carries an Idempotency-Key of its own
          --e2e-priority P      priority of the end-to-end phase's messages (2 = medium, the API default)
          --batch N             recipients per request in the bulk phases (1000)
          --submitters N        concurrent bulk submitters (4)
          --high-rate R         high messages per second in the priority phase (20); --high-seconds S (10)
          --schedules N         schedules due in the same second, schedules phase (10000)
          --schedule-rate R     schedules due per second in its sustained part (1000); --schedule-seconds S (10)
          --timeout S           give up waiting for the end-to-end phase after S seconds (300)
          --partitions N        partitions per lane topic (default: enough for the mock's 5 MiB retention, >= 3)
          --sink-delay-ms N     the webhook sink answers after N ms (0)
          --queue kafka|sql     the node's delivery queue: Kafka (the mock broker) or the SQL table of the embedded default (kafka)
          --phases a,b          any of ceilings,raw,intake,e2e,priority,schedules,cluster (all; cluster needs --db postgresql)
          --set KEY=VALUE       extra node setting, e.g. --set MsgMate:Kafka:MaxPollBatch=512 or DOTNET_gcServer=0
          --node-dll PATH       MsgMate.Node.dll to run (run.sh passes the Release build)
          --label TEXT          printed with the results
          --keep                keep the work directory (node logs, SQLite files)
          --wait-quiet S        before each phase wait up to S s for other processes to leave the CPUs idle (30)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--messages": o.Messages = Int(); break;
                case "--raw-messages": o.RawMessages = Int(); break;
                case "--raw-size": o.RawSize = Int(); break;
                case "--db":
                    var db = Next().ToLowerInvariant();
                    o.Db = db is "postgres" or "pg" ? "postgresql" : db;
                    break;
                case "--pg": o.PostgresAdmin = Next(); break;
                case "--parallelism": o.Parallelism = ParseParallelism(Next()); break;
                case "--clients": o.Clients = Int(); break;
                case "--duration": o.IntakeDuration = TimeSpan.FromSeconds(Dbl()); break;
                case "--warmup": o.IntakeWarmup = TimeSpan.FromSeconds(Dbl()); break;
                case "--intake-priority": o.IntakePriority = Int(); break;
                case "--idempotency-keys": o.IdempotencyKeys = true; break;
                case "--e2e-priority": o.E2ePriority = Int(); break;
                case "--batch": o.Batch = Int(); break;
                case "--submitters": o.Submitters = Int(); break;
                case "--high-rate": o.HighRate = Dbl(); break;
                case "--high-seconds": o.HighDuration = TimeSpan.FromSeconds(Dbl()); break;
                case "--schedules": o.Schedules = Int(); break;
                case "--schedule-rate": o.ScheduleRate = Dbl(); break;
                case "--schedule-seconds": o.ScheduleDuration = TimeSpan.FromSeconds(Dbl()); break;
                case "--timeout": o.Timeout = TimeSpan.FromSeconds(Dbl()); break;
                case "--partitions": o.Partitions = Int(); break;
                case "--queue":
                    var queue = Next().ToLowerInvariant();
                    o.SqlQueue = queue switch
                    {
                        "sql" => true,
                        "kafka" => false,
                        _ => throw new ArgumentException($"unknown queue '{queue}' (kafka, sql)"),
                    };
                    break;
                case "--sink-delay-ms": o.SinkDelayMs = Int(); break;
                case "--phases":
                    o.Phases = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (o.Phases.FirstOrDefault(p => !AllPhases.Contains(p)) is { } bad)
                    {
                        throw new ArgumentException($"unknown phase '{bad}' ({string.Join(", ", AllPhases)})");
                    }
                    break;
                case "--set":
                    var kv = Next();
                    var eq = kv.IndexOf('=');
                    if (eq <= 0)
                    {
                        throw new ArgumentException("--set takes KEY=VALUE");
                    }
                    o.NodeSettings.Add(new(kv[..eq], kv[(eq + 1)..]));
                    break;
                case "--node-dll": o.NodeDll = Next(); break;
                case "--label": o.Label = Next(); break;
                case "--keep": o.KeepWorkDir = true; break;
                case "--wait-quiet": o.WaitQuietSeconds = Dbl(); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (o.Db is not ("sqlite" or "postgresql"))
        {
            throw new ArgumentException("--db is sqlite or postgresql");
        }
        if (o.Db == "postgresql" && string.IsNullOrEmpty(o.PostgresAdmin))
        {
            throw new ArgumentException("--db postgresql needs a server: run it through bench/run.sh, or give --pg CONNECTION_STRING");
        }
        if (o.Messages < 1 || o.Batch is < 1 or > 1000 || o.Clients < 1 || o.Submitters < 1 || o.HighRate <= 0 || o.Schedules < 1 || o.ScheduleRate <= 0)
        {
            throw new ArgumentException("--messages, --clients, --submitters, --high-rate must be positive; --batch 1..1000");
        }
        return o;
    }

    private static (int, int, int) ParseParallelism(string text)
    {
        var parts = text.Split(',').Select(p => int.Parse(p.Trim(), CultureInfo.InvariantCulture)).ToArray();
        return parts.Length switch
        {
            1 => (parts[0], parts[0], parts[0]),
            3 => (parts[0], parts[1], parts[2]),
            _ => throw new ArgumentException("--parallelism takes N or H,M,L"),
        };
    }
}
