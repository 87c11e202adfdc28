using System.Runtime.CompilerServices;

namespace OiStream.Core.Instruments;

/// <summary>
/// Converts Binance's OI figure into a coin quantity and a USD value, per market (design section 2).
/// </summary>
/// <remarks>
/// COIN-M contracts are worth a fixed number of USD each (<c>contractSize</c>), so their USD value needs no price and
/// their coin quantity is <c>USD ÷ mark</c>. Multiplying COIN-M contracts by the mark price is the classic bug this
/// class exists to prevent.
/// </remarks>
public static class Valuation
{
    /// <summary>Coin quantity of <paramref name="openInterest"/>; NaN when it needs a mark price that is not known yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // on the per-sample path
    public static double CoinQuantity(Market market, double openInterest, double contractSize, double markPrice) => market switch
    {
        Market.UsdM => openInterest,
        Market.CoinM => markPrice > 0 ? openInterest * contractSize / markPrice : double.NaN,
        Market.Options => openInterest * contractSize,
        _ => double.NaN,
    };

    /// <summary>
    /// USD value of <paramref name="openInterest"/>; NaN when it needs a mark price that is not known yet. Options use
    /// the USD figure Binance reports (<paramref name="reportedUsd"/>: <c>sumOpenInterestUsd</c> or stream <c>h</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Usd(Market market, double openInterest, double contractSize, double markPrice, double reportedUsd) => market switch
    {
        Market.UsdM => markPrice > 0 ? openInterest * markPrice : double.NaN,
        Market.CoinM => openInterest * contractSize,
        Market.Options => reportedUsd,
        _ => double.NaN,
    };

    /// <summary>
    /// Coins, USD and the implied mark price of one exchange history row (<c>openInterestHist</c>: USDⓈ-M gives
    /// coins and USD, COIN-M contracts and coins; options give contracts and the USD Binance reports).
    /// </summary>
    public static (double Coin, double Usd, double Price) FromHistoryRow(Market market, double sumOpenInterest, double sumValue, double contractSize) => market switch
    {
        Market.UsdM => (sumOpenInterest, sumValue, sumValue / sumOpenInterest),
        Market.CoinM => (sumValue, sumOpenInterest * contractSize, sumOpenInterest * contractSize / sumValue),
        _ => (CoinQuantity(market, sumOpenInterest, contractSize, double.NaN), sumValue, double.NaN),
    };
}
