using OiStream.Core.Instruments;

namespace OiStream.Binance.Rest;

/// <summary>Where an instrument's <c>openInterestHist</c> series lives: USDⓈ-M per symbol, COIN-M per pair and contract type.</summary>
/// <param name="Family">Which API.</param>
/// <param name="Key">The symbol (USDⓈ-M) or pair (COIN-M).</param>
/// <param name="ContractType">COIN-M's contract type; null on USDⓈ-M.</param>
public sealed record HistorySource(ApiFamily Family, string Key, string? ContractType)
{
    /// <summary>The series of <paramref name="info"/>, or null where Binance keeps none (options, COIN-M types without their own series).</summary>
    public static HistorySource? For(InstrumentInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Market switch
        {
            Market.UsdM => new HistorySource(ApiFamily.UsdM, info.Symbol, null),
            // COIN-M history is per pair and contract type; only these three types have their own series.
            Market.CoinM when info.ContractType is "PERPETUAL" or "CURRENT_QUARTER" or "NEXT_QUARTER" && info.Symbol.IndexOf('_', StringComparison.Ordinal) is > 0 and var cut
                => new HistorySource(ApiFamily.CoinM, info.Symbol[..cut], info.ContractType),
            _ => null,
        };
    }
}
