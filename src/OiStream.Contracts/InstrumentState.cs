using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>
/// The state of one instrument as clients see it (design section 6). Immutable: a new object is published for every
/// update, so readers on any thread may hold one as long as they like.
/// </summary>
/// <remarks>Numbers that are not known yet (no OI sample, no mark price, window not covered) are <c>null</c>, never 0.</remarks>
[DataContract]
public sealed record InstrumentState
{
    /// <summary>
    /// The instrument's id: a Binance symbol as Binance writes it (<c>BTCUSDT</c>, <c>BTCUSD_PERP</c>, <c>BTC-251226</c> for an
    /// options expiry), or another venue's symbol behind its prefix (<c>BYBIT:BTCUSDT</c>, <c>OKX:BTC-USDT-SWAP</c>).
    /// </summary>
    [DataMember(Name = "symbol")]
    public required string Symbol { get; init; }

    /// <summary>The venue: <c>binance</c>, <c>bybit</c> or <c>okx</c>.</summary>
    [DataMember(Name = "exchange")]
    public string Exchange { get; init; } = "binance";

    /// <summary><c>usdm</c>, <c>coinm</c> or <c>options</c>.</summary>
    [DataMember(Name = "market")]
    public required string Market { get; init; }

    /// <summary>Base coin, e.g. <c>BTC</c>.</summary>
    [DataMember(Name = "coin")]
    public required string Coin { get; init; }

    /// <summary><c>stable</c> (USDⓈ-M) or <c>coin</c> (COIN-M and options).</summary>
    [DataMember(Name = "margin")]
    public required string Margin { get; init; }

    /// <summary>Binance contract type, e.g. <c>PERPETUAL</c>, <c>CURRENT_QUARTER</c>; <c>OPTIONS</c> for options.</summary>
    [DataMember(Name = "contractType")]
    public required string ContractType { get; init; }

    /// <summary>Open interest in Binance's unit for the market: base asset (USDⓈ-M) or contracts (COIN-M, options).</summary>
    [DataMember(Name = "openInterest")]
    public double? OpenInterest { get; init; }

    /// <summary>Open interest in coins (base asset).</summary>
    [DataMember(Name = "openInterestCoin")]
    public double? OpenInterestCoin { get; init; }

    /// <summary>Open interest valued in USD.</summary>
    [DataMember(Name = "openInterestUsd")]
    public double? OpenInterestUsd { get; init; }

    /// <summary>Latest mark price.</summary>
    [DataMember(Name = "markPrice")]
    public double? MarkPrice { get; init; }

    /// <summary>Latest funding rate (perpetuals only).</summary>
    [DataMember(Name = "fundingRate")]
    public double? FundingRate { get; init; }

    /// <summary>Change in percent of the coin quantity of OI, per window (e.g. <c>"5m"</c>); null where not covered.</summary>
    [DataMember(Name = "change")]
    public required IReadOnlyDictionary<string, double?> Change { get; init; }

    /// <summary>Change in percent of the USD value of OI, per window.</summary>
    [DataMember(Name = "changeUsd")]
    public required IReadOnlyDictionary<string, double?> ChangeUsd { get; init; }

    /// <summary>Change in percent of the mark price, per window.</summary>
    [DataMember(Name = "priceChange")]
    public required IReadOnlyDictionary<string, double?> PriceChange { get; init; }

    /// <summary>Price/OI quadrant per window (<see cref="SignalNames"/>); null where either change is unknown.</summary>
    [DataMember(Name = "signal")]
    public required IReadOnlyDictionary<string, string?> Signal { get; init; }

    /// <summary>Exchange time (Unix ms) of the latest OI sample.</summary>
    [DataMember(Name = "oiTime")]
    public long? OiTime { get; init; }

    /// <summary>Exchange time (Unix ms) of the latest mark price.</summary>
    [DataMember(Name = "priceTime")]
    public long? PriceTime { get; init; }

    /// <summary>Exchange time (Unix ms) of the oldest OI sample held: change windows longer than now − this are null.</summary>
    [DataMember(Name = "coverageStart")]
    public long? CoverageStart { get; init; }

    /// <summary>Increases by one with every update published for this instrument; a gap means a missed update.</summary>
    [DataMember(Name = "seq")]
    public long Seq { get; init; }

    /// <summary>The venue the data came from (<c>binance</c>, <c>bybit</c>, <c>okx</c>), or <c>simulated</c>.</summary>
    [DataMember(Name = "source")]
    public required string Source { get; init; }

    /// <summary>True when the OI value is older than the configured stale threshold.</summary>
    [DataMember(Name = "stale")]
    public bool Stale { get; init; }
}
