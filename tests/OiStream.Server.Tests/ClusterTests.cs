using System.Collections.Concurrent;
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
/// The cluster as separate processes on loopback: the simulator, ingest nodes (a leader and a standby) publishing
/// through a real Redis, and edge nodes serving clients from it, on one PostgreSQL store. Each fault of the cluster
/// issue: a client of an edge gets what the leader ingested; the leader killed; Redis gone for 10 s; an edge killed.
/// </summary>
public sealed class ClusterTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly string _schema = "cluster_" + Guid.NewGuid().ToString("N")[..10];

    private static readonly SimulatorOptions Market = new() { UsdmCoins = 30, CoinmCoins = 4, BybitCoins = 12, OkxCoins = 12 };

    private string[] NodeArgs(SimulatorServer sim, RedisServer redis, string role, string name, int port = 0) =>
    [
        "--OiStream:Simulate=false", "--urls", $"http://127.0.0.1:{port}",
        .. HubProcess.VenuesAt(sim),
        "--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.Server.ConnectionString, "--OiStream:Storage:Schema=" + _schema,
        "--OiStream:Cluster:Role=" + role, "--OiStream:Cluster:LeaseCheckInterval=00:00:00.5", "--OiStream:Cluster:Redis=" + redis.Configuration,
        "--OiStream:Cluster:NodeName=" + name,
    ];

    private static async Task<JsonElement> GetAsync(HubProcess node, string path) => (await node.Http.GetFromJsonAsync<JsonElement>(new Uri(node.BaseUri, path)))!;

    private static async Task<bool> ReadyAsync(HttpClient http, Uri baseUri)
    {
        try
        {
            using var r = await http.GetAsync(new Uri(baseUri, "/readyz"));
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    // A client and every update it received, by symbol, to check seq only goes up and nothing comes twice.
    private sealed class Recorder : IAsyncDisposable
    {
        private Recorder(OiStreamClient client)
        {
            Client = client;
            client.InstrumentReceived += Updates.Enqueue;
            client.FeedStatusReceived += Feeds.Enqueue;
        }

        public OiStreamClient Client { get; }

        public ConcurrentQueue<InstrumentState> Updates { get; } = new();

        public ConcurrentQueue<FeedStatus> Feeds { get; } = new();

        // Connects, subscribes, and waits for two updates of the first symbol.
        public static Task<Recorder> WatchAsync(Uri hub, params string[] symbols) => WatchAsync(hub, new OiStreamClientOptions(), symbols);

        public static async Task<Recorder> WatchAsync(Uri hub, OiStreamClientOptions options, params string[] symbols)
        {
            var seen = new Recorder(new OiStreamClient(new Uri(hub, "/hubs/oi"), options));
            await seen.Client.StartAsync();
            await seen.Client.SubscribeAsync(symbols);
            await Wait.UntilAsync(() => seen.Updates.Count(u => u.Symbol == symbols[0]) >= 2, TimeSpan.FromSeconds(30), $"{symbols[0]} updates at {hub}");
            return seen;
        }

        public void AssertSeqRises(string symbol)
        {
            var seqs = Updates.Where(u => u.Symbol == symbol).Select(u => u.Seq).ToList();
            for (var i = 1; i < seqs.Count; i++)
            {
                Assert.True(seqs[i] > seqs[i - 1], $"{symbol}: seq {seqs[i]} after {seqs[i - 1]} (update {i} of {seqs.Count}): a duplicate or a step back");
            }
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    private async Task<HubProcess> StartEdgeAsync(SimulatorServer sim, RedisServer redis, string name, int port = 0)
    {
        var edge = await HubProcess.StartAsync(NodeArgs(sim, redis, "edge", name, port));
        await edge.WaitReadyAsync();
        return edge;
    }

    // Every five-minute bucket of BTCUSDT's last 24 hours up to the current one is in the shared store.
    private async Task AssertNoHoleInHistoryAsync()
    {
        await using var store = new PostgresHistoryStore(postgres.Server.ConnectionString, _schema);
        await store.OpenAsync("binance", CancellationToken.None);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var current = now - (now % OiCandle.FiveMinutes);
        await Wait.UntilAsync(async () => (await store.FindGapsAsync(SeriesKey.Instrument("BTCUSDT"), new TimeRange(current - (24 * 3_600_000L), current), CancellationToken.None)).Count == 0,
            TimeSpan.FromSeconds(60), "every five-minute bucket of the last 24 h in the store");
    }

    private async Task<HubProcess> StartLeaderAsync(SimulatorServer sim, RedisServer redis)
    {
        var leader = await HubProcess.StartAsync(NodeArgs(sim, redis, "ingest", "leader-1"));
        await leader.WaitReadyAsync();
        return leader;
    }

    [Fact]
    public async Task A_client_of_an_edge_gets_what_the_leader_ingested_with_the_leaders_seq_and_values()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await StartLeaderAsync(sim, redis);
        await using var edgeA = await StartEdgeAsync(sim, redis, "edge-a");
        await using var edgeB = await StartEdgeAsync(sim, redis, "edge-b");

        // The edge answers from the leader's states: the same instruments, the same catalog (history resolves).
        var status = await GetAsync(edgeB, "/api/v1/status");
        Assert.Equal("edge", status.GetProperty("cluster").GetProperty("role").GetString());
        Assert.Equal("following", status.GetProperty("cluster").GetProperty("replication").GetProperty("state").GetString());
        Assert.Equal("leader-1", status.GetProperty("cluster").GetProperty("replication").GetProperty("leaderNode").GetString());
        Assert.Equal("publishing", (await GetAsync(leader, "/api/v1/status")).GetProperty("cluster").GetProperty("replication").GetProperty("state").GetString());
        var leaderSymbols = (await GetAsync(leader, "/api/v1/instruments")).EnumerateArray().Select(s => s.GetProperty("symbol").GetString()).Order().ToList();
        var edgeSymbols = (await GetAsync(edgeB, "/api/v1/instruments")).EnumerateArray().Select(s => s.GetProperty("symbol").GetString()).Order().ToList();
        Assert.Equal(leaderSymbols, edgeSymbols);
        var history = await GetAsync(edgeB, "/api/v1/open-interest/ohlc-history?symbol=BTCUSDT&interval=5m&limit=12");
        Assert.Equal(12, history.GetProperty("data").GetArrayLength());

        // A client of edge B: every BTCUSDT update it gets is the leader's, value for value, with the leader's seq.
        await using var seen = await Recorder.WatchAsync(edgeB.BaseUri, "BTCUSDT");
        await seen.Client.SubscribeCoinsAsync(["BTC"]);
        // The leader's REST state and the edge client's state meet at one seq: the same state, whole.
        await Wait.UntilAsync(async () =>
        {
            var atLeader = await GetAsync(leader, "/api/v1/instruments/BTCUSDT");
            var seq = atLeader.GetProperty("seq").GetInt64();
            var match = seen.Updates.LastOrDefault(u => u.Symbol == "BTCUSDT" && u.Seq == seq);
            if (match is null)
            {
                return false;
            }
            Assert.Equal(atLeader.GetProperty("openInterest").GetDouble(), match.OpenInterest);
            Assert.Equal(atLeader.GetProperty("markPrice").GetDouble(), match.MarkPrice);
            Assert.Equal(atLeader.GetProperty("oiTime").GetInt64(), match.OiTime);
            Assert.Equal(atLeader.GetProperty("change").GetProperty("5m").ToString(), match.Change["5m"]?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "");
            return true;
        }, TimeSpan.FromSeconds(30), "a BTCUSDT update at edge B with the seq and values the leader holds");
        await Wait.UntilAsync(() => seen.Updates.Count(u => u.Symbol == "BTCUSDT") >= 3, TimeSpan.FromSeconds(30), "updates after the snapshot");
        seen.AssertSeqRises("BTCUSDT");
        var coin = (await GetAsync(edgeB, "/api/v1/coins")).EnumerateArray().Single(c => c.GetProperty("coin").GetString() == "BTC");
        Assert.True(coin.GetProperty("openInterestUsd").GetDouble() > 0);
        var list = await GetAsync(edgeA, "/api/v1/open-interest/exchange-list?symbol=BTC");
        Assert.Equal("All", list.GetProperty("data")[0].GetProperty("exchange").GetString());
        // Garbage on the replication channel (a JSON that is not a message, a MessagePack array of the wrong shape, text)
        // is skipped and named in the status; the edge goes on following.
        var channel = $"oistream:{_schema}:updates";
        foreach (var junk in new[] { "{\"type\":\"nonsense\"}", "\u0093\u0001\u0002\u0003", "not a message" })
        {
            Assert.Equal("2", await redis.CommandAsync("PUBLISH", channel, junk)); // both edges subscribed
        }
        await Wait.UntilAsync(async () => (await GetAsync(edgeB, "/api/v1/status")).GetProperty("cluster").GetProperty("replication").GetProperty("lastError").GetString()
            is { } e && e.StartsWith("unreadable replication message", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the edge naming the unreadable message");
        var heardBefore = seen.Updates.Count;
        await Wait.UntilAsync(() => seen.Updates.Count > heardBefore + 1, TimeSpan.FromSeconds(30), "updates after the garbage");
        Assert.Equal("following", (await GetAsync(edgeB, "/api/v1/status")).GetProperty("cluster").GetProperty("replication").GetProperty("state").GetString());
        seen.AssertSeqRises("BTCUSDT");
        // The overview (the dashboard's table) on an edge: every instrument the leader tracks.
        var overview = await seen.Client.SubscribeOverviewAsync();
        Assert.Equal(leaderSymbols, overview.Select(r => (string?)r.Symbol).Order().ToList());
        using var page = await edgeA.Http.GetAsync(edgeA.BaseUri);
        Assert.True(page.IsSuccessStatusCode, "the dashboard's page on an edge");
        // The Binance request weight is the leader's metric alone: a sum over the nodes counts it once.
        static bool HasWeight(string metrics) => System.Text.RegularExpressions.Regex.IsMatch(metrics, "^oistream_weight_used", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(HasWeight(await leader.Http.GetStringAsync(new Uri(leader.BaseUri, "/metrics"))));
        Assert.False(HasWeight(await edgeA.Http.GetStringAsync(new Uri(edgeA.BaseUri, "/metrics"))));
    }

    [Fact]
    public async Task Kill_9_of_the_leader_the_standby_takes_over_and_an_edge_client_gets_feedStatus_then_fresh_data_with_seq_still_rising()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await StartLeaderAsync(sim, redis);
        await using var standby = await HubProcess.StartAsync(NodeArgs(sim, redis, "ingest", "standby-2"));
        await using var edge = await StartEdgeAsync(sim, redis, "edge-a");
        await Wait.UntilAsync(async () => (await GetAsync(standby, "/api/v1/status")).GetProperty("cluster") is { ValueKind: JsonValueKind.Object } c && !c.GetProperty("leader").GetBoolean(),
            TimeSpan.FromSeconds(60), "the second ingest node up as a standby");

        await using var seen = await Recorder.WatchAsync(edge.BaseUri, "BTCUSDT");
        var before = seen.Updates.Last(u => u.Symbol == "BTCUSDT").Seq;

        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await leader.KillAsync();
        // The edge's clients hear of the new leader, then get its data: an OI reading taken after the kill.
        await Wait.UntilAsync(() => seen.Feeds.Any(f => f is { Feed: "cluster", Message: { } m } && m.Contains("standby-2", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "feedStatus cluster naming the new leader");
        var heardAt = seen.Updates.Count;
        await Wait.UntilAsync(() => seen.Updates.Skip(heardAt).Any(u => u.Symbol == "BTCUSDT" && u.OiTime > killedAt), TimeSpan.FromSeconds(60),
            "a BTCUSDT OI reading taken after the kill, through the edge");
        Assert.True(seen.Updates.Last(u => u.Symbol == "BTCUSDT").Seq > before);
        seen.AssertSeqRises("BTCUSDT");
        Assert.Equal(0, sim.Faults.TooManyRequests);
        Assert.Equal(0, sim.Faults.Bans);

        // No hole in the shared history across the change of leader.
        await AssertNoHoleInHistoryAsync();
    }

    [Fact]
    public async Task Redis_gone_for_10_s_the_edge_says_degraded_serves_on_and_everything_resumes_by_itself()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await StartLeaderAsync(sim, redis);
        await using var edge = await StartEdgeAsync(sim, redis, "edge-a");

        await using var seen = await Recorder.WatchAsync(edge.BaseUri, "BTCUSDT", "ETHUSDT");

        await redis.StopAsync();
        await Wait.UntilAsync(() => seen.Feeds.Any(f => f is { Feed: "cluster", State: "degraded", Message: { } m } && m.Contains("Redis", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(15), "feedStatus cluster: degraded, naming Redis");
        // Degraded, not down: the edge still answers what it holds, and says why.
        using (var r = await edge.Http.GetAsync(new Uri(edge.BaseUri, "/readyz")))
        {
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            Assert.Contains("Redis", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(200, (int)(await edge.Http.GetAsync(new Uri(edge.BaseUri, "/api/v1/instruments/BTCUSDT"))).StatusCode);
        // The alert rule's metric (docs/monitoring/oistream-alerts.yml) says so too.
        await Wait.UntilAsync(async () => System.Text.RegularExpressions.Regex.IsMatch(await edge.Http.GetStringAsync(new Uri(edge.BaseUri, "/metrics")), @"^oistream_replication_degraded(\{[^}]*\})? 1$", System.Text.RegularExpressions.RegexOptions.Multiline),
            TimeSpan.FromSeconds(15), "oistream_replication_degraded 1 at the edge's /metrics");
        await Wait.UntilAsync(async () => (await GetAsync(leader, "/api/v1/status")).GetProperty("cluster").GetProperty("replication").GetProperty("state").GetString() == "degraded",
            TimeSpan.FromSeconds(15), "the leader's replication degraded");
        await Task.Delay(TimeSpan.FromSeconds(10) - TimeSpan.FromSeconds(1)); // the outage the issue names: 10 s in all
        var restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var heard = seen.Updates.Count;
        await redis.StartServerAsync();

        await Wait.UntilAsync(() => seen.Feeds.Reverse().FirstOrDefault(f => f.Feed == "cluster") is { State: "following" }, TimeSpan.FromSeconds(30), "feedStatus cluster: following again");
        await Wait.UntilAsync(() => seen.Updates.Skip(heard).Any(u => u.Symbol == "BTCUSDT" && u.PriceTime > restartedAt), TimeSpan.FromSeconds(30),
            "fresh BTCUSDT updates after Redis is back");
        seen.AssertSeqRises("BTCUSDT");
        seen.AssertSeqRises("ETHUSDT");
        Assert.Equal("publishing", (await GetAsync(leader, "/api/v1/status")).GetProperty("cluster").GetProperty("replication").GetProperty("state").GetString());
        Assert.True(await ReadyAsync(edge.Http, edge.BaseUri));
        // A new edge started now reads the whole state from the restarted (empty) Redis: the leader stored it again.
        await using var late = await StartEdgeAsync(sim, redis, "edge-late");
        Assert.Equal((await GetAsync(leader, "/api/v1/instruments")).GetArrayLength(), (await GetAsync(late, "/api/v1/instruments")).GetArrayLength());
    }

    [Fact]
    public async Task PostgreSQL_restarted_the_leader_steps_down_then_leads_again_and_the_history_has_no_hole()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await StartLeaderAsync(sim, redis);
        await using var edge = await StartEdgeAsync(sim, redis, "edge-a");
        await using var seen = await Recorder.WatchAsync(edge.BaseUri, "BTCUSDT");

        // Without PostgreSQL the leader cannot confirm its lease, so it stops ingesting (two ingesters must never
        // poll at once); the edge says it hears no leader and serves what it holds.
        await postgres.Server.StopAsync();
        try
        {
            await Wait.UntilAsync(() => seen.Feeds.Any(f => f is { Feed: "cluster", State: "degraded", Message: { } m } && m.Contains("no word from the leader", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "feedStatus cluster: degraded, the leader silent");
            Assert.Equal(200, (int)(await edge.Http.GetAsync(new Uri(edge.BaseUri, "/api/v1/instruments/BTCUSDT"))).StatusCode);
        }
        finally
        {
            await postgres.Server.StartServerAsync();
        }
        var restartedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var heard = seen.Updates.Count;
        await Wait.UntilAsync(() => seen.Feeds.Reverse().FirstOrDefault(f => f.Feed == "cluster") is { State: "following" }, TimeSpan.FromSeconds(60), "following the leader again");
        await Wait.UntilAsync(() => seen.Updates.Skip(heard).Any(u => u.Symbol == "BTCUSDT" && u.OiTime > restartedAt), TimeSpan.FromSeconds(60),
            "a BTCUSDT OI reading taken after the restart, through the edge");
        seen.AssertSeqRises("BTCUSDT");
        var history = (await GetAsync(leader, "/api/v1/status")).GetProperty("history");
        Assert.Equal(0, history.GetProperty("dropped").GetInt64());
        await AssertNoHoleInHistoryAsync();
        Assert.Equal(0, sim.Faults.TooManyRequests);
    }

    [Fact]
    public async Task An_edge_killed_its_clients_move_through_the_load_balancer_to_the_other_edge_and_resubscribe()
    {
        var (port1, port2) = (Ports.Free(), Ports.Free());
        await using var redis = await RedisServer.StartAsync();
        await using var sim = await SimulatorServer.StartAsync(Market, Ports.Free());
        await using var leader = await StartLeaderAsync(sim, redis);
        await using var edge1 = await StartEdgeAsync(sim, redis, "edge-1", port1);
        await using var edge2 = await StartEdgeAsync(sim, redis, "edge-2", port2);
        await using var haproxy = await HaproxyProcess.StartAsync(port1, port2);
        await using var seen = await Recorder.WatchAsync(haproxy.Front, "BTCUSDT");
        var reconnected = 0;
        seen.Client.Reconnected += () => Interlocked.Increment(ref reconnected);

        // Kill the edge the client is on.
        var onFirst = (await GetAsync(edge1, "/api/v1/status")).GetProperty("clients").GetInt32() > 0;
        var (victim, survivor) = onFirst ? (edge1, edge2) : (edge2, edge1);
        // A client given the edges' URLs itself (no load balancer): first a hub that is not there, then the victim.
        var dead = new Uri($"http://127.0.0.1:{Ports.Free()}");
        await using var direct = await Recorder.WatchAsync(dead, new OiStreamClientOptions { FallbackHubUrls = [victim.BaseUri, survivor.BaseUri], ReconnectDelays = [TimeSpan.Zero, TimeSpan.FromMilliseconds(500)] }, "BTCUSDT");
        Assert.Equal(new Uri(victim.BaseUri, "/hubs/oi"), direct.Client.ConnectedHubUrl);
        Assert.True((await GetAsync(victim, "/api/v1/status")).GetProperty("clients").GetInt32() > 0, "the client is on one of the edges");
        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await victim.KillAsync();

        await Wait.UntilAsync(() => Volatile.Read(ref reconnected) > 0, TimeSpan.FromSeconds(60), "the client reconnected through HAProxy");
        await Wait.UntilAsync(async () => (await GetAsync(survivor, "/api/v1/status")).GetProperty("clients").GetInt32() > 0, TimeSpan.FromSeconds(30),
            "the client on the other edge");
        await Wait.UntilAsync(() => seen.Updates.Any(u => u.Symbol == "BTCUSDT" && u.PriceTime > killedAt), TimeSpan.FromSeconds(30),
            "BTCUSDT updates again, from the other edge, without subscribing by hand");
        seen.AssertSeqRises("BTCUSDT");
        // The direct client moved to the other edge by itself.
        await Wait.UntilAsync(() => direct.Updates.Any(u => u.Symbol == "BTCUSDT" && u.PriceTime > killedAt), TimeSpan.FromSeconds(30), "the direct client on the other edge");
        Assert.Equal(new Uri(survivor.BaseUri, "/hubs/oi"), direct.Client.ConnectedHubUrl);
        direct.AssertSeqRises("BTCUSDT");
    }
}
