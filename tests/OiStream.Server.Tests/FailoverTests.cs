using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Client;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Simulator;
using OiStream.Storage;
using OiStream.Storage.Postgres;

namespace OiStream.Server.Tests;

/// <summary>
/// Two ingest nodes as processes of their own, on one PostgreSQL store and one simulated Binance: one leads, the other
/// waits; <c>kill -9</c> of the leader and the standby takes over, with no 429 or ban from the exchange and no hole in
/// the history.
/// </summary>
public sealed class FailoverTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly string _schema = "failover_" + Guid.NewGuid().ToString("N")[..10];

    private static readonly SimulatorOptions Market = new() { UsdmCoins = 30, CoinmCoins = 4, BybitCoins = 12, OkxCoins = 12 };

    private string[] NodeArgs(SimulatorServer sim) =>
    [
        "--OiStream:Simulate=false",
        .. HubProcess.VenuesAt(sim),
        "--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString, "--OiStream:Storage:Schema=" + _schema,
        "--OiStream:Cluster:Role=ingest", "--OiStream:Cluster:LeaseCheckInterval=00:00:00.5",
    ];

    private static async Task<JsonElement> StatusAsync(HubProcess node) => (await node.Http.GetFromJsonAsync<JsonElement>(new Uri(node.BaseUri, "/api/v1/status")))!;

    [Fact]
    public async Task Kill_9_of_the_leader_hands_ingest_to_the_standby_without_a_ban_or_a_hole_in_history()
    {
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await HubProcess.StartAsync(NodeArgs(sim));
        await leader.WaitReadyAsync();
        Assert.True((await StatusAsync(leader)).GetProperty("cluster").GetProperty("leader").GetBoolean());

        await using var standby = await HubProcess.StartAsync(NodeArgs(sim));
        await Wait.UntilAsync(async () => (await StatusAsync(standby)).GetProperty("cluster") is { ValueKind: JsonValueKind.Object } c && !c.GetProperty("leader").GetBoolean(),
            TimeSpan.FromSeconds(60), "the second node up as a standby");
        // A standby ingests nothing, so it is not ready: a load balancer sends clients to the leader.
        using (var r = await standby.Http.GetAsync(new Uri(standby.BaseUri, "/readyz")))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Contains("Standby: another node holds the leader lease", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(0, (await StatusAsync(standby)).GetProperty("instruments").GetInt32());

        // A client of the standby hears of the takeover.
        await using var client = new OiStreamClient(new Uri(standby.BaseUri, "/hubs/oi"));
        var tookOver = new TaskCompletionSource<FeedStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.FeedStatusReceived += f =>
        {
            if (f is { Feed: "cluster", State: "leader" })
            {
                tookOver.TrySetResult(f);
            }
        };
        await client.StartAsync();

        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await leader.KillAsync();
        await tookOver.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await standby.WaitReadyAsync();

        // Fresh data: an OI reading of BTCUSDT taken after the kill, from the new leader, to a client subscribed there.
        var fresh = new TaskCompletionSource<InstrumentState>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.InstrumentReceived += s =>
        {
            if (s.Symbol == "BTCUSDT" && s.OiTime > killedAt)
            {
                fresh.TrySetResult(s);
            }
        };
        await client.SubscribeAsync(["BTCUSDT"]);
        var state = await fresh.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(state.OpenInterest > 0, "an OI reading");
        Assert.True((await StatusAsync(standby)).GetProperty("cluster").GetProperty("leader").GetBoolean());

        // The exchange saw one ingester at a time: no 429, no ban.
        Assert.Equal(0, sim.Faults.TooManyRequests);
        Assert.Equal(0, sim.Faults.Bans);

        // No hole: every five-minute bucket of the last 24 hours up to the current one is in the shared store.
        await using var store = new PostgresHistoryStore(postgres.Server.ConnectionString, _schema);
        await store.OpenAsync("binance", CancellationToken.None);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var current = now - (now % OiCandle.FiveMinutes);
        await Wait.UntilAsync(async () => (await store.FindGapsAsync(SeriesKey.Instrument("BTCUSDT"), new TimeRange(current - (24 * 3_600_000L), current), CancellationToken.None)).Count == 0,
            TimeSpan.FromSeconds(60), "the new leader's backfill to close every gap");
    }

    [Fact]
    public async Task A_leader_whose_lease_session_is_cut_stops_ingesting_at_once_and_leads_again_when_it_holds_the_lease()
    {
        var host = new HubHost
        {
            Arguments = HubHost.Args("--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString,
                "--OiStream:Storage:Schema=" + _schema, "--OiStream:Cluster:Role=ingest", "--OiStream:Cluster:LeaseCheckInterval=00:00:00.5"),
        };
        await host.InitializeAsync();
        try
        {
            await using var client = new OiStreamClient(host.HubUri);
            var states = new System.Collections.Concurrent.ConcurrentQueue<string>();
            client.FeedStatusReceived += f =>
            {
                if (f.Feed == "cluster")
                {
                    states.Enqueue(f.State);
                }
            };
            await client.StartAsync();

            // The lease's session ends on the server (as when the network between them fails).
            await using (var admin = new Npgsql.NpgsqlConnection(postgres.Server.ConnectionString))
            {
                await admin.OpenAsync();
                await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'oistream-lease'", admin);
                Assert.Equal(1L, await cmd.ExecuteScalarAsync());
            }

            await Wait.UntilAsync(() => states.Contains("standby"), TimeSpan.FromSeconds(30), "feedStatus cluster: standby (the lease lost, ingest stopped)");
            await Wait.UntilAsync(() => states.SkipWhile(s => s != "standby").Contains("leader"), TimeSpan.FromSeconds(30), "feedStatus cluster: leader again");
            await Wait.UntilAsync(async () =>
            {
                using var r = await host.Http.GetAsync(new Uri(host.BaseUri, "/readyz"));
                return r.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), "ready again as the leader");
            var status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
            Assert.True(status.GetProperty("cluster").GetProperty("leader").GetBoolean());
            Assert.Contains(status.GetProperty("loops").EnumerateArray(), l => l.GetProperty("name").GetString() == "lease" && l.GetProperty("failures").GetInt64() == 0);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
