using OiStream.Core.Engine;
using OiStream.Core.Instruments;

namespace OiStream.Core.Tests;

/// <summary>Coins across venues: the per-venue split, and a change that does not read a venue joining as a jump.</summary>
public class VenueAggregateTests
{
    private static readonly InstrumentInfo BybitBtc = new("BYBIT:BTCUSDT", Market.UsdM, "BTC", "PERPETUAL");
    private static readonly InstrumentInfo OkxBtcInverse = new("OKX:BTC-USD-SWAP", Market.CoinM, "BTC", "PERPETUAL", ContractSize: 100, QuoteAsset: "USD");

    [Fact]
    public void Ids_name_their_venue_case_insensitively_and_bare_symbols_are_Binance()
    {
        Assert.Equal(ExchangeIds.Bybit, BybitBtc.Exchange);
        Assert.Equal(ExchangeIds.Okx, ExchangeIds.Of("okx:btc-usd-swap"));
        Assert.Equal(ExchangeIds.Binance, EngineHarness.BtcUsdPerp.Exchange);
        Assert.Equal("OKX:BTC-USDT-SWAP", ExchangeIds.Id(ExchangeIds.Okx, "BTC-USDT-SWAP"));
        Assert.Equal("BTCUSDT", ExchangeIds.Id(ExchangeIds.Binance, "BTCUSDT"));
        Assert.Equal("BTC-USDT-SWAP", ExchangeIds.VenueSymbol("OKX:BTC-USDT-SWAP"));
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, BybitBtc);
        Assert.True(h.Engine.IsKnownSymbol("bybit:btcusdt"));
    }

    [Fact]
    public void The_coin_sums_every_venue_and_splits_the_sums_per_venue()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, EngineHarness.BtcUsdPerp, BybitBtc, OkxBtcInverse);
        var t = EngineHarness.T0;
        h.Clock.Now = t;
        foreach (var s in new[] { "BTCUSDT", "BTCUSD_PERP", "BYBIT:BTCUSDT", "OKX:BTC-USD-SWAP" })
        {
            h.Mark(s, t, 100_000);
        }
        h.Oi("BTCUSDT", t, 1_000);          // 1,000 BTC, 100 M USD
        h.Oi("BTCUSD_PERP", t, 200_000);    // 20 M USD, 200 BTC
        h.Oi("BYBIT:BTCUSDT", t, 500);      // 500 BTC, 50 M USD
        h.Oi("OKX:BTC-USD-SWAP", t, 100_000); // 10 M USD, 100 BTC
        h.Publish();
        var btc = h.Coin("BTC");
        Assert.Equal(1_800, btc.OpenInterestCoin, 6);
        Assert.Equal(180e6, btc.OpenInterestUsd, 0);
        Assert.Equal(["binance", "bybit", "okx"], btc.Exchanges.Select(e => e.Exchange));
        var binance = btc.Exchanges[0];
        Assert.Equal((1_200.0, 120e6, 2), (Math.Round(binance.OpenInterestCoin, 6), Math.Round(binance.OpenInterestUsd), binance.Instruments));
        Assert.Equal(200, binance.OpenInterestCoinByCoinMargin, 6);
        Assert.Equal(100, btc.Exchanges[2].OpenInterestCoinByCoinMargin, 6);
        Assert.Equal(btc.OpenInterestUsd, btc.Exchanges.Sum(e => e.OpenInterestUsd), 6);
    }

    [Fact]
    public void A_venue_that_joins_late_is_not_read_as_a_jump_and_the_change_is_that_of_the_sum_over_covering_venues()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, BybitBtc);
        var t = EngineHarness.T0;
        // Binance alone for an hour: 1,000 → 1,010 BTC, level for the last six minutes.
        for (var m = 0; m <= 60; m++)
        {
            h.Clock.Now = t + (m * 60_000L);
            h.Mark("BTCUSDT", h.Clock.Now, 100_000);
            h.Oi("BTCUSDT", h.Clock.Now, 1_000 + (Math.Min(m, 54) / 5.4));
        }
        // Bybit joins with 2,000 BTC (twice Binance's): the coin's OI triples, its change must not.
        var joined = t + (61 * 60_000L);
        h.Clock.Now = joined;
        h.Mark("BYBIT:BTCUSDT", joined, 100_000);
        h.Oi("BYBIT:BTCUSDT", joined, 2_000);
        h.Oi("BTCUSDT", joined, 1_010);
        h.Publish();
        var btc = h.Coin("BTC");
        Assert.Equal(3_010, btc.OpenInterestCoin, 6);
        var binanceOnly = h.State("BTCUSDT").Change["1h"]!.Value;
        // Only Binance covers the hour, so the coin's 1h change is Binance's, not +200 %.
        Assert.Equal(binanceOnly, btc.Change["1h"]!.Value, 9);
        Assert.InRange(btc.Change["1h"]!.Value, 0.9, 1.1);

        // Five minutes on, both venues cover 5m: the change is that of their sum.
        for (var s = 1; s <= 330; s++)
        {
            h.Clock.Now = joined + (s * 1000L);
            h.Mark("BTCUSDT", h.Clock.Now, 100_000);
            h.Mark("BYBIT:BTCUSDT", h.Clock.Now, 100_000);
            h.Oi("BYBIT:BTCUSDT", h.Clock.Now, s < 300 ? 2_000 : 2_090);
        }
        h.Publish();
        btc = h.Coin("BTC");
        var bybit = h.State("BYBIT:BTCUSDT");
        Assert.InRange(bybit.Change["5m"]!.Value, 4.49, 4.51);
        // (1,010 + 2,090) / (1,010 + 2,000) − 1 = +2.99 %
        Assert.Equal(((3_100.0 / 3_010) - 1) * 100, btc.Change["5m"]!.Value, 6);
    }
}
