using OiStream.Bybit.Wire;

namespace OiStream.Bybit;

/// <summary>
/// One side's open interest of a Bybit contract, as a coin quantity and a USD value (fact sheet §4.1): Bybit's
/// <c>openInterest</c> counts both sides, Binance's and OKX's one, so sums across venues take Bybit's
/// <c>single*</c> fields, or half of the two-sided ones where those are missing (<see cref="FromHalf"/>).
/// </summary>
/// <param name="Coin">Base-coin quantity.</param>
/// <param name="Usd">USD value (USDT and USDC taken as USD).</param>
/// <param name="FromHalf">Halved from the two-sided fields (no <c>single*</c> field was sent).</param>
public sealed record BybitOpenInterest(decimal? Coin, decimal? Usd, bool FromHalf)
{
    /// <summary>
    /// From a ticker. Linear: quantity in the base coin, value in the quote coin. Inverse: quantity in USD (one
    /// contract is one USD), value in the base coin.
    /// </summary>
    public static BybitOpenInterest From(BybitTicker ticker, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(ticker);
        var fromHalf = ticker.SingleOpenInterest is null;
        var size = ticker.SingleOpenInterest ?? ticker.OpenInterest / 2;
        var value = ticker.SingleOpenInterestValue ?? ticker.OpenInterestValue / 2;
        var mark = ticker.MarkPrice is > 0 ? ticker.MarkPrice : null;
        return inverse
            ? new BybitOpenInterest(value ?? size / mark, size, fromHalf)
            : new BybitOpenInterest(size, value ?? size * mark, fromHalf);
    }
}
