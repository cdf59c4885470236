namespace MsgMate.Deployment.Tests.Infrastructure;

/// <summary>Paths into the repository the tests were built from (found by walking up to MsgMate.sln).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Repository-relative paths (with '/') of the files under <paramref name="folder"/> ending in one of the extensions.</summary>
    public static IReadOnlyList<string> FilesUnder(string folder, params string[] extensions) =>
        [.. Directory.EnumerateFiles(PathOf(folder), "*", SearchOption.AllDirectories)
            .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MsgMate.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no MsgMate.sln above {AppContext.BaseDirectory}");
    }
}
