using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>The hub through the real .NET client: snapshots, updates, seq, bad input, coins, overview, many clients.</summary>
public class HubTests(HubHost host) : IClassFixture<HubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<OiStreamClient> ConnectAsync()
    {
        var client = new OiStreamClient(host.HubUri);
        await client.StartAsync();
        return client;
    }

    [Fact]
    public async Task Subscribe_returns_a_full_snapshot_and_updates_follow_with_seq_increasing_by_one()
    {
        await using var client = await ConnectAsync();
        var updates = new ConcurrentQueue<InstrumentState>();
        client.InstrumentReceived += updates.Enqueue;
        var snapshot = Assert.Single(await client.SubscribeAsync(["btcusdt"]));

        Assert.Equal("BTCUSDT", snapshot.Symbol);
        Assert.Equal("usdm", snapshot.Market);
        Assert.Equal("BTC", snapshot.Coin);
        Assert.Equal("stable", snapshot.Margin);
        Assert.Equal("PERPETUAL", snapshot.ContractType);
        Assert.NotNull(snapshot.OpenInterest);
        Assert.Equal(snapshot.OpenInterest, snapshot.OpenInterestCoin);
        Assert.NotNull(snapshot.OpenInterestUsd);
        Assert.NotNull(snapshot.MarkPrice);
        Assert.NotNull(snapshot.FundingRate);
        Assert.Equal(["5m", "15m", "30m", "1h", "4h", "24h"], snapshot.Change.Keys);
        Assert.NotNull(snapshot.Change["24h"]);   // warmed from history: 24h figures from the first minute
        Assert.NotNull(snapshot.ChangeUsd["24h"]);
        Assert.NotNull(snapshot.PriceChange["24h"]);
        Assert.NotNull(snapshot.Signal["24h"]);
        Assert.NotNull(snapshot.OiTime);
        Assert.NotNull(snapshot.PriceTime);
        Assert.Equal("simulated", snapshot.Source);
        Assert.False(snapshot.Stale);

        await Wait.UntilAsync(() => updates.Count >= 4, Timeout, "4 updates");
        var seqs = updates.Select(u => u.Seq).ToList();
        Assert.Equal(snapshot.Seq + 1, seqs[0]);
        Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1), $"seq: {string.Join(",", seqs)}");
        Assert.All(updates, u => Assert.Equal("BTCUSDT", u.Symbol));
        Assert.Equal(0, client.GapsDetected);
    }

    [Fact]
    public async Task The_24h_change_is_exactly_what_the_simulators_history_implies()
    {
        await using var client = await ConnectAsync();
        var s = Assert.Single(await client.SubscribeAsync(["ETHUSDT"]));
        // The engine compares with the value as of the last 5-minute edge 24 h before the newest OI sample.
        var reference = (s.OiTime!.Value - 86_400_000) / 300_000 * 300_000;
        var rows = await JsonSerializer.DeserializeAsync<JsonElement>(await host.Http.GetStreamAsync(
            new Uri(host.Feeds.SimulatorUri!, $"/futures/data/openInterestHist?symbol=ETHUSDT&period=5m&limit=1&endTime={reference}")));
        var then = double.Parse(rows[0].GetProperty("sumOpenInterest").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(reference, rows[0].GetProperty("timestamp").GetInt64());
        Assert.Equal(((s.OpenInterest!.Value / then) - 1) * 100, s.Change["24h"]!.Value, 6);
    }

    [Fact]
    public async Task No_message_arrives_for_symbols_not_subscribed_and_unsubscribe_stops_updates()
    {
        await using var client = await ConnectAsync();
        var seen = new ConcurrentBag<string>();
        client.InstrumentReceived += s => seen.Add(s.Symbol);
        await client.SubscribeAsync(["SOLUSDT"]);
        await Wait.UntilAsync(() => seen.Count >= 3, Timeout, "SOLUSDT updates");
        Assert.All(seen, s => Assert.Equal("SOLUSDT", s));
        await client.UnsubscribeAsync(["SOLUSDT"]);
        await client.SubscribeAsync(["XRPUSDT"]);
        seen.Clear();
        await Wait.UntilAsync(() => seen.Count(s => s == "XRPUSDT") >= 3, Timeout, "XRPUSDT updates");
        Assert.DoesNotContain("SOLUSDT", seen);
    }

    [Fact]
    public async Task Bad_input_names_the_problem_and_the_connection_stays_usable()
    {
        await using var client = await ConnectAsync();
        var unknown = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(["NOPEUSDT", "BTCUSDT"]));
        Assert.Contains("'NOPEUSDT'", unknown.Message, StringComparison.Ordinal);
        Assert.StartsWith("Unknown symbol 'NOPEUSDT'", unknown.Message, StringComparison.Ordinal); // the hub's own message, unwrapped
        Assert.Contains("/api/v1/instruments", unknown.Message, StringComparison.Ordinal);
        var empty = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync([]));
        Assert.Contains("No symbols given", empty.Message, StringComparison.Ordinal);
        var tooMany = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT", "ADAUSDT"]));
        Assert.Contains("at most 6", tooMany.Message, StringComparison.Ordinal);
        var coin = await Assert.ThrowsAsync<HubException>(() => client.SubscribeCoinsAsync(["NOPE"]));
        Assert.Contains("Unknown coin 'NOPE'", coin.Message, StringComparison.Ordinal);

        // Still connected and usable.
        Assert.Equal("ETHUSDT", Assert.Single(await client.SubscribeAsync(["ETHUSDT"])).Symbol);
    }

    [Fact]
    public async Task Coin_aggregates_and_the_overview_work()
    {
        await using var client = await ConnectAsync();
        var coins = new ConcurrentQueue<CoinState>();
        var overview = new ConcurrentQueue<IReadOnlyList<InstrumentState>>();
        client.CoinReceived += coins.Enqueue;
        client.OverviewReceived += overview.Enqueue;

        var btc = Assert.Single(await client.SubscribeCoinsAsync(["btc"]));
        Assert.Equal("BTC", btc.Coin);
        Assert.True(btc.OpenInterestUsdByStableMargin > 0 && btc.OpenInterestUsdByCoinMargin > 0, "both margins present");
        Assert.Equal(btc.OpenInterestUsdByStableMargin + btc.OpenInterestUsdByCoinMargin, btc.OpenInterestUsd, 0);
        Assert.NotNull(btc.Change["24h"]);

        var rows = await client.SubscribeOverviewAsync();
        Assert.True(rows.Length > 30, $"overview rows: {rows.Length}");
        await Wait.UntilAsync(() => coins.Any(c => c.Coin == "BTC") && overview.Any(b => b.Count > 1), Timeout, "coin and overview updates");
        // Options OI is polled and streamed after start-up; it shows beside the futures sums, not in them.
        await Wait.UntilAsync(() => coins.Any(c => c.OptionsOpenInterestUsd > 0), Timeout, "options OI beside the BTC sums");
        var withOptions = coins.Last(c => c.OptionsOpenInterestUsd > 0);
        Assert.Equal(withOptions.OpenInterestUsdByStableMargin + withOptions.OpenInterestUsdByCoinMargin, withOptions.OpenInterestUsd, 0);
        Assert.All(coins, c => Assert.Equal("BTC", c.Coin));
    }

    [Fact]
    public async Task Fifty_clients_receive_updates_and_one_killed_mid_stream_leaves_the_others_unaffected()
    {
        var symbols = new[] { "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT" };
        var clients = new List<OiStreamClient>();
        var counts = new ConcurrentDictionary<int, int>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var client = new OiStreamClient(host.HubUri);
                var n = i;
                client.InstrumentReceived += _ => counts.AddOrUpdate(n, 1, (_, c) => c + 1);
                clients.Add(client);
            }
            await Task.WhenAll(clients.Select(c => c.StartAsync()));
            await Task.WhenAll(clients.Select((c, i) => c.SubscribeAsync([symbols[i % symbols.Length]])));
            await Wait.UntilAsync(() => counts.Count == 50 && counts.Values.All(c => c >= 2), Timeout, "every client receiving");

            // Kill one without a goodbye, mid-stream.
            await clients[0].DisposeAsync();
            var before = counts.ToDictionary(kv => kv.Key, kv => kv.Value);
            await Wait.UntilAsync(() => Enumerable.Range(1, 49).All(i => counts[i] >= before[i] + 3), Timeout, "the other 49 keep receiving");
        }
        finally
        {
            foreach (var c in clients.Skip(1))
            {
                await c.DisposeAsync();
            }
        }
    }
}

