namespace OiStream.Contracts;

/// <summary>
/// The state of one instrument as clients see it (design section 6). Immutable: a new object is published for every
/// update, so readers on any thread may hold one as long as they like.
/// </summary>
/// <remarks>Numbers that are not known yet (no OI sample, no mark price, window not covered) are <c>null</c>, never 0.</remarks>
public sealed record InstrumentState
{
    /// <summary>Binance symbol, e.g. <c>BTCUSDT</c>, <c>BTCUSD_PERP</c>, or <c>BTC-251226</c> for an options expiry.</summary>
    public required string Symbol { get; init; }

    /// <summary><c>usdm</c>, <c>coinm</c> or <c>options</c>.</summary>
    public required string Market { get; init; }

    /// <summary>Base coin, e.g. <c>BTC</c>.</summary>
    public required string Coin { get; init; }

    /// <summary><c>stable</c> (USDⓈ-M) or <c>coin</c> (COIN-M and options).</summary>
    public required string Margin { get; init; }

    /// <summary>Binance contract type, e.g. <c>PERPETUAL</c>, <c>CURRENT_QUARTER</c>; <c>OPTIONS</c> for options.</summary>
    public required string ContractType { get; init; }

    /// <summary>Open interest in Binance's unit for the market: base asset (USDⓈ-M) or contracts (COIN-M, options).</summary>
    public double? OpenInterest { get; init; }

    /// <summary>Open interest in coins (base asset).</summary>
    public double? OpenInterestCoin { get; init; }

    /// <summary>Open interest valued in USD.</summary>
    public double? OpenInterestUsd { get; init; }

    /// <summary>Latest mark price.</summary>
    public double? MarkPrice { get; init; }

    /// <summary>Latest funding rate (perpetuals only).</summary>
    public double? FundingRate { get; init; }

    /// <summary>Change in percent of the coin quantity of OI, per window (e.g. <c>"5m"</c>); null where not covered.</summary>
    public required IReadOnlyDictionary<string, double?> Change { get; init; }

    /// <summary>Change in percent of the USD value of OI, per window.</summary>
    public required IReadOnlyDictionary<string, double?> ChangeUsd { get; init; }

    /// <summary>Change in percent of the mark price, per window.</summary>
    public required IReadOnlyDictionary<string, double?> PriceChange { get; init; }

    /// <summary>Price/OI quadrant per window (<see cref="SignalNames"/>); null where either change is unknown.</summary>
    public required IReadOnlyDictionary<string, string?> Signal { get; init; }

    /// <summary>Exchange time (Unix ms) of the latest OI sample.</summary>
    public long? OiTime { get; init; }

    /// <summary>Exchange time (Unix ms) of the latest mark price.</summary>
    public long? PriceTime { get; init; }

    /// <summary>Exchange time (Unix ms) of the oldest OI sample held: change windows longer than now − this are null.</summary>
    public long? CoverageStart { get; init; }

    /// <summary>Increases by one with every update published for this instrument; a gap means a missed update.</summary>
    public long Seq { get; init; }

    /// <summary><c>binance</c> or <c>simulated</c>.</summary>
    public required string Source { get; init; }

    /// <summary>True when the OI value is older than the configured stale threshold.</summary>
    public bool Stale { get; init; }
}
