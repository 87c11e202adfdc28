namespace OiStream.Core.Instruments;

/// <summary>Static facts about one instrument, as discovered from the venue's instrument list.</summary>
/// <param name="Symbol">
/// OiStream's id (<see cref="ExchangeIds"/>): a Binance symbol (<c>BTCUSDT</c>, <c>BTCUSD_PERP</c>, <c>BTCUSDT_251226</c>;
/// for options an expiry, e.g. <c>BTC-251226</c>), or another venue's symbol behind its prefix (<c>BYBIT:BTCUSDT</c>, <c>OKX:BTC-USD-SWAP</c>).
/// </param>
/// <param name="Market">How its OI is valued: <see cref="Market.UsdM"/> for every linear (stable-margined) contract, <see cref="Market.CoinM"/> for every inverse one.</param>
/// <param name="Coin">Base coin, e.g. <c>BTC</c>: the key of its coin aggregate.</param>
/// <param name="ContractType">Binance contract type (<c>PERPETUAL</c>, <c>CURRENT_QUARTER</c>, …; <c>OPTIONS</c>).</param>
/// <param name="ContractSize">COIN-M: USD per contract (100 for BTC, 10 for most others). Options: coins per contract (<c>unit</c>). USDⓈ-M: 1 (unused).</param>
/// <param name="QuoteAsset">Quote asset (<c>USDT</c>, <c>USDC</c>, <c>USD</c>).</param>
public sealed record InstrumentInfo(
    string Symbol,
    Market Market,
    string Coin,
    string ContractType,
    double ContractSize = 1,
    string QuoteAsset = "USDT")
{
    /// <summary>The venue: <c>binance</c>, <c>bybit</c> or <c>okx</c> (from the id's prefix).</summary>
    public string Exchange => ExchangeIds.Of(Symbol);

    /// <summary>Stable for USDⓈ-M, coin for COIN-M and options.</summary>
    public MarginType Margin => Market == Market.UsdM ? MarginType.Stable : MarginType.Coin;

    /// <summary>True for perpetual contracts.</summary>
    public bool IsPerpetual => ContractType.StartsWith("PERPETUAL", StringComparison.Ordinal) || ContractType == "TRADIFI_PERPETUAL";

    /// <summary>Futures are summed into coin aggregates; options are reported beside them.</summary>
    public bool IsFutures => Market != Market.Options;

    /// <summary>Checks the facts the valuation depends on; returns the problem, or null when valid.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Symbol))
        {
            return "Instrument has no symbol.";
        }
        if (string.IsNullOrWhiteSpace(Coin))
        {
            return $"Instrument {Symbol} has no coin (base asset).";
        }
        if (!double.IsFinite(ContractSize) || ContractSize <= 0)
        {
            return $"Instrument {Symbol} has contract size {ContractSize}; it must be a positive number (read contractSize/unit from exchangeInfo).";
        }
        return null;
    }
}
