using System.Runtime.InteropServices;
using MsgMate.KafkaMock;

// dotnet run --project tools/MsgMate.KafkaMock -- --topics msgmate.high,msgmate.medium,msgmate.low,msgmate.retry --partitions 3
// Prints the bootstrap servers as the first line of stdout, then stays up until stdin closes or SIGTERM/SIGINT.

var topics = new List<string>();
var partitions = 3;
var brokers = 1;
var rebalanceDelayMs = 300;
var waitForStdin = true;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--topics" when i + 1 < args.Length:
            topics.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            break;
        case "--partitions" when i + 1 < args.Length:
            partitions = int.Parse(args[++i]);
            break;
        case "--brokers" when i + 1 < args.Length:
            brokers = int.Parse(args[++i]);
            break;
        case "--rebalance-delay-ms" when i + 1 < args.Length:
            rebalanceDelayMs = int.Parse(args[++i]);
            break;
        case "--ignore-stdin":
            waitForStdin = false;
            break;
        case "-h" or "--help":
            Console.WriteLine("""
                MsgMate.KafkaMock: librdkafka's mock Kafka cluster (real protocol, loopback, in memory).

                  --topics a,b,c            topics to create (default: the four MsgMate lanes)
                  --partitions N            partitions per topic (default 3)
                  --brokers N               number of mock brokers (default 1)
                  --rebalance-delay-ms N    group.initial.rebalance.delay.ms (default 300)
                  --ignore-stdin            run until SIGTERM/SIGINT only (for `&` in scripts, whose stdin is /dev/null)

                The first line on stdout is the bootstrap servers list. Stops when stdin closes (unless
                --ignore-stdin) or on SIGTERM/SIGINT.
                """);
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}' (try --help)");
            return 2;
    }
}
if (topics.Count == 0)
{
    topics.AddRange(["msgmate.high", "msgmate.medium", "msgmate.low", "msgmate.retry"]);
}

using var mock = KafkaMockCluster.Start(brokers, topics, partitions, TimeSpan.FromMilliseconds(rebalanceDelayMs));
Console.Out.WriteLine(mock.BootstrapServers);
Console.Out.Flush();
Console.Error.WriteLine($"mock Kafka cluster up: {brokers} broker(s), topics {string.Join(",", topics)} x {partitions} partitions, librdkafka {KafkaMockCluster.NativeLibraryPath}");

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
if (waitForStdin)
{
    // A dedicated thread: reading stdin blocks, and EOF (the parent closed the pipe or went away) means stop.
    var reader = new Thread(() =>
    {
        try
        {
            var buffer = new char[256];
            while (Console.In.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
        stop.TrySetResult();
    }) { IsBackground = true, Name = "stdin-watch" };
    reader.Start();
}

await stop.Task;
Console.Error.WriteLine("mock Kafka cluster stopping");
return 0;
