using System.Diagnostics;
using System.Text;
using OiStream.Client;
using OiStream.Contracts;
using OiStream.Simulator;

namespace OiStream.Server.Tests;

/// <summary>
/// The repository's <c>deploy/haproxy.cfg</c>, run by Debian's HAProxy in front of an active/standby pair of ingest
/// nodes (processes): a client of the one URL is served by the leader, and after <c>kill -9</c> of the leader it is
/// moved to the new leader and gets fresh data without doing anything.
/// </summary>
public sealed class LoadBalancerTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly string _schema = "lb_" + Guid.NewGuid().ToString("N")[..10];

    private static readonly SimulatorOptions Market = new() { UsdmCoins = 30, CoinmCoins = 4 };

    private string[] NodeArgs(SimulatorServer sim, int port) =>
    [
        "--OiStream:Simulate=false", "--urls", $"http://127.0.0.1:{port}",
        $"--OiStream:Binance:UsdmRest={sim.BaseUri}", $"--OiStream:Binance:CoinmRest={sim.BaseUri}", $"--OiStream:Binance:OptionsRest={sim.BaseUri}",
        $"--OiStream:Binance:UsdmStream={sim.WebSocketUri}", $"--OiStream:Binance:CoinmStream={sim.WebSocketUri}", $"--OiStream:Binance:OptionsStream={sim.WebSocketUri}",
        "--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString, "--OiStream:Storage:Schema=" + _schema,
        "--OiStream:Cluster:Role=ingest", "--OiStream:Cluster:LeaseCheckInterval=00:00:00.5",
    ];

    [Fact]
    public async Task A_client_of_the_load_balancer_is_moved_to_the_new_leader_after_kill_9_of_the_old_one()
    {
        var haproxyPath = Environment.GetEnvironmentVariable("HAPROXY_PATH") ?? "/usr/sbin/haproxy";
        Assert.True(File.Exists(haproxyPath), $"This test runs HAProxy: install it (apt-get install -y haproxy; .ci/run does), or set HAPROXY_PATH. Not found: {haproxyPath}");
        var (front, port1, port2) = (Ports.Free(), Ports.Free(), Ports.Free());
        // The repository's file, with this test's ports for its 5000, 5001 and 5002.
        var root = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var config = (await File.ReadAllTextAsync(Path.Combine(root, "deploy", "haproxy.cfg")))
            .Replace("127.0.0.1:5000", $"127.0.0.1:{front}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5001", $"127.0.0.1:{port1}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", $"127.0.0.1:{port2}", StringComparison.Ordinal);
        var dir = Directory.CreateTempSubdirectory("oistream-haproxy-");
        var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
        await File.WriteAllTextAsync(cfg, config);

        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var node1 = await HubProcess.StartAsync(NodeArgs(sim, port1));
        await node1.WaitReadyAsync();
        await using var node2 = await HubProcess.StartAsync(NodeArgs(sim, port2));

        var info = new ProcessStartInfo(haproxyPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", cfg, "-db" })
        {
            info.ArgumentList.Add(a);
        }
        using var haproxy = Process.Start(info)!;
        var log = new StringBuilder();
        haproxy.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        haproxy.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        haproxy.BeginOutputReadLine();
        haproxy.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var front1 = new Uri($"http://127.0.0.1:{front}");
            await Wait.UntilAsync(async () =>
            {
                Assert.False(haproxy.HasExited, "HAProxy exited: " + log);
                try
                {
                    using var r = await http.GetAsync(new Uri(front1, "/readyz"));
                    return r.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "the leader ready through HAProxy");

            await using var client = new OiStreamClient(new Uri(front1, "/hubs/oi"));
            var updates = new System.Collections.Concurrent.ConcurrentQueue<InstrumentState>();
            client.InstrumentReceived += s => updates.Enqueue(s);
            var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            client.Reconnected += () => reconnected.TrySetResult();
            await client.StartAsync();
            await client.SubscribeAsync(["BTCUSDT"]);
            await Wait.UntilAsync(() => !updates.IsEmpty, TimeSpan.FromSeconds(30), "BTCUSDT updates from the leader");

            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await node1.KillAsync();
            await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(60));
            // Fresh data from the new leader, to the same client object, subscribed again by the client itself.
            await Wait.UntilAsync(() => updates.Any(s => s.Symbol == "BTCUSDT" && s.OiTime > killedAt), TimeSpan.FromSeconds(60), "an OI reading taken after the kill");
        }
        finally
        {
            if (!haproxy.HasExited)
            {
                haproxy.Kill(entireProcessTree: true);
                await haproxy.WaitForExitAsync();
            }
            dir.Delete(recursive: true);
        }
    }
}
