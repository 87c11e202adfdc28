using OiStream.Core.Engine;
using OiStream.Core.Signals;
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
    public void A_coins_price_change_is_its_reference_instruments_and_follows_a_new_reference()
    {
        var h = new EngineHarness();
        // BTCUSDT (the reference) and BTCUSD_PERP move differently; OI readings at other times move the coin's clock.
        for (var s = 0; s <= 900; s += 7)
        {
            var t = T0 + (s * 1_000L);
            h.Mark("BTCUSDT", t, 60_000 + (s * 3));
            h.Mark("BTCUSD_PERP", t + 300, 60_000 - (s * 2), double.NaN);
            h.Oi("BTCUSDT", t + 500, 100 + s);
            h.Oi("BTCUSD_PERP", t + 600, 150_000);
        }
        h.Publish();
        Assert.NotNull(h.Coin("BTC").PriceChange["5m"]);
        Assert.Equal(h.State("BTCUSDT").PriceChange, h.Coin("BTC").PriceChange);
        // Its quadrant pairs that price change with the coin's own OI change.
        var coin = h.Coin("BTC");
        var expected = QuadrantClassifier.Classify(coin.PriceChange["5m"]!.Value, coin.Change["5m"]!.Value, new EngineOptions().Signals.DeadBandPercent);
        Assert.Equal(expected.ToWire(), coin.Signal["5m"]);

        h.Engine.Apply(MarketEvent.Instruments(new InstrumentListChange([], ["BTCUSDT"])));
        h.Mark("BTCUSD_PERP", T0 + 1_000_000, 59_000, double.NaN);
        h.Publish();
        Assert.Equal(h.State("BTCUSD_PERP").PriceChange, h.Coin("BTC").PriceChange);
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

public class SingleInstrumentCoinTests
{
    [Fact]
    public void A_coin_with_one_futures_instrument_reports_that_instruments_figures()
    {
        var h = new EngineHarness();
        for (var m = 0; m <= 6; m++)
        {
            h.Mark("ETHUSDT", T0 + m * 60_000L, 3_000 + m);
            h.Oi("ETHUSDT", T0 + m * 60_000L, 1_000 + (m * 7));
        }
        h.Publish();
        var eth = h.Coin("ETH");
        var instrument = h.State("ETHUSDT");
        Assert.Equal(1, eth.Instruments);
        Assert.NotNull(eth.Change["5m"]);
        Assert.Equal(instrument.Change, eth.Change);
        Assert.Equal(instrument.ChangeUsd, eth.ChangeUsd);
        Assert.Equal(instrument.PriceChange, eth.PriceChange);
        Assert.Equal(instrument.Signal, eth.Signal);
        Assert.Equal(instrument.OpenInterestUsd!.Value, eth.OpenInterestUsd, 6);
    }

    [Fact]
    public void A_second_listing_keeps_the_coins_history_and_sums_from_then_on()
    {
        var sol = new OiStream.Core.Instruments.InstrumentInfo("SOLUSDT", OiStream.Core.Instruments.Market.UsdM, "SOL", "PERPETUAL");
        var solUsdc = sol with { Symbol = "SOLUSDC", QuoteAsset = "USDC" };
        var h = new EngineHarness(null, sol);
        for (var m = 0; m <= 10; m++)
        {
            h.Mark("SOLUSDT", T0 + m * 60_000L, 200);
            h.Oi("SOLUSDT", T0 + m * 60_000L, 1_000);
        }
        h.Engine.Apply(MarketEvent.Instruments(new InstrumentListChange([solUsdc])));
        var t = T0 + 11 * 60_000L;
        h.Mark("SOLUSDT", t, 200);
        h.Oi("SOLUSDT", t, 1_000);
        h.Mark("SOLUSDC", t, 200);
        h.Oi("SOLUSDC", t, 100);
        h.Publish();
        var coin = h.Coin("SOL");
        Assert.Equal(2, coin.Instruments);
        // 5 minutes ago the coin held SOLUSDT's 1 000; now 1 100 across both listings.
        Assert.Equal(10.0, coin.Change["5m"]!.Value, 9);
        Assert.Equal(0.0, h.State("SOLUSDT").Change["5m"]!.Value, 9);
    }
}

public class SymbolResolutionTests
{
    [Fact]
    public void A_removed_symbol_is_unknown_even_as_the_string_instance_that_resolved_it_before()
    {
        var h = new EngineHarness();
        var symbol = "BTCUSDT";
        Assert.Equal(ApplyOutcome.Applied, h.Engine.Apply(MarketEvent.MarkPrice(symbol, T0, 60_000, 0.0001)));
        h.Engine.Apply(MarketEvent.Instruments(new InstrumentListChange([], ["BTCUSDT"])));
        Assert.Equal(ApplyOutcome.UnknownInstrument, h.Engine.Apply(MarketEvent.MarkPrice(symbol, T0 + 1_000, 60_100, 0.0001)));

        // Listed again: the same instance reaches the new instrument, whose history starts afresh.
        h.Engine.Apply(MarketEvent.Instruments(new InstrumentListChange([BtcUsdt])));
        Assert.Equal(ApplyOutcome.Applied, h.Engine.Apply(MarketEvent.MarkPrice(symbol, T0 + 2_000, 60_200, 0.0001)));
        h.Publish();
        Assert.Equal(60_200, h.State("BTCUSDT").MarkPrice);
    }

    [Fact]
    public void Symbols_resolve_by_value_whatever_the_instance_and_case()
    {
        var h = new EngineHarness();
        var built = new string("btcusdt".ToUpperInvariant().ToCharArray());
        Assert.Equal(ApplyOutcome.Applied, h.Engine.Apply(MarketEvent.MarkPrice(built, T0, 60_000, 0.0001)));
        Assert.Equal(ApplyOutcome.Applied, h.Engine.Apply(MarketEvent.MarkPrice("btcusdt", T0 + 1_000, 60_100, 0.0001)));
        Assert.Equal(ApplyOutcome.UnknownInstrument, h.Engine.Apply(MarketEvent.MarkPrice("NOPEUSDT", T0 + 2_000, 1, 0.0001)));
    }
}
