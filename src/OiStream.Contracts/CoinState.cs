using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>
/// A coin aggregate (design section 4): every futures instrument of one base coin on every venue, stable- and
/// coin-margined summed, with its own change series; <see cref="Exchanges"/> splits it per venue. Options are
/// reported beside it, not summed in.
/// </summary>
[DataContract]
public sealed record CoinState
{
    /// <summary>The coin, e.g. <c>BTC</c>.</summary>
    [DataMember(Name = "coin")]
    public required string Coin { get; init; }

    /// <summary>Sum of futures OI in USD (CoinGlass <c>open_interest_usd</c>).</summary>
    [DataMember(Name = "openInterestUsd")]
    public double OpenInterestUsd { get; init; }

    /// <summary>Sum of futures OI in coins (CoinGlass <c>open_interest_quantity</c>).</summary>
    [DataMember(Name = "openInterestCoin")]
    public double OpenInterestCoin { get; init; }

    /// <summary>USD value of stable-coin-margined OI (CoinGlass <c>open_interest_by_stable_coin_margin</c>).</summary>
    [DataMember(Name = "openInterestUsdByStableMargin")]
    public double OpenInterestUsdByStableMargin { get; init; }

    /// <summary>USD value of coin-margined OI.</summary>
    [DataMember(Name = "openInterestUsdByCoinMargin")]
    public double OpenInterestUsdByCoinMargin { get; init; }

    /// <summary>Coins of stable-coin-margined OI (CoinGlass <c>open_interest_quantity_by_stable_coin_margin</c>).</summary>
    [DataMember(Name = "openInterestCoinByStableMargin")]
    public double OpenInterestCoinByStableMargin { get; init; }

    /// <summary>Coins of coin-margined OI (CoinGlass <c>open_interest_quantity_by_coin_margin</c>).</summary>
    [DataMember(Name = "openInterestCoinByCoinMargin")]
    public double OpenInterestCoinByCoinMargin { get; init; }

    /// <summary>Options OI in coins, beside the futures sums (not included in them).</summary>
    [DataMember(Name = "optionsOpenInterestCoin")]
    public double OptionsOpenInterestCoin { get; init; }

    /// <summary>Options OI in USD, beside the futures sums (not included in them).</summary>
    [DataMember(Name = "optionsOpenInterestUsd")]
    public double OptionsOpenInterestUsd { get; init; }

    /// <summary>Number of futures instruments with a value in the sums.</summary>
    [DataMember(Name = "instruments")]
    public int Instruments { get; init; }

    /// <summary>Mark price of the coin's reference instrument (its USDT perpetual where there is one).</summary>
    [DataMember(Name = "markPrice")]
    public double? MarkPrice { get; init; }

    /// <summary>Change in percent of the aggregate coin quantity, per window.</summary>
    [DataMember(Name = "change")]
    public required IReadOnlyDictionary<string, double?> Change { get; init; }

    /// <summary>Change in percent of the aggregate USD value, per window.</summary>
    [DataMember(Name = "changeUsd")]
    public required IReadOnlyDictionary<string, double?> ChangeUsd { get; init; }

    /// <summary>Change in percent of the reference mark price, per window.</summary>
    [DataMember(Name = "priceChange")]
    public required IReadOnlyDictionary<string, double?> PriceChange { get; init; }

    /// <summary>Price/OI quadrant per window.</summary>
    [DataMember(Name = "signal")]
    public required IReadOnlyDictionary<string, string?> Signal { get; init; }

    /// <summary>Exchange time (Unix ms) of the latest change to the aggregate.</summary>
    [DataMember(Name = "time")]
    public long? Time { get; init; }

    /// <summary>Increases by one with every update published for this coin.</summary>
    [DataMember(Name = "seq")]
    public long Seq { get; init; }

    /// <summary><c>binance</c> (live venues) or <c>simulated</c>.</summary>
    [DataMember(Name = "source")]
    public required string Source { get; init; }

    /// <summary>The per-venue split of the sums above, one entry per venue that lists the coin (the entries add up to the sums).</summary>
    [DataMember(Name = "exchanges")]
    public IReadOnlyList<ExchangeShare> Exchanges { get; init; } = [];
}

/// <summary>One venue's part of a coin aggregate (<see cref="CoinState.Exchanges"/>): the same sums over that venue's contracts only.</summary>
[DataContract]
public sealed record ExchangeShare
{
    /// <summary><c>binance</c>, <c>bybit</c> or <c>okx</c>.</summary>
    [DataMember(Name = "exchange")]
    public required string Exchange { get; init; }

    /// <summary>Sum of the venue's futures OI in USD.</summary>
    [DataMember(Name = "openInterestUsd")]
    public double OpenInterestUsd { get; init; }

    /// <summary>Sum of the venue's futures OI in coins.</summary>
    [DataMember(Name = "openInterestCoin")]
    public double OpenInterestCoin { get; init; }

    /// <summary>USD value of the venue's stable-coin-margined OI.</summary>
    [DataMember(Name = "openInterestUsdByStableMargin")]
    public double OpenInterestUsdByStableMargin { get; init; }

    /// <summary>Coins of the venue's stable-coin-margined OI.</summary>
    [DataMember(Name = "openInterestCoinByStableMargin")]
    public double OpenInterestCoinByStableMargin { get; init; }

    /// <summary>Coins of the venue's coin-margined OI.</summary>
    [DataMember(Name = "openInterestCoinByCoinMargin")]
    public double OpenInterestCoinByCoinMargin { get; init; }

    /// <summary>The venue's futures instruments with a value in the sums.</summary>
    [DataMember(Name = "instruments")]
    public int Instruments { get; init; }

    /// <summary>Change in percent of the venue's coin quantity, per window.</summary>
    [DataMember(Name = "change")]
    public required IReadOnlyDictionary<string, double?> Change { get; init; }

    /// <summary>Exchange time (Unix ms) of the venue's latest change.</summary>
    [DataMember(Name = "time")]
    public long? Time { get; init; }

    /// <summary>True when none of the venue's readings of this coin is fresher than the stale threshold: its figures are the last known.</summary>
    [DataMember(Name = "stale")]
    public bool Stale { get; init; }
}
