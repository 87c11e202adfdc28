using OiStream.Binance.Rest;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Simulator;

namespace OiStream.Binance.Tests;

/// <summary>The real adapter against the real simulator on loopback: sync, budget, 429, 418, socket faults.</summary>
public class AdapterAgainstSimulatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Initial_sync_covers_all_three_markets_with_history_marks_and_OI()
    {
        await using var h = await AdapterHarness.StartAsync(new SimulatorOptions());
        h.StartFeed();
        await Wait.UntilAsync(() => h.Feed.IsLive, Timeout, "feed live");

        var change = (InstrumentListChange)Assert.Single(h.Of(MarketEventKind.Instruments)).Payload!;
        var market = h.Simulator.Market;
        var usdm = change.Upsert.Where(i => i.Market == Market.UsdM).ToList();
        Assert.Equal(market.UsdM.Count(i => i.IsTrading), usdm.Count);
        Assert.DoesNotContain(usdm, i => i.Symbol is "OLDUSDT" or "NEWUSDT");
        var btcPerp = Assert.Single(change.Upsert, i => i.Symbol == "BTCUSD_PERP");
        Assert.Equal(100, btcPerp.ContractSize);
        Assert.Equal(10, Assert.Single(change.Upsert, i => i.Symbol == "ETHUSD_PERP").ContractSize);
        Assert.Equal(market.CoinM.Count, change.Upsert.Count(i => i.Market == Market.CoinM));
        Assert.Equal(8, change.Upsert.Count(i => i.Market == Market.Options)); // BTC and ETH, 4 expiries each

        var batch = ((HistoryBackfill)Assert.Single(h.Of(MarketEventKind.HistoryBatch)).Payload!).Rows;
        Assert.All(batch, r => Assert.Equal(0, r.Time % 300_000));
        // A warm start needs 24 h of 5m rows and one more (289) for every instrument with history.
        var perSymbol = batch.GroupBy(r => r.Symbol!).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(usdm, i => Assert.True(perSymbol.GetValueOrDefault(i.Symbol) >= 289, $"{i.Symbol}: {perSymbol.GetValueOrDefault(i.Symbol)} history rows"));

        // Every futures contract gets an OI reading within the maximum age, BTCUSDT a mark price from the stream.
        var futures = change.Upsert.Where(i => i.Market != Market.Options).Select(i => i.Symbol).ToHashSet();
        await Wait.UntilAsync(() => futures.All(s => h.Feed.Poller.LastOiTime(s) is not null), Timeout, "an OI reading of every futures contract");
        await Wait.UntilAsync(() => h.Feed.Streams.Single(s => s.Name == "usdm-ws").Events > 300, Timeout, "mark prices on the USD-M stream");
        await Wait.UntilAsync(() => h.Feed.Streams.Single(s => s.Name == "coinm-ws").Events > 0, Timeout, "mark prices on the COIN-M stream");
        await Wait.UntilAsync(() => h.Of(MarketEventKind.OpenInterest).Any(e => e.Symbol!.StartsWith("BTC-", StringComparison.Ordinal) && e.Extra > 0), Timeout, "options OI with a USD value");

        // The OI the adapter reports is what the simulator served: its value at the reading's exchange time, to the
        // three decimals it serves.
        var btc = h.Simulator.Market.Find(OiStream.Simulator.Market.SimVenue.UsdM, "BTCUSDT")!;
        var matched = false;
        await Wait.UntilAsync(() =>
        {
            double oi;
            long at;
            lock (h.Simulator.Market.Gate)
            {
                (oi, at) = (btc.OpenInterest, btc.OiTime);
            }
            if (h.Of(MarketEventKind.OpenInterest).Where(e => e.Symbol == "BTCUSDT" && e.Time == at).ToList() is [var r, ..])
            {
                Assert.Equal(Math.Round(oi, 3), r.Value);
                matched = true;
            }
            return matched;
        }, Timeout, "a BTCUSDT reading taken at the simulator's current OI time");
        Assert.Equal(0, h.Simulator.Faults.TooManyRequests);
    }

    [Fact]
    public async Task Polling_stays_within_the_budget_share_and_never_draws_a_429()
    {
        // A tiny limit (120/min, so 96 for us at 80 %) against a schedule that would like 30+ requests a second.
        await using var h = await AdapterHarness.StartAsync(new SimulatorOptions { UsdmCoins = 40, CoinmCoins = 2, WeightPerMinute = 120, Options = false },
            o => { o.CoinM = false; o.Options = false; o.MaxOiAge = TimeSpan.FromSeconds(1); });
        h.StartFeed();
        await Wait.UntilAsync(() => h.Feed.IsLive, Timeout, "feed live");
        await Wait.UntilAsync(() => h.Feed.Poller.Polls >= 20, Timeout, "20 polls");
        var usage = h.Governor.GetUsage(ApiFamily.UsdM);
        Assert.Equal(120, usage.Limit);
        Assert.Equal(96, usage.Budget);
        Assert.InRange(usage.UsedThisMinute, 1, 96);
        Assert.InRange(usage.ServerUsed, 0, 96);
        Assert.Equal(0, h.Simulator.Faults.TooManyRequests);
        Assert.Equal(0, h.Simulator.Faults.Bans);
    }

    [Fact]
    public async Task A_429_storm_is_waited_out_without_a_ban_and_polling_resumes()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.Options = false; o.MaxOiAge = TimeSpan.FromSeconds(2); });
        h.StartFeed();
        await Wait.UntilAsync(() => h.Feed.IsLive && h.Feed.Poller.Polls > 10, Timeout, "polling");
        await h.AdminAsync("rate-limit-storm?seconds=3");
        await Wait.UntilAsync(() => h.Governor.GetUsage(ApiFamily.UsdM).RateLimited > 0, Timeout, "a 429 seen by the governor");
        var afterStorm = h.Feed.Poller.Polls;
        await Wait.UntilAsync(() => h.Feed.Poller.Polls > afterStorm + 10, Timeout, "polling resumed after the storm");
        Assert.Equal(0, h.Simulator.Faults.Bans);
        Assert.Contains(h.Of(MarketEventKind.Feed), e => ((OiStream.Contracts.FeedStatus)e.Payload!).State == "rateLimited");
    }

    [Fact]
    public async Task A_418_ban_stops_every_call_to_that_API_until_it_ends()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.CoinM = false; o.Options = false; o.MaxOiAge = TimeSpan.FromSeconds(1); });
        h.StartFeed();
        await Wait.UntilAsync(() => h.Feed.IsLive && h.Feed.Poller.Polls > 10, Timeout, "polling");
        await h.AdminAsync("ban?seconds=3");
        await Wait.UntilAsync(() => h.Governor.GetUsage(ApiFamily.UsdM).Banned > 0, Timeout, "a 418 seen by the governor");
        // The ban's end as the simulator imposed it, not as the governor recorded it: a governor that records too short
        // a ban comes back early and is caught here.
        var bannedUntil = h.Simulator.Faults.LastBanUntil;
        var requestsAtBan = h.Simulator.Faults.Requests;
        // Requests already in flight may land (at most one per poll slot); after that, silence until the ban ends.
        var settled = requestsAtBan;
        await Wait.UntilAsync(() =>
        {
            var now = h.Simulator.Faults.Requests;
            var quiet = now == settled;
            settled = now;
            return quiet && h.Governor.GetUsage(ApiFamily.UsdM).Banned > 0;
        }, Timeout, "the requests in flight at the ban to land");
        Assert.InRange(settled - requestsAtBan, 0, h.Options.PollConcurrency);
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < bannedUntil - 200)
        {
            Assert.Equal(settled, h.Simulator.Faults.Requests);
            await Task.Delay(50);
        }
        var polls = h.Feed.Poller.Polls;
        await Wait.UntilAsync(() => h.Feed.Poller.Polls > polls + 5, Timeout, "polling resumed after the ban");
    }

    [Fact]
    public async Task A_dropped_socket_reconnects_and_data_flows_again()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.CoinM = false; o.Options = false; });
        h.StartFeed();
        var stream = await UsdmStream(h);
        await Wait.UntilAsync(() => stream.Events > 0, Timeout, "first frames");
        await h.AdminAsync("drop-sockets");
        await Wait.UntilAsync(() => stream.Connects >= 2, Timeout, "a reconnect");
        var frames = stream.Frames;
        await Wait.UntilAsync(() => stream.Frames > frames + 1, Timeout, "frames after the reconnect");
        Assert.Contains(h.Of(MarketEventKind.Feed), e => ((OiStream.Contracts.FeedStatus)e.Payload!).State == "recovered");
    }

    [Fact]
    public async Task A_silent_socket_is_declared_dead_by_the_watchdog()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.CoinM = false; o.Options = false; o.StreamWatchdog = TimeSpan.FromSeconds(1.5); });
        h.StartFeed();
        var stream = await UsdmStream(h);
        await Wait.UntilAsync(() => stream.Events > 0, Timeout, "first frames");
        await h.AdminAsync("silent?seconds=4");
        await Wait.UntilAsync(() => stream.WatchdogTrips >= 1 && stream.Connects >= 2, Timeout, "the watchdog to reconnect");
        var frames = stream.Frames;
        await Wait.UntilAsync(() => stream.Frames > frames + 1, Timeout, "frames once the silence ends");
        Assert.Contains(h.Of(MarketEventKind.Feed), e => ((OiStream.Contracts.FeedStatus)e.Payload!).State == "stale");
    }

    [Fact]
    public async Task Malformed_frames_are_skipped_and_counted_and_the_stream_goes_on()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.CoinM = false; o.Options = false; });
        h.StartFeed();
        var stream = await UsdmStream(h);
        await Wait.UntilAsync(() => stream.Events > 0, Timeout, "first frames");
        await h.AdminAsync("malformed?frames=3");
        await Wait.UntilAsync(() => stream.MalformedFrames >= 3, Timeout, "3 malformed frames counted");
        var events = stream.Events;
        await Wait.UntilAsync(() => stream.Events > events, Timeout, "good frames after the bad ones");
        Assert.Equal(1, stream.Connects);
    }

    [Fact]
    public async Task Binance_errors_are_mapped_with_their_code_and_message()
    {
        await using var h = await AdapterHarness.StartAsync();
        var unknown = await Assert.ThrowsAsync<BinanceApiException>(() => h.Rest.GetOpenInterestAsync(ApiFamily.UsdM, "NOPEUSDT", CancellationToken.None));
        Assert.Equal(400, unknown.Status);
        Assert.Equal(-1121, unknown.Code);
        Assert.Contains("Invalid symbol.", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("NOPEUSDT", unknown.Message, StringComparison.Ordinal);

        var settling = await Assert.ThrowsAsync<BinanceApiException>(() => h.Rest.GetOpenInterestAsync(ApiFamily.UsdM, "OLDUSDT", CancellationToken.None));
        Assert.Equal(-4108, settling.Code);

        var tooOld = await Assert.ThrowsAsync<BinanceApiException>(() => h.Rest.GetOpenInterestHistAsync(ApiFamily.UsdM, "BTCUSDT", null, "5m", 10,
            DateTimeOffset.UtcNow.AddDays(-40).ToUnixTimeMilliseconds(), null, CancellationToken.None));
        Assert.Equal(-1130, tooOld.Code);
        Assert.Contains("startTime", tooOld.BinanceMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_is_paginated_back_30_days_and_ends_at_the_live_value()
    {
        await using var h = await AdapterHarness.StartAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rows = await h.Rest.GetOpenInterestHistRangeAsync(ApiFamily.UsdM, "BTCUSDT", null, "5m", now - (35L * 86_400_000), now, CancellationToken.None);
        Assert.InRange(rows.Count, 8_640, 8_641);                      // 30 days of 5m rows: what Binance keeps
        var week = await h.Rest.GetOpenInterestHistRangeAsync(ApiFamily.CoinM, "BTCUSD", "PERPETUAL", "1h", now - (7L * 86_400_000), now, CancellationToken.None);
        Assert.InRange(week.Count, 167, 169);
        Assert.True(week.Zip(week.Skip(1)).All(p => p.Second.Time - p.First.Time == 3_600_000));
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.Second.Time - p.First.Time == 300_000), "contiguous 5m rows, oldest first");
        Assert.InRange(now - rows[^1].Time, 0, 600_000);
        var truth = h.Simulator.Market.Find(OiStream.Simulator.Market.SimVenue.UsdM, "BTCUSDT")!;
        // The last row is at most 5 minutes old: OI moves a few basis points in that time, not percent.
        Assert.Equal(truth.OpenInterest, rows[^1].SumOpenInterest, 0.005 * truth.OpenInterest);
    }

    private static async Task<Streams.MarketStreamClient> UsdmStream(AdapterHarness h)
    {
        await Wait.UntilAsync(() => h.Feed.IsLive, Timeout, "feed live");
        return h.Feed.Streams.Single(s => s.Name == "usdm-ws");
    }
}
