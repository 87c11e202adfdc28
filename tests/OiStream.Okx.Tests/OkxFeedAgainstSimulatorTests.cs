using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Feeds;
using OiStream.Feeds.Testing;
using OiStream.Simulator;

namespace OiStream.Okx.Tests;

/// <summary>The OKX feed against the simulator's OKX face: discovery classed by ctType, rubik history, and the channels' OI per unit.</summary>
public class OkxFeedAgainstSimulatorTests
{
    [Fact]
    public async Task Discovery_history_and_the_channels_give_what_the_simulator_holds()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 30, CoinmCoins = 2, BybitCoins = 0, OkxCoins = 30, Options = false });
        using var http = new HttpClient();
        var channel = Channel.CreateUnbounded<MarketEvent>();
        var options = new VenueOptions { Rest = sim.BaseUri, Stream = new Uri(sim.WebSocketUri, "/ws/v5/public"), Backfill = TimeSpan.FromHours(9) };
        var feed = new OkxFeed(options, http, channel.Writer, TimeProvider.System, NullLogger<OkxFeed>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var run = feed.RunAsync(cts.Token);

        // Classed by ctType, not by the id: BTC-USD_UM-SWAP is linear (USD-settled), BTC-USD-SWAP inverse of 100 USD contracts.
        var instruments = (InstrumentListChange)(await PushFeedHarness.NextAsync(channel, MarketEventKind.Instruments, cts.Token)).Payload!;
        var truth = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/okx/truth")))!;
        Assert.Equal(truth.Select(t => "OKX:" + t.GetProperty("symbol").GetString()).Order(), instruments.Upsert.Select(i => i.Symbol).Order());
        Assert.DoesNotContain(instruments.Upsert, i => i.Symbol == "OKX:NEW-USDT-SWAP"); // preopen
        var um = instruments.Upsert.Single(i => i.Symbol == "OKX:BTC-USD_UM-SWAP");
        Assert.Equal((Market.UsdM, "BTC", "USD", "PERPETUAL"), (um.Market, um.Coin, um.QuoteAsset, um.ContractType));
        var inverse = instruments.Upsert.Single(i => i.Symbol == "OKX:BTC-USD-SWAP");
        Assert.Equal((Market.CoinM, "BTC", 100.0), (inverse.Market, inverse.Coin, inverse.ContractSize));
        Assert.Contains(instruments.Upsert, i => i.Symbol.StartsWith("OKX:BTC-USDT-", StringComparison.Ordinal) && i.ContractType == "FUTURES");

        // History: more than one page of 100 (9 h of five-minute rows), linear as (coins, USD), inverse as (contracts, coins).
        var history = ((HistoryBackfill)(await PushFeedHarness.NextAsync(channel, MarketEventKind.HistoryBatch, cts.Token)).Payload!).Rows;
        var linear = history.Where(r => r.Symbol == "OKX:BTC-USDT-SWAP").OrderBy(r => r.Time).ToList();
        Assert.InRange(linear.Count, 107, 109);
        var inverseRows = history.Where(r => r.Symbol == "OKX:BTC-USD-SWAP").OrderBy(r => r.Time).ToList();
        var page = await http.GetFromJsonAsync<JsonElement>(new Uri(sim.BaseUri, $"/api/v5/rubik/stat/contracts/open-interest-history?instId=BTC-USD-SWAP&end={inverseRows[^1].Time + 1}&limit=1"));
        var raw = page.GetProperty("data")[0].EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(inverseRows[^1].Time.ToString(CultureInfo.InvariantCulture), raw[0]);
        Assert.Equal(double.Parse(raw[1], CultureInfo.InvariantCulture), inverseRows[^1].Value, 6);
        Assert.Equal(double.Parse(raw[2], CultureInfo.InvariantCulture), inverseRows[^1].Extra, 9);

        // The channels, with the market standing still (freeze), after a reconnect: linear OI in coins (oiCcy), inverse in contracts, as the truth.
        // The market stands still and the sockets start again from snapshots; what arrives from here comes from them.
        await PushFeedHarness.FreezeAndReconnectAsync(feed, () => http.PostAsync(new Uri(sim.BaseUri, "/admin/freeze?seconds=60"), null), () => sim.Okx.DropAll(), channel, cts.Token);
        var linearCoins = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/okx/truth?symbol=BTC-USDT-SWAP")))![0].GetProperty("openInterestCoin").GetDouble();
        var inverseUsd = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/okx/truth?symbol=BTC-USD-SWAP")))![0].GetProperty("openInterestUsd").GetDouble();
        bool linearSeen = false, inverseSeen = false;
        while (!(linearSeen && inverseSeen))
        {
            var e = await PushFeedHarness.NextAsync(channel, MarketEventKind.OpenInterest, cts.Token);
            linearSeen |= e.Symbol == "OKX:BTC-USDT-SWAP" && Math.Abs(e.Value - linearCoins) <= linearCoins * 1e-9;
            inverseSeen |= e.Symbol == "OKX:BTC-USD-SWAP" && Math.Abs((e.Value * 100) - inverseUsd) <= inverseUsd * 1e-9;
        }
        Assert.Equal(0, feed.Refusals);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(15));
    }
}
