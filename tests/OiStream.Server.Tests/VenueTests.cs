using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>
/// Binance, Bybit and OKX in one hub, each against its own face of the simulator: instrument ids per venue, the
/// cross-venue coin aggregate and its split, and the exchange list's All row against each simulator's ground truth.
/// </summary>
public class VenueTests(HubHost host) : IClassFixture<HubHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_client_sees_the_three_venues_by_their_ids_and_the_coin_split_per_venue()
    {
        await using var client = new OiStreamClient(host.HubUri);
        await client.StartAsync();
        var updates = new ConcurrentQueue<InstrumentState>();
        client.InstrumentReceived += updates.Enqueue;
        // Ids are case-insensitive; Binance's symbols stay bare.
        var states = await client.SubscribeAsync(["btcusdt", "bybit:btcusdt", "Okx:Btc-Usd-Swap"]);
        Assert.Equal(["BTCUSDT", "BYBIT:BTCUSDT", "OKX:BTC-USD-SWAP"], states.Select(s => s.Symbol));
        Assert.Equal(["binance", "bybit", "okx"], states.Select(s => s.Exchange));
        Assert.Equal(["usdm", "usdm", "coinm"], states.Select(s => s.Market));
        Assert.Equal(["stable", "stable", "coin"], states.Select(s => s.Margin));
        Assert.All(states, s => Assert.Equal("simulated", s.Source));
        Assert.All(states, s => Assert.Equal("BTC", s.Coin));

        // Bybit and OKX push: fresh OI of both arrives over the hub, single-sided and in coins and USD.
        await Wait.UntilAsync(() => updates.Any(u => u.Symbol == "BYBIT:BTCUSDT" && u.OiTime > states[1].OiTime)
            && updates.Any(u => u.Symbol == "OKX:BTC-USD-SWAP" && u.OiTime > states[2].OiTime), Timeout, "pushed OI of Bybit and OKX");
        var okx = updates.Last(u => u.Symbol == "OKX:BTC-USD-SWAP");
        // OKX inverse: contracts of 100 USD; coins = USD ÷ mark.
        Assert.Equal(okx.OpenInterest!.Value * 100, okx.OpenInterestUsd!.Value, okx.OpenInterestUsd.Value * 1e-9);
        Assert.Equal(okx.OpenInterestUsd.Value / okx.MarkPrice!.Value, okx.OpenInterestCoin!.Value, okx.OpenInterestCoin.Value * 1e-9);

        var btc = Assert.Single(await client.SubscribeCoinsAsync(["BTC"]));
        Assert.Equal(["binance", "bybit", "okx"], btc.Exchanges.Select(e => e.Exchange));
        Assert.Equal(btc.OpenInterestUsd, btc.Exchanges.Sum(e => e.OpenInterestUsd), btc.OpenInterestUsd * 1e-9);
        Assert.Equal(btc.Instruments, btc.Exchanges.Sum(e => e.Instruments));
        Assert.All(btc.Exchanges, e => Assert.Equal(["5m", "15m", "30m", "1h", "4h", "24h"], e.Change.Keys));

        // An unknown venue id names the scheme.
        var unknown = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => client.SubscribeAsync(["KRAKEN:BTCUSD"]));
        Assert.Contains("KRAKEN:BTCUSD", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_All_row_and_every_venue_row_equal_an_independent_sum_of_each_simulators_ground_truth()
    {
        using var http = new HttpClient();
        var sim = host.Feeds.SimulatorUri!;
        // The market stands still, so the hub's figures and the truth can be compared exactly.
        await host.SimulatorAdminAsync("freeze?seconds=120");
        try
        {
            var instruments = (await host.GetJsonAsync<JsonElement[]>("/api/v1/instruments"))!;
            var binance = instruments.Where(i => i.GetProperty("exchange").GetString() == "binance" && i.GetProperty("coin").GetString() == "BTC"
                && i.GetProperty("market").GetString() != "options").Select(i => i.GetProperty("symbol").GetString()!).ToList();
            Assert.True(binance.Count >= 4, "BTC has several Binance futures");

            Dictionary<string, Sums>? expected = null;
            JsonElement[] rows = [];
            await Wait.UntilAsync(async () =>
            {
                expected = new Dictionary<string, Sums>
                {
                    ["Binance"] = await BinanceTruthAsync(http, sim, binance),
                    ["Bybit"] = await VenueTruthAsync(http, sim, "bybit"),
                    ["OKX"] = await VenueTruthAsync(http, sim, "okx"),
                };
                expected["All"] = expected.Values.Aggregate(new Sums(0, 0, 0, 0, 0), (a, b) => a + b);
                rows = [.. (await host.GetJsonAsync<JsonElement>("/api/v1/open-interest/exchange-list?symbol=BTC")).GetProperty("data").EnumerateArray()];
                return rows.Length == 4 && rows.All(r => expected[r.GetProperty("exchange").GetString()!].Matches(r));
            }, Timeout, "the exchange list equal to the simulators' ground truth");
            Assert.False(rows[0].GetProperty("partial").GetBoolean());
            Assert.Empty(rows[0].GetProperty("missing_exchanges").EnumerateArray());
            Assert.True(expected!["Bybit"].Usd > 0 && expected["OKX"].Usd > 0 && expected["Binance"].Usd > 0);
        }
        finally
        {
            await host.SimulatorAdminAsync("freeze?seconds=0");
        }
    }

    private sealed record Sums(double Usd, double Quantity, double UsdStable, double QuantityCoinMargin, double QuantityStable)
    {
        public static Sums operator +(Sums a, Sums b) => new(a.Usd + b.Usd, a.Quantity + b.Quantity, a.UsdStable + b.UsdStable,
            a.QuantityCoinMargin + b.QuantityCoinMargin, a.QuantityStable + b.QuantityStable);

        public static Sums Of(bool stable, double coin, double usd) => new(usd, coin, stable ? usd : 0, stable ? 0 : coin, stable ? coin : 0);

        public bool Matches(JsonElement row) =>
            Close(Usd, row, "open_interest_usd") && Close(Quantity, row, "open_interest_quantity") && Close(UsdStable, row, "open_interest_by_stable_coin_margin")
            && Close(QuantityCoinMargin, row, "open_interest_quantity_by_coin_margin") && Close(QuantityStable, row, "open_interest_quantity_by_stable_coin_margin");

        // The hub rounds to 4 decimals (2 for stable USD); the venues send quantities at their precision.
        private static bool Close(double expected, JsonElement row, string field) =>
            Math.Abs(row.GetProperty(field).GetDouble() - expected) <= (Math.Abs(expected) * 1e-6) + 0.01;
    }

    // Binance's unit rules, from the simulator's raw contract state: USDⓈ-M OI is coins, COIN-M OI contracts of contractSize USD.
    private static async Task<Sums> BinanceTruthAsync(HttpClient http, Uri sim, IEnumerable<string> symbols)
    {
        var sums = new Sums(0, 0, 0, 0, 0);
        foreach (var symbol in symbols)
        {
            var t = await http.GetFromJsonAsync<JsonElement>(new Uri(sim, "/admin/truth?symbol=" + symbol));
            var oi = t.GetProperty("openInterest").GetDouble();
            var mark = t.GetProperty("markPrice").GetDouble();
            sums += t.GetProperty("venue").GetString() == "usdm"
                ? Sums.Of(true, oi, oi * mark)
                : Sums.Of(false, oi * t.GetProperty("contractSize").GetDouble() / mark, oi * t.GetProperty("contractSize").GetDouble());
        }
        return sums;
    }

    private static async Task<Sums> VenueTruthAsync(HttpClient http, Uri sim, string venue)
    {
        var sums = new Sums(0, 0, 0, 0, 0);
        foreach (var t in (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim, $"/admin/{venue}/truth?coin=BTC")))!)
        {
            sums += Sums.Of(t.GetProperty("margin").GetString() == "stable", t.GetProperty("openInterestCoin").GetDouble(), t.GetProperty("openInterestUsd").GetDouble());
        }
        return sums;
    }
}
