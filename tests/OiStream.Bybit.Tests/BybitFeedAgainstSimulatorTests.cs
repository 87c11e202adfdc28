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

namespace OiStream.Bybit.Tests;

/// <summary>The Bybit feed against the simulator's Bybit face: paged discovery, history valued with the mark klines, and the stream's single-side OI.</summary>
public class BybitFeedAgainstSimulatorTests
{
    [Fact]
    public async Task Discovery_over_pages_history_and_the_stream_give_what_the_simulator_holds()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { UsdmCoins = 30, CoinmCoins = 2, BybitCoins = 30, OkxCoins = 0, Options = false });
        using var http = new HttpClient();
        var channel = Channel.CreateUnbounded<MarketEvent>();
        var options = new VenueOptions { Rest = sim.BaseUri, Stream = new Uri(sim.WebSocketUri, "/v5/public"), Backfill = TimeSpan.FromHours(2) };
        var feed = new BybitFeed(options, http, channel.Writer, TimeProvider.System, NullLogger<BybitFeed>.Instance) { PageSize = 7 };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var run = feed.RunAsync(cts.Token);

        // Every trading contract, over pages of 7, as BYBIT: ids; the pre-launch one is not listed.
        var instruments = (InstrumentListChange)(await PushFeedHarness.NextAsync(channel, MarketEventKind.Instruments, cts.Token)).Payload!;
        var truth = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/bybit/truth")))!;
        Assert.Equal(truth.Select(t => "BYBIT:" + t.GetProperty("symbol").GetString()).Order(), instruments.Upsert.Select(i => i.Symbol).Order());
        Assert.True(instruments.Upsert.Count > 14, "more than two pages");
        Assert.DoesNotContain(instruments.Upsert, i => i.Symbol == "BYBIT:NEWUSDT");
        var inverse = instruments.Upsert.Single(i => i.Symbol == "BYBIT:BTCUSD");
        Assert.Equal((Market.CoinM, "BTC", "PERPETUAL", 1.0), (inverse.Market, inverse.Coin, inverse.ContractType, inverse.ContractSize));
        Assert.Equal("1000PEPE", instruments.Upsert.Single(i => i.Symbol == "BYBIT:1000PEPEUSDT").Coin);

        // History: single-side OI, valued with the mark of its own five minutes.
        var history = ((HistoryBackfill)(await PushFeedHarness.NextAsync(channel, MarketEventKind.HistoryBatch, cts.Token)).Payload!).Rows;
        var btc = history.Where(r => r.Symbol == "BYBIT:BTCUSDT").OrderBy(r => r.Time).ToList();
        Assert.InRange(btc.Count, 24, 25);
        var newest = btc[^1];
        var oi = await http.GetFromJsonAsync<JsonElement>(new Uri(sim.BaseUri, $"/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min&endTime={newest.Time}&limit=1"));
        var kline = await http.GetFromJsonAsync<JsonElement>(new Uri(sim.BaseUri, $"/v5/market/mark-price-kline?category=linear&symbol=BTCUSDT&interval=5&end={newest.Time}&limit=1"));
        var row = oi.GetProperty("result").GetProperty("list")[0];
        Assert.Equal(newest.Time.ToString(CultureInfo.InvariantCulture), row.GetProperty("timestamp").GetString());
        var single = double.Parse(row.GetProperty("singleOpenInterest").GetString()!, CultureInfo.InvariantCulture);
        var mark = double.Parse(kline.GetProperty("result").GetProperty("list")[0][4].GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(single, newest.Value, 9);
        Assert.Equal(single * mark, newest.Extra, 3);

        // The stream, with the market standing still (freeze), after a reconnect: one side's OI, linear in coins and inverse in USD, as the truth.
        // The market stands still and the sockets start again from snapshots; what arrives from here comes from them.
        await PushFeedHarness.FreezeAndReconnectAsync(feed, () => http.PostAsync(new Uri(sim.BaseUri, "/admin/freeze?seconds=60"), null), () => sim.Bybit.DropAll(), channel, cts.Token);
        var want = truth.ToDictionary(t => "BYBIT:" + t.GetProperty("symbol").GetString());
        var linearTruth = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/bybit/truth?symbol=BTCUSDT")))![0].GetProperty("openInterestCoin").GetDouble();
        var inverseTruth = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(sim.BaseUri, "/admin/bybit/truth?symbol=BTCUSD")))![0].GetProperty("openInterestUsd").GetDouble();
        bool linearSeen = false, inverseSeen = false;
        while (!(linearSeen && inverseSeen))
        {
            var e = await PushFeedHarness.NextAsync(channel, MarketEventKind.OpenInterest, cts.Token);
            linearSeen |= e.Symbol == "BYBIT:BTCUSDT" && Math.Abs(e.Value - linearTruth) <= linearTruth * 1e-7;
            inverseSeen |= e.Symbol == "BYBIT:BTCUSD" && Math.Abs(e.Value - inverseTruth) <= 1;
        }
        Assert.Equal(0, feed.OrphanDeltas);
        Assert.Equal(0, feed.RejectedTopics);
        // Cancelled, the feed stops its sockets and returns.
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(15));
    }
}
