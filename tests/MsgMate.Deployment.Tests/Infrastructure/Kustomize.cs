using System.Diagnostics;
using System.Text.Json.Nodes;

namespace MsgMate.Deployment.Tests.Infrastructure;

/// <summary>
/// Renders a kustomization the way <c>kubectl kustomize</c> does, for the features k8s/ uses: <c>resources</c> (files
/// and directories), <c>patches</c> as strategic-merge files, <c>images</c> and <c>namespace</c>. Anything else in a
/// kustomization.yaml fails the render, so that a new feature is either taught here or noticed. When kubectl is on
/// the machine, a test compares this rendering with kubectl's (<see cref="RenderWithKubectl"/>); CI machines have no
/// kubectl package to install, so this renderer is what the other tests rely on.
/// </summary>
public static class Kustomize
{
    private static readonly HashSet<string> Supported = ["apiVersion", "kind", "resources", "patches", "images", "namespace"];

    /// <summary>Kinds that live outside any namespace (the namespace field does not touch them).</summary>
    private static readonly HashSet<string> ClusterScoped = ["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"];

    /// <summary>The resources of the kustomization in <paramref name="directory"/> (repository-relative).</summary>
    public static List<JsonObject> Render(string directory)
    {
        var kustomization = Yaml.LoadFile($"{directory}/kustomization.yaml");
        var unknown = kustomization.Select(p => p.Key).Where(k => !Supported.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"{directory}/kustomization.yaml uses {string.Join(", ", unknown)}, which the test renderer does not know");

        var resources = new List<JsonObject>();
        foreach (var entry in kustomization["resources"]?.AsArray() ?? [])
        {
            var path = Normalize($"{directory}/{Yaml.Text(entry)}");
            if (Directory.Exists(Repo.PathOf(path)))
            {
                resources.AddRange(Render(path));
            }
            else
            {
                resources.AddRange(Yaml.LoadAll(Repo.Read(path)).OfType<JsonObject>());
            }
        }
        foreach (var patch in kustomization["patches"]?.AsArray() ?? [])
        {
            Assert.True(patch!["path"] is not null && patch["target"] is null && patch["patch"] is null,
                $"{directory}: only strategic-merge patch files (`- path: file`) are rendered here");
            var patchPath = Normalize($"{directory}/{Yaml.Text(patch["path"])}");
            var body = Yaml.LoadFile(patchPath);
            var target = resources.SingleOrDefault(r => Kind(r) == Kind(body) && Name(r) == Name(body));
            Assert.True(target is not null, $"{patchPath}: no {Kind(body)} {Name(body)} to patch");
            StrategicMerge(target!, body);
        }
        foreach (var image in kustomization["images"]?.AsArray() ?? [])
        {
            SetImage(resources, Yaml.Text(image!["name"])!, Yaml.Text(image["newName"]), Yaml.Text(image["newTag"]));
        }
        if (Yaml.Text(kustomization["namespace"]) is { } ns)
        {
            foreach (var resource in resources.Where(r => !ClusterScoped.Contains(Kind(r))))
            {
                resource["metadata"]!["namespace"] = ns;
            }
        }
        return resources;
    }

    public static string Kind(JsonNode resource) => Yaml.Text(resource["kind"]) ?? "";

    public static string Name(JsonNode resource) => Yaml.Text(resource["metadata"]?["name"]) ?? "";

    public static JsonObject Single(IEnumerable<JsonObject> resources, string kind) =>
        resources.Where(r => Kind(r) == kind).ToList() is [var one] ? one : throw new InvalidDataException($"not exactly one {kind}");

    /// <summary>
    /// Kubernetes' strategic merge for the shapes k8s/ patches: maps merge key by key; lists whose items have a
    /// <c>name</c> (containers, env, ports, volumes, volumeMounts) merge item by item on it; other lists are replaced.
    /// </summary>
    public static void StrategicMerge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            switch (value, target[key])
            {
                case (JsonObject p, JsonObject t):
                    StrategicMerge(t, p);
                    break;
                case (JsonArray p, JsonArray t) when IsNamedList(p) && IsNamedList(t):
                    foreach (var item in p.OfType<JsonObject>())
                    {
                        if (t.OfType<JsonObject>().FirstOrDefault(x => Yaml.Text(x["name"]) == Yaml.Text(item["name"])) is { } existing)
                        {
                            StrategicMerge(existing, item);
                        }
                        else
                        {
                            t.Add(item.DeepClone());
                        }
                    }
                    break;
                default:
                    target[key] = value?.DeepClone();
                    break;
            }
        }
    }

    private static bool IsNamedList(JsonArray list) => list.Count > 0 && list.All(i => i is JsonObject o && o["name"] is not null);

    private static void SetImage(IEnumerable<JsonObject> resources, string name, string? newName, string? newTag)
    {
        foreach (var container in resources.SelectMany(Containers))
        {
            var image = Yaml.Text(container["image"]) ?? "";
            var slash = image.LastIndexOf('/');
            var colon = image.LastIndexOf(':');
            var (repository, tag) = colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, null);
            if (repository == name)
            {
                var finalTag = newTag ?? tag;
                container["image"] = (newName ?? repository) + (finalTag is null ? "" : $":{finalTag}");
            }
        }
    }

    /// <summary>Containers and init containers of a workload's pod template.</summary>
    public static IEnumerable<JsonObject> Containers(JsonObject resource)
    {
        var pod = resource["spec"]?["template"]?["spec"];
        return (pod?["containers"]?.AsArray() ?? []).Concat(pod?["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            else if (part is not ("." or ""))
            {
                parts.Add(part);
            }
        }
        return string.Join('/', parts);
    }

    /// <summary>kubectl's own rendering, or null when kubectl is not on the PATH.</summary>
    public static List<JsonObject>? RenderWithKubectl(string directory)
    {
        var kubectl = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            return null;
        }
        var start = new ProcessStartInfo(kubectl, ["kustomize", Repo.PathOf(directory)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "kubectl kustomize did not finish within 2 minutes");
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} exited with {process.ExitCode}: {stderr.Result}");
        return [.. Yaml.LoadAll(output).OfType<JsonObject>()];
    }
}
