using System.Text.Json.Nodes;
using MsgMate.Deployment.Tests.Infrastructure;

namespace MsgMate.Deployment.Tests;

/// <summary>
/// docker-compose.yml, parsed (no Docker engine here to run it): the services are there, the three nodes form one
/// cluster through each other's names with variables the node binds (the same ones k8s/ sets), and Prometheus and
/// Grafana are wired to the nodes and to each other.
/// </summary>
public sealed class ComposeTests
{
    private static readonly string[] Nodes = ["node-0", "node-1", "node-2"];

    /// <summary>Settings both deployments must give the node: cluster formation, storage, queue, quotas, the leave.</summary>
    private static readonly string[] SharedSettings =
    [
        "MsgMate__Port",
        "MsgMate__Cluster__Hostname",
        "MsgMate__Cluster__PublicHostname",
        "MsgMate__Cluster__Port",
        "MsgMate__Cluster__SeedNodes__0",
        "MsgMate__Cluster__SeedNodes__1",
        "MsgMate__Cluster__SeedNodes__2",
        "MsgMate__Cluster__ShutdownTimeout",
        "MsgMate__Storage__Provider",
        "MsgMate__Storage__ConnectionString",
        "MsgMate__Queue__SqlQueue",
        "MsgMate__Kafka__BootstrapServers",
        "MsgMate__Redis__Configuration",
        "MsgMate__Auth__Mode",
    ];

    private static JsonObject Compose() => Yaml.LoadFile("docker-compose.yml");

    private static JsonObject Services() => Compose()["services"]!.AsObject();

    private static Dictionary<string, string?> Environment(JsonNode service) =>
        service["environment"]!.AsObject().ToDictionary(p => p.Key, p => Yaml.Text(p.Value));

    [Fact(DisplayName = "Compose has Kafka (KRaft), PostgreSQL, Redis, three nodes, Prometheus and Grafana")]
    public void Compose_has_every_service()
    {
        var services = Services();
        Assert.Equal(
            ["grafana", "kafka", "node-0", "node-1", "node-2", "postgres", "prometheus", "redis"],
            services.Select(s => s.Key).Order(StringComparer.Ordinal));
        var kafka = Environment(services["kafka"]!);
        // KRaft: the broker is its own controller, no ZooKeeper.
        Assert.Equal("broker,controller", kafka["KAFKA_PROCESS_ROLES"]);
        Assert.DoesNotContain(kafka.Keys, k => k.Contains("ZOOKEEPER", StringComparison.Ordinal));
        foreach (var node in Nodes)
        {
            Assert.Equal(".", Yaml.Text(services[node]!["build"]));
            Assert.Equal("service_healthy", Yaml.Text(services[node]!["depends_on"]!["postgres"]!["condition"]));
            Assert.Equal("service_healthy", Yaml.Text(services[node]!["depends_on"]!["kafka"]!["condition"]));
        }
    }

    [Fact(DisplayName = "Every node variable in compose is a setting the node binds, and its value arrives")]
    public void Node_variables_bind()
    {
        var services = Services();
        foreach (var node in Nodes)
        {
            var env = Environment(services[node]!);
            var options = OptionKeys.BindAll(env, $"docker-compose.yml {node}");
            Assert.Equal("postgresql", options.Storage.Provider);
            Assert.False(options.Queue.SqlQueue);
        }
    }

