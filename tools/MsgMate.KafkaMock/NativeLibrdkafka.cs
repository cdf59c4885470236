using System.Reflection;
using System.Runtime.InteropServices;

namespace MsgMate.KafkaMock;

/// <summary>
/// The few librdkafka entry points the mock cluster needs, bound to the very library file Confluent.Kafka has
/// loaded into this process. Two copies of librdkafka in one process would work over TCP, but sharing one keeps
/// a single set of background threads and one set of global state.
/// </summary>
internal static partial class NativeLibrdkafka
{
    /// <summary>The import name; the resolver maps it to a real file.</summary>
    private const string Lib = "msgmate-librdkafka";

    private static readonly Lazy<IntPtr> Handle = new(LoadLibrary);

    static NativeLibrdkafka()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLibrdkafka).Assembly, Resolve);
    }

    /// <summary>Where the native library was loaded from (for diagnostics).</summary>
    public static string LoadedPath { get; private set; } = "";

    /// <summary>Loads the library now; throws with the places searched when it cannot be found.</summary>
    public static void EnsureLoaded() => _ = Handle.Value;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Lib ? Handle.Value : IntPtr.Zero;

    private static IntPtr LoadLibrary()
    {
        // 1. Let Confluent.Kafka load librdkafka its own way (on Debian 12 the default build needs libsasl2.so.3,
        //    which is missing, so it falls back to the bundled centos8 build), then use whichever file it mapped.
        var tried = new List<string>();
        try
        {
            _ = Confluent.Kafka.Library.Version;
            var mapped = MappedLibrdkafka();
            if (mapped is not null && NativeLibrary.TryLoad(mapped, out var h))
            {
                LoadedPath = mapped;
                return h;
            }
            tried.Add("(mapped by Confluent.Kafka) " + (mapped ?? "none found in /proc/self/maps"));
        }
        catch (Exception e)
        {
            tried.Add("Confluent.Kafka.Library.Version: " + e.Message);
        }

        // 2. The same order Confluent.Kafka tries, from the librdkafka.redist runtimes folder next to the app.
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var h))
            {
                LoadedPath = candidate;
                return h;
            }
        }
        throw new DllNotFoundException("librdkafka not found; tried: " + string.Join("; ", tried));
    }

    /// <summary>The librdkafka file the process has mapped already (Linux), if any.</summary>
    private static string? MappedLibrdkafka()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }
        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/');
            if (slash < 0)
            {
                continue;
            }
            var path = line[slash..].Trim();
            var file = Path.GetFileName(path);
            if (file.Contains("librdkafka", StringComparison.Ordinal) && !file.Contains("librdkafkacpp", StringComparison.Ordinal))
            {
                return path;
            }
        }
        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        var baseDir = AppContext.BaseDirectory;
        var arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        if (OperatingSystem.IsLinux())
        {
            var native = Path.Combine(baseDir, "runtimes", $"linux-{arch}", "native");
            yield return Path.Combine(native, "centos8-librdkafka.so");
            yield return Path.Combine(native, "librdkafka.so");
            yield return Path.Combine(native, "alpine-librdkafka.so");
            yield return Path.Combine(baseDir, "librdkafka.so");
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return Path.Combine(baseDir, "runtimes", $"osx-{arch}", "native", "librdkafka.dylib");
        }
        else if (OperatingSystem.IsWindows())
        {
            yield return Path.Combine(baseDir, "runtimes", $"win-{arch}", "native", "librdkafka.dll");
        }
    }

    // --- rdkafka.h -----------------------------------------------------------------------------------------

    public const int RdKafkaProducer = 0;

    [LibraryImport(Lib)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Lib)]
    public static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(Lib)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Lib)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Lib)]
    public static partial IntPtr rd_kafka_err2str(int err);

    // --- rdkafka_mock.h ------------------------------------------------------------------------------------

    [LibraryImport(Lib)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Lib)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr mcluster);

    [LibraryImport(Lib)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Lib)]
    public static partial int rd_kafka_mock_set_controller_id(IntPtr mcluster, int brokerId);

    [LibraryImport(Lib)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mcluster, int delayMs);

    [LibraryImport(Lib)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr mcluster, int brokerId);

    [LibraryImport(Lib)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr mcluster, int brokerId);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(rd_kafka_err2str(err)) ?? $"error {err}";
}