/// <summary>REST of protocol v1 against the real host.</summary>
public class RestTests(HubHost host) : IClassFixture<HubHost>
{
    [Fact]
    public async Task Instruments_and_one_instrument_are_served_and_an_unknown_symbol_is_a_clear_404()
    {
        var all = await host.GetJsonAsync<JsonElement>("/api/v1/instruments");
        Assert.True(all.GetArrayLength() > 30);
        var one = await host.GetJsonAsync<JsonElement>("/api/v1/instruments/btcusdt");
        Assert.Equal("BTCUSDT", one.GetProperty("symbol").GetString());
        Assert.Equal("simulated", one.GetProperty("source").GetString());

        using var missing = await host.Http.GetAsync(new Uri(host.BaseUri, "/api/v1/instruments/NOPE"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = JsonSerializer.Deserialize<JsonElement>(await missing.Content.ReadAsStringAsync());
        Assert.Equal(-1121, error.GetProperty("code").GetInt32());
        Assert.Contains("'NOPE'", error.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task COIN_M_contracts_are_valued_by_contract_size_not_by_price()
    {
        await Wait.UntilAsync(async () => (await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSD_PERP")).GetProperty("markPrice").ValueKind == JsonValueKind.Number,
            TimeSpan.FromSeconds(30), "BTCUSD_PERP priced");
        var s = await host.GetJsonAsync<JsonElement>("/api/v1/instruments/BTCUSD_PERP");
        Assert.Equal("coinm", s.GetProperty("market").GetString());
        Assert.Equal("coin", s.GetProperty("margin").GetString());
        var contracts = s.GetProperty("openInterest").GetDouble();
        var usd = s.GetProperty("openInterestUsd").GetDouble();
        var coins = s.GetProperty("openInterestCoin").GetDouble();
        var mark = s.GetProperty("markPrice").GetDouble();
        // BTC's COIN-M contract is worth 100 USD: USD = contracts × 100, coins = USD ÷ mark (never contracts × price).
        Assert.Equal(contracts * 100, usd, usd * 1e-12);
        Assert.Equal(usd / mark, coins, coins * 1e-12);
        Assert.NotEqual(contracts * mark, usd, usd * 1e-3);
    }

    [Fact]
    public async Task Exchange_list_is_CoinGlass_shaped_and_All_is_the_sum_of_the_exchanges()
    {
        var body = await host.GetJsonAsync<JsonElement>("/api/v1/open-interest/exchange-list?symbol=BTC");
        Assert.Equal("0", body.GetProperty("code").GetString());
        Assert.Equal("success", body.GetProperty("msg").GetString());
        var rows = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("All", rows[0].GetProperty("exchange").GetString());
        Assert.Equal(["Binance", "Bybit", "OKX"], rows.Skip(1).Select(r => r.GetProperty("exchange").GetString()).Order());

        // Every row has the fields of CoinGlass's own answer (seeds/002, fixtures), each of the same JSON type; the All
        // row adds partial and missing_exchanges, a venue's row stale, and nothing else.
        var fixture = JsonDocument.Parse(await File.ReadAllTextAsync(SharedFixture("coinglass-exchange-list.json"))).RootElement;
        var expected = fixture.GetProperty("data")[0].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind);
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            string[] extra = i == 0 ? ["missing_exchanges", "partial"] : ["stale"];
            Assert.Equal(expected.Keys.Concat(extra).Order(), row.EnumerateObject().Select(p => p.Name).Order());
            Assert.All(expected, f => Assert.Equal(f.Value, row.GetProperty(f.Key).ValueKind));
        }

        // All is the sum of the venues' rows, field by field (each rounded to 4 decimals, or 2 for the stable USD).
        foreach (var field in new[] { "open_interest_usd", "open_interest_quantity", "open_interest_by_stable_coin_margin", "open_interest_quantity_by_coin_margin", "open_interest_quantity_by_stable_coin_margin" })
        {
            var sum = rows.Skip(1).Sum(r => r.GetProperty(field).GetDouble());
            Assert.Equal(rows[0].GetProperty(field).GetDouble(), sum, 0.05);
            Assert.All(rows.Skip(1), r => Assert.True(r.GetProperty(field).GetDouble() > 0, $"{r.GetProperty("exchange")} {field} > 0 (every venue lists BTC stable- and coin-margined contracts)"));
        }
        // Binance's row is the Binance part of the coin aggregate, and so on for each venue.
        var coin = (await host.GetJsonAsync<JsonElement[]>("/api/v1/coins"))!.Single(c => c.GetProperty("coin").GetString() == "BTC");
        var shares = coin.GetProperty("exchanges").EnumerateArray().ToDictionary(e => e.GetProperty("exchange").GetString()!);
        Assert.Equal(["binance", "bybit", "okx"], shares.Keys);
        foreach (var row in rows.Skip(1))
        {
            var share = shares[row.GetProperty("exchange").GetString()!.ToLowerInvariant()];
            var usd = share.GetProperty("openInterestUsd").GetDouble();
            Assert.Equal(usd, row.GetProperty("open_interest_usd").GetDouble(), usd * 1e-3);
            Assert.Equal(share.GetProperty("openInterestCoinByCoinMargin").GetDouble(), row.GetProperty("open_interest_quantity_by_coin_margin").GetDouble(),
                (share.GetProperty("openInterestCoinByCoinMargin").GetDouble() * 1e-3) + 1e-4);
        }
        Assert.Equal(coin.GetProperty("openInterestUsd").GetDouble(), shares.Values.Sum(s => s.GetProperty("openInterestUsd").GetDouble()), coin.GetProperty("openInterestUsd").GetDouble() * 1e-9);
    }

    // ../shared/fixtures beside the repository (CI lays shared/ there too).
    private static string SharedFixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "shared", "fixtures", name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{name} not found in a shared/fixtures folder above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public async Task History_is_Binance_shaped_and_bad_queries_get_a_400_that_says_how_to_fix_them()
    {
        var rows = await host.GetJsonAsync<JsonElement>("/api/v1/open-interest/history?symbol=BTCUSDT&period=1h&limit=5");
        Assert.Equal(5, rows.GetArrayLength());
        var first = rows[0];
        Assert.Equal("BTCUSDT", first.GetProperty("symbol").GetString());
        Assert.Equal(JsonValueKind.String, first.GetProperty("sumOpenInterest").ValueKind);
        Assert.Equal(JsonValueKind.String, first.GetProperty("sumOpenInterestValue").ValueKind);
        Assert.Equal(0, first.GetProperty("timestamp").GetInt64() % 3_600_000);

        // startTime and endTime bound the rows, inclusive, for any range; a range before everything held is empty.
        var last = rows[4].GetProperty("timestamp").GetInt64();
        var from = last - (10 * 3_600_000L);
        var to = last - (3 * 3_600_000L);
        var ranged = await host.GetJsonAsync<JsonElement>($"/api/v1/open-interest/history?symbol=BTCUSDT&period=1h&startTime={from}&endTime={to}&limit=500");
        Assert.Equal(Enumerable.Range(0, 8).Select(i => from + (i * 3_600_000L)), ranged.EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()));
        var capped = await host.GetJsonAsync<JsonElement>($"/api/v1/open-interest/history?symbol=BTCUSDT&period=1h&startTime={from}&endTime={to}&limit=3");
        Assert.Equal([from, from + 3_600_000L, from + 7_200_000L], capped.EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()));
        var upTo = await host.GetJsonAsync<JsonElement>($"/api/v1/open-interest/history?symbol=BTCUSDT&period=1h&endTime={to}&limit=2");
        Assert.Equal([to - 3_600_000L, to], upTo.EnumerateArray().Select(r => r.GetProperty("timestamp").GetInt64()));
        Assert.Equal(0, (await host.GetJsonAsync<JsonElement>("/api/v1/open-interest/history?symbol=BTCUSDT&endTime=1000")).GetArrayLength());

        foreach (var (query, needle) in new[]
        {
            ("symbol=BTCUSDT&period=7m", "'period'"),
            ("symbol=BTCUSDT&limit=0", "'limit'"),
            ("symbol=BTCUSDT&limit=abc", "'limit'"),
            ("symbol=BTCUSDT&startTime=yesterday", "'startTime'"),
            ("symbol=BTCUSDT&startTime=2000&endTime=1000", "after 'endTime'"),
            ("period=5m", "'symbol' is required"),
        })
        {
            using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "/api/v1/open-interest/history?" + query));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(needle, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Health_readiness_and_status_report_the_feeds()
    {
        using var health = await host.Http.GetAsync(new Uri(host.BaseUri, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // Bybit and OKX say degraded until their feeds are live (readiness does not wait for them).
        JsonElement report = default;
        await Wait.UntilAsync(async () =>
        {
            using var ready = await host.Http.GetAsync(new Uri(host.BaseUri, "/readyz"));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            report = JsonSerializer.Deserialize<JsonElement>(await ready.Content.ReadAsStringAsync());
            return report.GetProperty("status").GetString() == "Healthy";
        }, TimeSpan.FromSeconds(60), "every check healthy");
        Assert.Equal(["binance-coinm", "binance-options", "binance-usdm", "bybit", "engine", "history-store", "okx"],
            report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order());
        Assert.All(report.GetProperty("checks").EnumerateArray(), c => Assert.Equal("Healthy", c.GetProperty("status").GetString()));
        Assert.Equal("self", JsonSerializer.Deserialize<JsonElement>(await health.Content.ReadAsStringAsync()).GetProperty("checks")[0].GetProperty("name").GetString());
        var status = await host.GetJsonAsync<JsonElement>("/api/v1/status");
        Assert.Equal("simulated", status.GetProperty("source").GetString());
        Assert.True(status.GetProperty("live").GetBoolean());
        Assert.Contains(status.GetProperty("streams").EnumerateArray(), s => s.GetProperty("feed").GetString() == "usdm-ws");
        Assert.Contains(status.GetProperty("weight").EnumerateArray(), w => w.GetProperty("api").GetString() == "UsdM" && w.GetProperty("budget").GetInt32() == 1920);
        Assert.All(status.GetProperty("feeds").EnumerateArray(), f => Assert.Equal("simulated", f.GetProperty("source").GetString()));
    }
}

/// <summary>Simulator faults seen through the hub: feed status, stale flags, recovery.</summary>
public class FaultTests(FaultHubHost fixture) : IClassFixture<FaultHubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Dropped_sockets_a_REST_outage_and_a_429_storm_show_as_feed_status_and_stale_data_then_recover()
    {
        var host = fixture.Host;
        await using var watched = await WatchAsync(host, "BTCUSDT");
        var (feeds, updates) = (watched.Feeds, watched.Updates);

        await host.SimulatorAdminAsync("drop-sockets");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-ws" && f.State == "disconnected")
            && feeds.Any(f => f.Feed == "usdm-ws" && f.State == "recovered"), Timeout, "usdm-ws disconnected, then recovered");
        Assert.All(feeds, f => Assert.Equal("simulated", f.Source));

        // REST answers 503 for 8 s: OI polls fail, OI ages past the 4 s threshold, the instrument turns stale.
        await host.SimulatorAdminAsync("http5xx?seconds=8");
        await Wait.UntilAsync(() => updates.Any(u => u.Stale), Timeout, "BTCUSDT stale");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-rest" && f.State == "disconnected"), Timeout, "usdm-rest failing");
        var staleAt = updates.Last(u => u.Stale).Seq;
        await Wait.UntilAsync(() => updates.Any(u => u.Seq > staleAt && !u.Stale), Timeout, "BTCUSDT fresh again");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-rest" && f.State == "recovered"), Timeout, "usdm-rest recovered");

        // A 429 storm: the feed reports it is rate-limited, waits it out without a ban, and recovers.
        var recoveries = feeds.Count(f => f.Feed == "usdm-rest" && f.State == "recovered");
        await host.SimulatorAdminAsync("rate-limit-storm?seconds=3");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-rest" && f.State == "rateLimited"), Timeout, "usdm-rest rate-limited");
        await Wait.UntilAsync(() => feeds.Count(f => f.Feed == "usdm-rest" && f.State == "recovered") > recoveries, Timeout, "usdm-rest recovered from the storm");
        var stats = JsonSerializer.Deserialize<JsonElement>(await host.Http.GetStringAsync(new Uri(host.Feeds.SimulatorUri!, "/admin/stats")));
        Assert.Equal(0, stats.GetProperty("bans").GetInt64());
    }

    [Fact]
    public async Task A_socket_that_stays_open_but_silent_is_noticed_by_the_watchdog_and_replaced()
    {
        var host = fixture.Host;
        await using var watched = await WatchAsync(host, "ETHUSDT");
        var (feeds, updates) = (watched.Feeds, watched.Updates);
        await Wait.UntilAsync(() => updates.Any(u => u.PriceTime is not null), Timeout, "ETHUSDT mark prices");
        var trips = UsdmTrips(await host.GetJsonAsync<JsonElement>("/api/v1/status"));

        // Sockets stay open and send nothing for 12 s; the hub's watchdog (3 s here) must not wait for a close.
        await host.SimulatorAdminAsync("silent?seconds=12");
        await Wait.UntilAsync(async () => UsdmTrips(await host.GetJsonAsync<JsonElement>("/api/v1/status")) > trips, Timeout, "the usd-m watchdog tripping");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-ws" && f.State is "stale" or "disconnected"), Timeout, "usdm-ws reported as down");
        // Still ready (the other markets and the store are fine), but degraded, saying which socket and why.
        await Wait.UntilAsync(async () =>
        {
            using var ready = await host.Http.GetAsync(new Uri(host.BaseUri, "/readyz"));
            var report = JsonSerializer.Deserialize<JsonElement>(await ready.Content.ReadAsStringAsync());
            var usdm = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "binance-usdm");
            return ready.StatusCode == HttpStatusCode.OK && report.GetProperty("status").GetString() == "Degraded"
                && usdm.GetProperty("status").GetString() == "Degraded" && usdm.GetProperty("description").GetString()!.StartsWith("usdm-ws ", StringComparison.Ordinal);
        }, Timeout, "/readyz degraded by usdm-ws");
        await Wait.UntilAsync(() => feeds.Any(f => f.Feed == "usdm-ws" && f.State == "recovered"), Timeout, "usdm-ws recovered");
        await Wait.UntilAsync(async () => JsonSerializer.Deserialize<JsonElement>(await host.Http.GetStringAsync(new Uri(host.BaseUri, "/readyz")))
            .GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "binance-usdm").GetProperty("status").GetString() == "Healthy",
            Timeout, "binance-usdm healthy again");
        var priceTime = updates.Where(u => u.PriceTime is not null).Max(u => u.PriceTime!.Value);
        await Wait.UntilAsync(() => updates.Any(u => u.PriceTime > priceTime), Timeout, "new mark prices after the silence");
    }

    /// <summary>A client subscribed to one symbol, with every feed status and update it received.</summary>
    private sealed record Watched(OiStreamClient Client, ConcurrentQueue<FeedStatus> Feeds, ConcurrentQueue<InstrumentState> Updates) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    private static async Task<Watched> WatchAsync(HubHost host, string symbol)
    {
        var watched = new Watched(new OiStreamClient(host.HubUri), new ConcurrentQueue<FeedStatus>(), new ConcurrentQueue<InstrumentState>());
        watched.Client.FeedStatusReceived += watched.Feeds.Enqueue;
        watched.Client.InstrumentReceived += watched.Updates.Enqueue;
        await watched.Client.StartAsync();
        await watched.Client.SubscribeAsync([symbol]);
        return watched;
    }

    private static long UsdmTrips(JsonElement status)
        => status.GetProperty("streams").EnumerateArray().Where(s => s.GetProperty("feed").GetString() == "usdm-ws").Sum(s => s.GetProperty("watchdogTrips").GetInt64());
}