    [Fact(DisplayName = "The three compose nodes seed each other by service name, each advertising its own, on the remoting port")]
    public void Nodes_seed_each_other()
    {
        var services = Services();
        foreach (var node in Nodes)
        {
            var options = OptionKeys.BindAll(Environment(services[node]!), node);
            Assert.Equal(node, options.Cluster.PublicHostname);
            Assert.Equal(node, Yaml.Text(services[node]!["hostname"]));
            Assert.Equal("0.0.0.0", options.Cluster.Hostname);
            Assert.Equal(Nodes.Select(n => $"akka.tcp://{options.Cluster.SystemName}@{n}:{options.Cluster.Port}"), options.Cluster.SeedNodes);
            // The stop grace period covers the node's own leave timeout.
            var grace = TimeSpan.FromSeconds(int.Parse(Yaml.Text(services[node]!["stop_grace_period"])!.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(grace > options.Cluster.ShutdownTimeout, $"{node}: stop_grace_period {grace} is not above ShutdownTimeout {options.Cluster.ShutdownTimeout}");
        }
    }

    [Fact(DisplayName = "Compose points the nodes at its own PostgreSQL, Kafka and Redis")]
    public void Nodes_use_the_compose_servers()
    {
        var services = Services();
        var options = OptionKeys.BindAll(Environment(services["node-0"]!), "node-0");
        var postgres = Environment(services["postgres"]!);
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(options.Storage.ConnectionString);
        Assert.Equal("postgres", connection.Host);
        Assert.Equal(postgres["POSTGRES_USER"], connection.Username);
        Assert.Equal(postgres["POSTGRES_PASSWORD"], connection.Password);
        Assert.Equal(postgres["POSTGRES_DB"], connection.Database);
        Assert.Contains("PLAINTEXT://" + options.Kafka.BootstrapServers, Environment(services["kafka"]!)["KAFKA_ADVERTISED_LISTENERS"]);
        Assert.StartsWith("redis:", options.Redis.Configuration, StringComparison.Ordinal);
    }

    [Fact(DisplayName = "Compose and the Kubernetes StatefulSet name the same settings for cluster, storage, queue and leave")]
    public void Compose_and_kubernetes_name_the_same_variables()
    {
        var compose = Environment(Services()["node-0"]!).Keys.ToHashSet();
        var resources = Kustomize.Render("k8s/base");
        var set = Kustomize.Single(resources, "StatefulSet");
        var container = Kustomize.Containers(set).Single();
        var kubernetes = (container["env"]?.AsArray() ?? []).Select(e => Yaml.Text(e!["name"])!)
            .Concat(Kustomize.Single(resources, "ConfigMap")["data"]!.AsObject().Select(p => p.Key)).ToHashSet();
        foreach (var setting in SharedSettings)
        {
            Assert.True(compose.Contains(setting), $"docker-compose.yml does not set {setting}");
            Assert.True(kubernetes.Contains(setting), $"k8s/base does not set {setting}");
        }
    }

    [Fact(DisplayName = "Prometheus scrapes /metrics of every compose node on its HTTP port")]
    public void Prometheus_scrapes_every_node()
    {
        var services = Services();
        var mount = Yaml.Text(services["prometheus"]!["volumes"]!.AsArray().Single())!;
        Assert.Equal("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", mount);
        var prometheus = Yaml.LoadFile("deploy/prometheus/prometheus.yml");
        var job = prometheus["scrape_configs"]!.AsArray().Single(j => Yaml.Text(j!["job_name"]) == "msgmate")!;
        Assert.Equal("/metrics", Yaml.Text(job["metrics_path"]));
        var targets = job["static_configs"]!.AsArray().SelectMany(c => c!["targets"]!.AsArray()).Select(Yaml.Text);
        var expected = Nodes.Select(n => $"{n}:{OptionKeys.BindAll(Environment(services[n]!), n).Port}");
        Assert.Equal(expected, targets);
    }

    [Fact(DisplayName = "Grafana gets the Prometheus data source and the MsgMate dashboard from provisioning files")]
    public void Grafana_is_provisioned()
    {
        var services = Services();
        var volumes = services["grafana"]!["volumes"]!.AsArray().Select(v => Yaml.Text(v)!.Split(':')).ToList();
        Assert.Contains(volumes, v => v[0] == "./deploy/grafana/provisioning" && v[1] == "/etc/grafana/provisioning");
        var dashboardsMount = volumes.Single(v => v[0] == "./deploy/grafana/dashboards")[1];

        var datasource = Yaml.LoadFile("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"]!.AsArray().Single()!;
        Assert.Equal("prometheus", Yaml.Text(datasource["type"]));
        Assert.Equal("http://prometheus:9090", Yaml.Text(datasource["url"]));
        Assert.Contains("9090:9090", services["prometheus"]!["ports"]!.AsArray().Select(Yaml.Text));

        var provider = Yaml.LoadFile("deploy/grafana/provisioning/dashboards/msgmate.yml")["providers"]!.AsArray().Single()!;
        Assert.Equal("file", Yaml.Text(provider["type"]));
        Assert.Equal(dashboardsMount, Yaml.Text(provider["options"]!["path"]));
        Assert.True(File.Exists(Repo.PathOf("deploy/grafana/dashboards/msgmate.json")));
        // The dashboard's panels name the provisioned data source by its uid.
        var uid = Yaml.Text(datasource["uid"]);
        var dashboard = JsonNode.Parse(Repo.Read("deploy/grafana/dashboards/msgmate.json"))!;
        foreach (var panel in dashboard["panels"]!.AsArray().Where(p => Yaml.Text(p!["type"]) != "row"))
        {
            Assert.Equal(uid, Yaml.Text(panel!["datasource"]!["uid"]));
        }
    }
}
