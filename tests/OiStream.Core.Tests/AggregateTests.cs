using OiStream.Core.Engine;
using static OiStream.Core.Tests.EngineHarness;

namespace OiStream.Core.Tests;

public class AggregateTests
{
    [Fact]
    public void Coin_aggregate_sums_both_futures_markets_split_by_margin_with_options_beside()
    {
        var h = new EngineHarness();
        h.Mark("BTCUSDT", T0, 60_000);
        h.Oi("BTCUSDT", T0, 100);
        h.Mark("BTCUSD_PERP", T0, 60_000, double.NaN);
        h.Oi("BTCUSD_PERP", T0, 15_004);
        h.Oi("BTC-251226", T0, 10, 600_000);
        h.Publish();

        var btc = h.Coin("btc");
        var coinM = 1_500_400 / 60_000.0;
        Assert.Equal(2, btc.Instruments);
        Assert.Equal(6_000_000 + 1_500_400, btc.OpenInterestUsd, 6);
        Assert.Equal(100 + coinM, btc.OpenInterestCoin, 9);
        Assert.Equal(6_000_000, btc.OpenInterestUsdByStableMargin, 6);
        Assert.Equal(1_500_400, btc.OpenInterestUsdByCoinMargin, 6);
        Assert.Equal(100, btc.OpenInterestCoinByStableMargin, 9);
        Assert.Equal(coinM, btc.OpenInterestCoinByCoinMargin, 9);
        Assert.Equal(10, btc.OptionsOpenInterestCoin, 9);
        Assert.Equal(600_000, btc.OptionsOpenInterestUsd, 6);
        Assert.Equal(60_000, btc.MarkPrice);
        Assert.Equal("binance", btc.Source);
        Assert.Equal(0, h.Coin("ETH").Instruments);
    }

    [Fact]
    public void Aggregate_change_is_the_change_of_the_sum_not_an_average_of_changes()
    {
        var h = new EngineHarness();
        h.Mark("BTCUSDT", T0, 60_000);
        h.Mark("BTCUSD_PERP", T0, 60_000, double.NaN);
        h.Oi("BTCUSDT", T0, 100);
        h.Oi("BTCUSD_PERP", T0, 150_000); // 250 BTC of COIN-M
        var t = T0 + 360_000;
        h.Mark("BTCUSDT", t, 60_000);
        h.Mark("BTCUSD_PERP", t, 60_000, double.NaN);
        h.Oi("BTCUSDT", t, 110);            // +10 %
        h.Oi("BTCUSD_PERP", t, 150_000);    // 0 %
        h.Publish();
        var change = h.Coin("BTC").Change["5m"]!.Value;
        Assert.Equal(((110 + 250.0) / (100 + 250.0) - 1) * 100, change, 9);
        Assert.NotEqual(5.0, change, 3);
    }

    [Fact]
    public void Removing_an_instrument_takes_its_contribution_out()
    {
        var h = new EngineHarness();
        h.Mark("BTCUSDT", T0, 60_000);
        h.Oi("BTCUSDT", T0, 100);
        h.Mark("BTCUSD_PERP", T0, 60_000, double.NaN);
        h.Oi("BTCUSD_PERP", T0, 15_004);
        h.Engine.Apply(MarketEvent.Instruments(new InstrumentListChange([], ["BTCUSDT"])));
        h.Publish();
        var btc = h.Coin("BTC");
        Assert.Equal(1, btc.Instruments);
        Assert.Equal(1_500_400, btc.OpenInterestUsd, 6);
        Assert.Equal(0, btc.OpenInterestUsdByStableMargin, 6);
        Assert.False(h.Engine.IsKnownSymbol("BTCUSDT"));
        Assert.DoesNotContain(h.Published, s => s.Symbol == "BTCUSDT");
        // The COIN-M perpetual takes over as the coin's price reference.
        h.Mark("BTCUSD_PERP", T0 + 1_000, 61_000, double.NaN);
        h.Publish();
        Assert.Equal(61_000, h.Coin("BTC").MarkPrice);
    }
}
