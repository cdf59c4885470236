using System.Text.Json.Nodes;
using MsgMate.Deployment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MsgMate.Deployment.Tests;

/// <summary>
/// k8s/: each overlay rendered (base + patches + images + namespace) and checked against itself and against the
/// node: selectors match the pods, the headless Service governs the StatefulSet, the probes hit the node's health
/// routes on its HTTP port, the seeds are the StatefulSet's stable names, and every variable is a setting the node binds.
/// </summary>
public sealed class KubernetesManifestTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> OverlaysAndNamespaces => new()
    {
        { "k8s/overlays/dev", "msgmate-dev" },
        { "k8s/overlays/prod", "msgmate-prod" },
    };

    public static TheoryData<string> Overlays => ["k8s/overlays/dev", "k8s/overlays/prod"];

    private static readonly HashSet<string> HelperVariables = ["POD_NAME", "POD_NAMESPACE"];

    [Fact(DisplayName = "Every YAML file of the deployments parses (k8s/, deploy/, docker-compose.yml)")]
    public void Every_yaml_file_parses()
    {
        var files = Repo.FilesUnder("k8s", ".yaml", ".yml").Concat(Repo.FilesUnder("deploy", ".yaml", ".yml")).Append("docker-compose.yml").ToList();
        Assert.True(files.Count >= 15, $"only {files.Count} files found");
        foreach (var file in files)
        {
            var documents = Yaml.LoadAll(Repo.Read(file));
            Assert.True(documents.Count > 0 && documents.All(d => d is JsonObject), $"{file}: not one or more mappings");
        }
        output.WriteLine($"{files.Count} files parsed: {string.Join(", ", files)}");
    }

    [Theory(DisplayName = "An overlay renders the node's resources, all in the overlay's namespace")]
    [MemberData(nameof(OverlaysAndNamespaces))]
    public void Overlay_renders_the_resources(string overlay, string ns)
    {
        var resources = Kustomize.Render(overlay);
        Assert.Equal(
            ["ConfigMap", "Namespace", "PodDisruptionBudget", "Service", "Service", "StatefulSet"],
            resources.Select(Kustomize.Kind).Order(StringComparer.Ordinal));
        Assert.Equal(ns, Kustomize.Name(Kustomize.Single(resources, "Namespace")));
        foreach (var resource in resources.Where(r => Kustomize.Kind(r) != "Namespace"))
        {
            Assert.Equal(ns, Yaml.Text(resource["metadata"]!["namespace"]));
        }
    }

    [Theory(DisplayName = "The selectors of the StatefulSet, both Services, the PodDisruptionBudget and the anti-affinity match the pods' labels")]
    [MemberData(nameof(Overlays))]
    public void Selectors_match_pod_labels(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var podLabels = Labels(set["spec"]!["template"]!["metadata"]!["labels"]);

        AssertSelects(podLabels, set["spec"]!["selector"]!["matchLabels"], "StatefulSet selector");
        foreach (var service in resources.Where(r => Kustomize.Kind(r) == "Service"))
        {
            AssertSelects(podLabels, service["spec"]!["selector"], $"Service {Kustomize.Name(service)}");
        }
        var pdb = Kustomize.Single(resources, "PodDisruptionBudget");
        AssertSelects(podLabels, pdb["spec"]!["selector"]!["matchLabels"], "PodDisruptionBudget");
        Assert.Equal(1, (int)pdb["spec"]!["maxUnavailable"]!);

        var antiAffinity = set["spec"]!["template"]!["spec"]!["affinity"]!["podAntiAffinity"]!;
        var terms = (antiAffinity["preferredDuringSchedulingIgnoredDuringExecution"]?.AsArray() ?? []).Select(t => t!["podAffinityTerm"]!)
            .Concat(antiAffinity["requiredDuringSchedulingIgnoredDuringExecution"]?.AsArray() ?? []).ToList();
        Assert.NotEmpty(terms);
        foreach (var term in terms)
        {
            Assert.Equal("kubernetes.io/hostname", Yaml.Text(term!["topologyKey"]));
            AssertSelects(podLabels, term["labelSelector"]!["matchLabels"], "pod anti-affinity");
        }
    }

    [Theory(DisplayName = "The headless Service is the StatefulSet's serviceName, publishes unready pods and carries the remoting port")]
    [MemberData(nameof(Overlays))]
    public void Headless_service_governs_the_stateful_set(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var container = NodeContainer(set);
        var serviceName = Yaml.Text(set["spec"]!["serviceName"]);
        var headless = resources.Single(r => Kustomize.Kind(r) == "Service" && Kustomize.Name(r) == serviceName);
        Assert.Equal("None", Yaml.Text(headless["spec"]!["clusterIP"]));
        // The pods resolve each other before they are ready: they only become ready after joining through these names.
        Assert.True((bool)headless["spec"]!["publishNotReadyAddresses"]!);
        AssertServesPort(headless, container, "remoting");

        var client = resources.Single(r => Kustomize.Kind(r) == "Service" && Kustomize.Name(r) != serviceName);
        Assert.Null(client["spec"]!["clusterIP"]);
        AssertServesPort(client, container, "http");
    }

    [Theory(DisplayName = "Readiness probes /readyz and liveness probes /healthz, on the container port named http, which is the node's MsgMate:Port")]
    [MemberData(nameof(Overlays))]
    public void Probes_hit_the_health_routes_on_the_http_port(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var container = NodeContainer(set);
        var options = OptionKeys.BindAll(Variables(resources, set), overlay);

        var httpPort = ContainerPort(container, "http");
        Assert.Equal(options.Port, httpPort);
        Assert.Equal(("/readyz", "http"), Probe(container, "readinessProbe"));
        Assert.Equal(("/healthz", "http"), Probe(container, "livenessProbe"));
        if (container["startupProbe"] is not null)
        {
            Assert.Equal(("/healthz", "http"), Probe(container, "startupProbe"));
        }
    }

    [Theory(DisplayName = "Seed nodes are the StatefulSet's stable DNS names, and each pod advertises its own (downward API)")]
    [MemberData(nameof(Overlays))]
    public void Seeds_are_the_stable_dns_names(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var container = NodeContainer(set);
        var options = OptionKeys.BindAll(Variables(resources, set), overlay);
        var name = Kustomize.Name(set);
        var serviceName = Yaml.Text(set["spec"]!["serviceName"]);
        var replicas = (int)set["spec"]!["replicas"]!;
        var remoting = ContainerPort(container, "remoting");

        Assert.Equal(remoting, options.Cluster.Port);
        Assert.Equal("0.0.0.0", options.Cluster.Hostname);
        Assert.Equal($"$(POD_NAME).{serviceName}.$(POD_NAMESPACE).svc.cluster.local", options.Cluster.PublicHostname);
        Assert.Equal("metadata.name", FieldRef(container, "POD_NAME"));
        Assert.Equal("metadata.namespace", FieldRef(container, "POD_NAMESPACE"));
        // Kubernetes expands $(VAR) only for variables defined earlier in the list.
        var order = EnvNames(container);
        Assert.True(order.IndexOf("POD_NAME") < order.IndexOf("MsgMate__Cluster__PublicHostname"));
        Assert.True(order.IndexOf("POD_NAMESPACE") < order.IndexOf("MsgMate__Cluster__SeedNodes__0"));

        var expected = Enumerable.Range(0, Math.Min(3, replicas))
            .Select(i => $"akka.tcp://{options.Cluster.SystemName}@{name}-{i}.{serviceName}.$(POD_NAMESPACE).svc.cluster.local:{remoting}");
        Assert.Equal(expected, options.Cluster.SeedNodes);
        output.WriteLine($"{overlay}: {replicas} replicas, seeds {string.Join(", ", options.Cluster.SeedNodes)}");
    }

    [Theory(DisplayName = "Every environment variable of the StatefulSet and the ConfigMap is a setting the node binds, and its value arrives")]
    [MemberData(nameof(Overlays))]
    public void Environment_variables_bind(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var container = NodeContainer(set);
        var all = EnvNames(container).Concat(ConfigMapData(resources, set).Keys).ToList();
        foreach (var helper in all.Where(n => !n.StartsWith(OptionKeys.Prefix, StringComparison.Ordinal)))
        {
            // Not a setting: only the downward-API helpers that other values spell as $(NAME).
            Assert.Contains(helper, HelperVariables);
            Assert.Contains(EnvValues(container).Values, v => v?.Contains($"$({helper})", StringComparison.Ordinal) == true);
        }
        var options = OptionKeys.BindAll(Variables(resources, set), overlay);
        Assert.Equal("postgresql", options.Storage.Provider);
        Assert.False(options.Queue.SqlQueue);
        Assert.True(options.Auth.KeysRequired);
        output.WriteLine($"{overlay}: {all.Count} variables, all bound");
    }

    [Theory(DisplayName = "The grace period covers the graceful leave; pods start in parallel; resources are set")]
    [MemberData(nameof(Overlays))]
    public void Grace_period_covers_the_leave(string overlay)
    {
        var resources = Kustomize.Render(overlay);
        var set = Kustomize.Single(resources, "StatefulSet");
        var options = OptionKeys.BindAll(Variables(resources, set), overlay);
        var grace = (int)set["spec"]!["template"]!["spec"]!["terminationGracePeriodSeconds"]!;
        // The node gives up leaving after ShutdownTimeout; the kubelet must not SIGKILL it before that.
        Assert.True(grace > options.Cluster.ShutdownTimeout.TotalSeconds,
            $"terminationGracePeriodSeconds {grace} is not above MsgMate:Cluster:ShutdownTimeout {options.Cluster.ShutdownTimeout}");
        Assert.Equal("Parallel", Yaml.Text(set["spec"]!["podManagementPolicy"]));
        var resourceSpec = NodeContainer(set)["resources"]!;
        Assert.NotNull(resourceSpec["requests"]?["cpu"]);
        Assert.NotNull(resourceSpec["requests"]?["memory"]);
        Assert.NotNull(resourceSpec["limits"]?["memory"]);
    }

    [Theory(DisplayName = "The overlays set replicas, resources and the image tag")]
    [InlineData("k8s/overlays/dev", 3, "msgmate-net:dev", "250m", "768Mi")]
    [InlineData("k8s/overlays/prod", 5, "registry.example.com/msgmate/msgmate-net:1.0.0", "1", "2Gi")]
    public void Overlays_patch_replicas_resources_and_image(string overlay, int replicas, string image, string cpu, string memoryLimit)
    {
        var set = Kustomize.Single(Kustomize.Render(overlay), "StatefulSet");
        var container = NodeContainer(set);
        Assert.Equal(replicas, (int)set["spec"]!["replicas"]!);
        Assert.Equal(image, Yaml.Text(container["image"]));
        Assert.Equal(cpu, Yaml.Text(container["resources"]!["requests"]!["cpu"]));
        Assert.Equal(memoryLimit, Yaml.Text(container["resources"]!["limits"]!["memory"]));
        // The patch merged into the base container: its probes and variables are still there.
        Assert.NotNull(container["readinessProbe"]);
        Assert.Contains("MsgMate__Cluster__SeedNodes__0", EnvNames(container));
    }

    [Fact(DisplayName = "The Secret template holds every key the StatefulSet reads, placeholders only, and is not applied by kustomize")]
    public void Secret_template_holds_placeholders_for_every_key()
    {
        var template = Yaml.LoadFile("k8s/base/secret.template.yaml");
        Assert.Equal("Secret", Kustomize.Kind(template));
        var data = template["stringData"]!.AsObject();
        Assert.NotEmpty(data);
        foreach (var (key, value) in data)
        {
            Assert.True(Yaml.Text(value)?.Contains("REPLACE_ME", StringComparison.Ordinal) == true, $"{key} is not a placeholder");
        }
        var set = Kustomize.Single(Kustomize.Render("k8s/base"), "StatefulSet");
        var references = NodeContainer(set)["env"]!.AsArray().Select(e => e!["valueFrom"]?["secretKeyRef"]).OfType<JsonObject>().ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            Assert.Equal(Kustomize.Name(template), Yaml.Text(reference["name"]));
            Assert.True(data.ContainsKey(Yaml.Text(reference["key"])!), $"the template has no key {reference["key"]}");
        }
        var resources = Yaml.LoadFile("k8s/base/kustomization.yaml")["resources"]!.AsArray().Select(Yaml.Text);
        Assert.DoesNotContain("secret.template.yaml", resources);
    }

    [Theory(DisplayName = "When kubectl is on the machine, `kubectl kustomize` renders each overlay exactly as the test renderer does")]
    [MemberData(nameof(Overlays))]
    public void Kubectl_renders_the_same(string overlay)
    {
        var kubectl = Kustomize.RenderWithKubectl(overlay);
        if (kubectl is null)
        {
            output.WriteLine("kubectl is not on the PATH (no Debian package on CI machines): compared nothing");
            return;
        }
        var ours = Kustomize.Render(overlay);
        static string Id(JsonObject r) => $"{Kustomize.Kind(r)}/{Yaml.Text(r["metadata"]?["namespace"])}/{Kustomize.Name(r)}";
        Assert.Equal(kubectl.Select(Id).Order(StringComparer.Ordinal), ours.Select(Id).Order(StringComparer.Ordinal));
        foreach (var resource in ours)
        {
            var theirs = kubectl.Single(r => Id(r) == Id(resource));
            Assert.True(JsonNode.DeepEquals(theirs, resource), $"{Id(resource)} differs:{Environment.NewLine}kubectl: {theirs.ToJsonString()}{Environment.NewLine}ours:    {resource.ToJsonString()}");
        }
        output.WriteLine($"{overlay}: {ours.Count} resources, identical to kubectl kustomize");
    }

    // --- helpers ------------------------------------------------------------------------------------------------------

    private static JsonObject NodeContainer(JsonObject set) =>
        Kustomize.Containers(set).Single(c => Yaml.Text(c["name"]) == "msgmate");

    private static Dictionary<string, string> Labels(JsonNode? node) =>
        node!.AsObject().ToDictionary(p => p.Key, p => Yaml.Text(p.Value)!);

    private static void AssertSelects(Dictionary<string, string> podLabels, JsonNode? selector, string what)
    {
        var wanted = Labels(selector);
        Assert.True(wanted.Count > 0, $"{what}: empty selector");
        foreach (var (key, value) in wanted)
        {
            Assert.True(podLabels.TryGetValue(key, out var actual) && actual == value, $"{what}: {key}={value} does not match the pod labels");
        }
    }

    private static void AssertServesPort(JsonObject service, JsonObject container, string portName)
    {
        var port = service["spec"]!["ports"]!.AsArray().SingleOrDefault(p => Yaml.Text(p!["targetPort"]) == portName);
        Assert.True(port is not null, $"Service {Kustomize.Name(service)} has no port targeting {portName}");
        Assert.Equal(ContainerPort(container, portName), (int)port!["port"]!);
    }

    private static int ContainerPort(JsonObject container, string name) =>
        (int)container["ports"]!.AsArray().Single(p => Yaml.Text(p!["name"]) == name)!["containerPort"]!;

    private static (string? Path, string? Port) Probe(JsonObject container, string probe)
    {
        var get = container[probe]?["httpGet"];
        Assert.True(get is not null, $"no {probe} with httpGet");
        return (Yaml.Text(get!["path"]), Yaml.Text(get["port"]));
    }

    private static string? FieldRef(JsonObject container, string variable) =>
        Yaml.Text(container["env"]!.AsArray().Single(e => Yaml.Text(e!["name"]) == variable)!["valueFrom"]?["fieldRef"]?["fieldPath"]);

    private static List<string> EnvNames(JsonObject container) =>
        [.. (container["env"]?.AsArray() ?? []).Select(e => Yaml.Text(e!["name"])!)];

    /// <summary>The container's own variables: the literal value, or null when it comes from a Secret or the downward API.</summary>
    private static Dictionary<string, string?> EnvValues(JsonObject container) =>
        (container["env"]?.AsArray() ?? []).ToDictionary(e => Yaml.Text(e!["name"])!, e => Yaml.Text(e!["value"]));

    private static Dictionary<string, string?> ConfigMapData(List<JsonObject> resources, JsonObject set)
    {
        var data = new Dictionary<string, string?>();
        foreach (var source in NodeContainer(set)["envFrom"]?.AsArray() ?? [])
        {
            var name = Yaml.Text(source!["configMapRef"]?["name"]);
            Assert.True(name is not null, "envFrom: only ConfigMaps");
            var map = resources.SingleOrDefault(r => Kustomize.Kind(r) == "ConfigMap" && Kustomize.Name(r) == name);
            Assert.True(map is not null, $"envFrom names the ConfigMap {name}, which is not rendered");
            foreach (var (key, value) in map!["data"]!.AsObject())
            {
                data[key] = Yaml.Text(value);
            }
        }
        return data;
    }

    /// <summary>What the node's environment holds: the ConfigMap's variables, overridden by the container's own.</summary>
    private static Dictionary<string, string?> Variables(List<JsonObject> resources, JsonObject set)
    {
        var variables = ConfigMapData(resources, set);
        foreach (var (name, value) in EnvValues(NodeContainer(set)))
        {
            variables[name] = value;
        }
        return variables.Where(v => v.Key.StartsWith(OptionKeys.Prefix, StringComparison.Ordinal)).ToDictionary();
    }
}
