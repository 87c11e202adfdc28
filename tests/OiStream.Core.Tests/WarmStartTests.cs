using OiStream.Core.Engine;
using static OiStream.Core.Tests.EngineHarness;

namespace OiStream.Core.Tests;

public class WarmStartTests
{
    private const long FiveMinutes = 300_000;

    [Fact]
    public void History_gives_24h_change_at_once_and_live_samples_continue_without_a_seam()
    {
        var history = new List<MarketEvent>();
        var live = new List<(long T, double Oi, double Price)>();
        var random = new Random(7);
        var oi = 90_000.0;
        var price = 60_000.0;
        var start = T0 - (30L * 24 * 3_600_000);
        for (var t = start; t <= T0; t += FiveMinutes)
        {
            oi *= 1 + ((random.NextDouble() - 0.5) * 0.004);
            price *= 1 + ((random.NextDouble() - 0.5) * 0.004);
            history.Add(MarketEvent.History("BTCUSDT", t, oi, oi * price));
            live.Add((t, oi, price));
        }

        // Engine A: warmed from history. Engine B: the same figures arriving as live samples.
        var warmed = new EngineHarness(null, BtcUsdt);
        var applied = warmed.Engine.Warm(history.AsEnumerable().Reverse());
        Assert.InRange(applied, 288, 300);   // only the last 24h (+ two 4.8-min buckets) can matter
        var reference = new EngineHarness(null, BtcUsdt);
        foreach (var (t, o, p) in live)
        {
            reference.Mark("BTCUSDT", t, p);
            reference.Oi("BTCUSDT", t, o);
        }

        warmed.Publish();
        reference.Publish();
        var w = warmed.State("BTCUSDT");
        Assert.NotNull(w.Change["24h"]);
        AssertSameFigures(reference.State("BTCUSDT"), w);

        // Then live ticks, every 10 s for 10 minutes, into both.
        for (var t = T0 + 10_000; t <= T0 + 600_000; t += 10_000)
        {
            foreach (var h in new[] { warmed, reference })
            {
                h.Mark("BTCUSDT", t, price * (1 + ((t - T0) / 1e8)));
                h.Oi("BTCUSDT", t, oi * (1 + ((t - T0) / 2e7)));
            }
            warmed.Publish();
            reference.Publish();
            AssertSameFigures(reference.State("BTCUSDT"), warmed.State("BTCUSDT"));
        }
    }

    [Fact]
    public void CoinM_history_is_contracts_and_coins_and_implies_the_price()
    {
        var h = new EngineHarness(null, BtcUsdPerp);
        var rows = new[]
        {
            // dapi openInterestHist: sumOpenInterest in contracts, sumOpenInterestValue in BTC.
            MarketEvent.History("BTCUSD_PERP", T0 - FiveMinutes * 2, 15_000, 25),
            MarketEvent.History("BTCUSD_PERP", T0 - FiveMinutes, 15_000, 25),
            MarketEvent.History("BTCUSD_PERP", T0, 16_500, 25),
        };
        Assert.Equal(3, h.Engine.Warm(rows));
        h.Publish();
        var s = h.State("BTCUSD_PERP");
        Assert.Equal(1_650_000, s.OpenInterestUsd);
        Assert.Equal(25, s.OpenInterestCoin!.Value, 9);
        Assert.Equal(1_650_000 / 25.0, s.MarkPrice!.Value, 6);
        Assert.Equal(10.0, s.ChangeUsd["5m"]!.Value, 9);
        Assert.Equal(0.0, s.Change["5m"]!.Value, 9);
    }

    [Fact]
    public void Warming_many_instruments_builds_the_coin_aggregate_from_sums_at_each_time()
    {
        var h = new EngineHarness(null, BtcUsdt, BtcUsdc);
        var rows = new List<MarketEvent>();
        for (var i = 0; i <= 300; i++)
        {
            var t = T0 - (300 - i) * FiveMinutes;
            rows.Add(MarketEvent.History("BTCUSDT", t, 100 + i, (100 + i) * 60_000.0));
            rows.Add(MarketEvent.History("BTCUSDC", t, 50, 50 * 60_000.0));
        }
        h.Engine.Warm(rows.OrderByDescending(r => r.Symbol));
        h.Publish();
        // 24h ago (288 buckets back) the sum was (100 + 12) + 50; now (100 + 300) + 50.
        Assert.Equal(((450.0 / 162.0) - 1) * 100, h.Coin("BTC").Change["24h"]!.Value, 9);
    }

    [Fact]
    public void History_older_than_live_data_is_late_and_ignored()
    {
        var h = new EngineHarness(null, BtcUsdt);
        h.Mark("BTCUSDT", T0, 60_000);
        h.Oi("BTCUSDT", T0, 100);
        Assert.Equal(0, h.Engine.Warm([MarketEvent.History("BTCUSDT", T0 - FiveMinutes, 90, 90 * 60_000.0)]));
        Assert.Equal(1, h.Engine.Counters[ApplyOutcome.Late]);
    }

    private static void AssertSameFigures(OiStream.Contracts.InstrumentState expected, OiStream.Contracts.InstrumentState actual)
    {
        foreach (var key in expected.Change.Keys)
        {
            AssertClose(expected.Change[key], actual.Change[key], key);
            AssertClose(expected.ChangeUsd[key], actual.ChangeUsd[key], key);
            AssertClose(expected.PriceChange[key], actual.PriceChange[key], key);
            Assert.Equal(expected.Signal[key], actual.Signal[key]);
        }
        AssertClose(expected.OpenInterestUsd, actual.OpenInterestUsd, "usd");
    }

    private static void AssertClose(double? expected, double? actual, string what)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{what}: {expected} vs {actual}");
        if (expected.HasValue)
        {
            Assert.Equal(expected.Value, actual!.Value, 6);
        }
    }
}
