using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace OiStream.Server.Tests;

/// <summary>
/// <c>/metrics</c> read by a real Prometheus server (Debian's <c>prometheus</c>, started here on a loopback port with a
/// one-second scrape of the hub), through Prometheus's HTTP API; with the alert rules and the Grafana dashboard of
/// docs/monitoring loaded and queried.
/// </summary>
public class MetricsTests(HubHost hub) : IClassFixture<HubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    [Fact]
    public async Task Prometheus_scrapes_OiStream_s_series_and_the_built_in_ones_and_loads_the_alert_rules_and_dashboard_queries()
    {
        var prometheusPath = Environment.GetEnvironmentVariable("PROMETHEUS_PATH") ?? "/usr/bin/prometheus";
        Assert.True(File.Exists(prometheusPath), $"This test runs Prometheus: install it (apt-get install -y prometheus; .ci/run does), or set PROMETHEUS_PATH. Not found: {prometheusPath}");
        var rules = Path.Combine(Repo(), "docs", "monitoring", "oistream-alerts.yml");
        var dashboard = Path.Combine(Repo(), "docs", "monitoring", "grafana-dashboard.json");
        var dir = Directory.CreateTempSubdirectory("oistream-prometheus-");
        var port = Ports.Free();
        File.WriteAllText(Path.Combine(dir.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rules}
            scrape_configs:
              - job_name: oistream
                static_configs:
                  - targets: ['{hub.BaseUri.Authority}']
            """);
        var start = new ProcessStartInfo(prometheusPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--config.file=" + Path.Combine(dir.FullName, "prometheus.yml"), "--storage.tsdb.path=" + Path.Combine(dir.FullName, "data"),
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
        {
            start.ArgumentList.Add(a);
        }
        using var prometheus = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        prometheus.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        prometheus.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        try
        {
            async Task<JsonElement[]> Query(string promql)
            {
                var body = await http.GetFromJsonAsync<JsonElement>("api/v1/query?query=" + Uri.EscapeDataString(promql));
                Assert.Equal("success", body.GetProperty("status").GetString());
                return [.. body.GetProperty("data").GetProperty("result").EnumerateArray()];
            }
            async Task<double> Value(string promql) =>
                (await Query(promql)) is [var first, ..] ? double.Parse(first.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

            await Wait.UntilAsync(async () =>
            {
                Assert.False(prometheus.HasExited, "Prometheus exited: " + log);
                try
                {
                    return await Value("oistream_events_total{outcome=\"applied\"}") > 0;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, Timeout, "OiStream's applied events in Prometheus");

            Assert.Equal(1, await Value("up{job=\"oistream\"}"));
            Assert.Equal(1, await Value("oistream_ready"));
            Assert.True(await Value("oistream_instruments") > 30);
            await Wait.UntilAsync(async () => await Value("sum(oistream_oi_age_seconds_count)") > 0, Timeout, "OI ages recorded");
            Assert.Equal(["CoinM", "Options", "UsdM"], (await Query("oistream_weight_budget")).Select(r => r.GetProperty("metric").GetProperty("api").GetString()).Order());
            Assert.Contains("usdm-ws", (await Query("oistream_stream_silence_seconds")).Select(r => r.GetProperty("metric").GetProperty("feed").GetString()));
            // The built-in meters: requests served (Prometheus's own scrapes), Kestrel, the runtime.
            await Wait.UntilAsync(async () => await Value("sum(http_server_request_duration_seconds_count)") > 0, Timeout, "ASP.NET Core's request metrics");
            Assert.True(await Value("sum(kestrel_active_connections)") >= 0);
            Assert.True(await Value("dotnet_process_memory_working_set_bytes") > 0);

            // A client connects and subscribes: the connection gauge and the messages sent move.
            await using var client = new Client.OiStreamClient(hub.HubUri);
            await client.StartAsync();
            await client.SubscribeAsync(["BTCUSDT"]);
            var sentBefore = await Value("oistream_sent_bytes_total");
            await Wait.UntilAsync(async () => await Value("oistream_clients") >= 1 && await Value("sum(oistream_publish_messages_total{event=\"instrument\"})") > 0,
                Timeout, "a client counted and instrument messages sent");
            // Every byte written is counted: a 100 KB answer moves the total by at least that much.
            var body = await hub.Http.GetByteArrayAsync(new Uri(hub.BaseUri, "/api/v1/instruments"));
            await Wait.UntilAsync(async () => await Value("oistream_sent_bytes_total") >= sentBefore + body.Length, Timeout, "the bytes of an answer counted");

            // Every alert rule is loaded and evaluates without error.
            await Wait.UntilAsync(async () =>
            {
                var groups = (await http.GetFromJsonAsync<JsonElement>("api/v1/rules")).GetProperty("data").GetProperty("groups").EnumerateArray().ToList();
                var all = groups.SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
                return all.Count == 10 && all.All(r => r.GetProperty("health").GetString() == "ok");
            }, Timeout, "the 10 alert rules loaded and healthy");

            // Every query of the Grafana dashboard is valid PromQL with data behind it.
            using var doc = JsonDocument.Parse(File.ReadAllText(dashboard));
            var exprs = doc.RootElement.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray())
                .Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.True(exprs.Count >= 13);
            await Wait.UntilAsync(async () =>
            {
                foreach (var expr in exprs)
                {
                    if ((await Query(expr)).Length == 0)
                    {
                        return false;
                    }
                }
                return true;
            }, Timeout, "data behind every dashboard query");
        }
        finally
        {
            if (!prometheus.HasExited)
            {
                prometheus.Kill(entireProcessTree: true);
                await prometheus.WaitForExitAsync();
            }
            dir.Delete(recursive: true);
        }
    }
}
