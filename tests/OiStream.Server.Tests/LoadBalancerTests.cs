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

    private static readonly SimulatorOptions Market = new() { UsdmCoins = 30, CoinmCoins = 4, BybitCoins = 12, OkxCoins = 12 };

    private string[] NodeArgs(SimulatorServer sim, int port) =>
    [
        "--OiStream:Simulate=false", "--urls", $"http://127.0.0.1:{port}",
        .. HubProcess.VenuesAt(sim),
        "--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString, "--OiStream:Storage:Schema=" + _schema,
        "--OiStream:Cluster:Role=ingest", "--OiStream:Cluster:LeaseCheckInterval=00:00:00.5",
    ];

    [Fact]
    public async Task A_client_of_the_load_balancer_is_moved_to_the_new_leader_after_kill_9_of_the_old_one()
    {
        var (port1, port2) = (Ports.Free(), Ports.Free());
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var node1 = await HubProcess.StartAsync(NodeArgs(sim, port1));
        await node1.WaitReadyAsync();
        await using var node2 = await HubProcess.StartAsync(NodeArgs(sim, port2));
        await using var haproxy = await HaproxyProcess.StartAsync(port1, port2);
        await using var client = new OiStreamClient(new Uri(haproxy.Front, "/hubs/oi"));
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
}
