using OiStream.Core.Instruments;

namespace OiStream.Core.Tests;

public class ValuationTests
{
    [Fact]
    public void UsdM_open_interest_is_in_coins_and_valued_at_the_mark()
    {
        Assert.Equal(81_234.5, Valuation.CoinQuantity(Market.UsdM, 81_234.5, 1, 69_090.1));
        Assert.Equal(81_234.5 * 69_090.1, Valuation.Usd(Market.UsdM, 81_234.5, 1, 69_090.1, double.NaN));
        Assert.True(double.IsNaN(Valuation.Usd(Market.UsdM, 10, 1, double.NaN, double.NaN)), "no mark, no USD value");
    }

    [Fact]
    public void CoinM_BTC_contract_is_100_USD_and_its_coin_quantity_divides_by_the_mark()
    {
        // dapi fixture: BTCUSD_200626 openInterest "15004" contracts of 100 USD.
        Assert.Equal(1_500_400, Valuation.Usd(Market.CoinM, 15_004, 100, 60_000, double.NaN));
        Assert.Equal(1_500_400 / 60_000.0, Valuation.CoinQuantity(Market.CoinM, 15_004, 100, 60_000), 12);
        // The classic bug multiplies contracts by the price: 900 million USD instead of 1.5 million.
        Assert.NotEqual(15_004 * 60_000.0, Valuation.Usd(Market.CoinM, 15_004, 100, 60_000, double.NaN));
        // The USD value of COIN-M OI needs no price at all.
        Assert.Equal(150_040, Valuation.Usd(Market.CoinM, 15_004, 10, double.NaN, double.NaN));
    }

    [Fact]
    public void Options_use_the_unit_for_coins_and_the_reported_USD_value()
    {
        // eapi fixture: ETH-221119-1175-P sumOpenInterest "4.01", sumOpenInterestUsd "4880.2985615624".
        Assert.Equal(4.01, Valuation.CoinQuantity(Market.Options, 4.01, 1, double.NaN));
        Assert.Equal(4880.2985615624, Valuation.Usd(Market.Options, 4.01, 1, 1_217.0, 4880.2985615624));
    }

    [Fact]
    public void A_history_row_gives_coins_USD_and_the_implied_price_in_each_markets_units()
    {
        // fapi openInterestHist: sumOpenInterest in coins, sumOpenInterestValue in USD.
        Assert.Equal((20_403.637, 1_150_000_000.5, 1_150_000_000.5 / 20_403.637), Valuation.FromHistoryRow(Market.UsdM, 20_403.637, 1_150_000_000.5, 1));
        // dapi: sumOpenInterest in contracts (100 USD each for BTC), sumOpenInterestValue in coins.
        var (coin, usd, price) = Valuation.FromHistoryRow(Market.CoinM, 15_004, 25.0, 100);
        Assert.Equal(25.0, coin);
        Assert.Equal(1_500_400, usd);
        Assert.Equal(1_500_400 / 25.0, price);
        // Options: contracts × unit, the reported USD value, and no price.
        var options = Valuation.FromHistoryRow(Market.Options, 4.01, 4_880.3, 0.5);
        Assert.Equal((2.005, 4_880.3), (options.Coin, options.Usd));
        Assert.True(double.IsNaN(options.Price));
    }

    [Fact]
    public void Without_a_positive_mark_price_a_price_dependent_value_is_unknown_not_zero_or_infinite()
    {
        foreach (var mark in new[] { 0.0, -1.0, double.NaN })
        {
            Assert.True(double.IsNaN(Valuation.Usd(Market.UsdM, 10, 1, mark, double.NaN)), $"USD-M USD at mark {mark}");
            Assert.True(double.IsNaN(Valuation.CoinQuantity(Market.CoinM, 10, 100, mark)), $"COIN-M coins at mark {mark}");
        }
    }
}
