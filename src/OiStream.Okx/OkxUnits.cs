using OiStream.Okx.Wire;

namespace OiStream.Okx;

/// <summary>
/// One instrument's OI as a coin quantity and a USD value (fact sheet §4.2): OKX's own <c>oiCcy</c> and <c>oiUsd</c>
/// where it sent them, otherwise computed from the contracts, the contract size and the mark price. OKX counts one
/// side, like Binance.
/// </summary>
/// <param name="Contracts">Contracts (<c>oi</c>).</param>
/// <param name="Coin">Coin quantity.</param>
/// <param name="Usd">USD value.</param>
/// <param name="Computed">A figure was computed because OKX did not send it.</param>
public sealed record OkxOpenInterestUnits(decimal? Contracts, decimal? Coin, decimal? Usd, bool Computed)
{
    /// <summary>From an OI reading, its instrument and (for what must be computed) the mark price.</summary>
    public static OkxOpenInterestUnits From(OkxOpenInterest oi, OkxInstrument instrument, decimal? markPrice)
    {
        ArgumentNullException.ThrowIfNull(oi);
        ArgumentNullException.ThrowIfNull(instrument);
        var contracts = OkxJson.Number(oi.Oi);
        var coin = OkxJson.Number(oi.OiCcy);
        var usd = OkxJson.Number(oi.OiUsd);
        var computed = false;
        var size = instrument.ContractSize;
        var mark = markPrice is > 0 ? markPrice : null;
        if (instrument.IsInverse)
        {
            // Inverse: a contract is ctVal USD.
            if (usd is null && contracts * size is { } u)
            {
                (usd, computed) = (u, true);
            }
            if (coin is null && usd / mark is { } c)
            {
                (coin, computed) = (c, true);
            }
        }
        else
        {
            // Linear: a contract is ctVal of the base coin.
            if (coin is null && contracts * size is { } c)
            {
                (coin, computed) = (c, true);
            }
            if (usd is null && coin * mark is { } u)
            {
                (usd, computed) = (u, true);
            }
        }
        return new OkxOpenInterestUnits(contracts, coin, usd, computed);
    }
}
