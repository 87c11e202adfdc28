namespace OiStream.Simulator.Market;

/// <summary>Which Binance API lists an instrument.</summary>
public enum SimVenue
{
    /// <summary>USDⓈ-M futures (fapi).</summary>
    UsdM,

    /// <summary>COIN-M futures (dapi).</summary>
    CoinM,
}

/// <summary>
/// One simulated Binance futures contract and its live state (<see cref="SimContract"/>; OI in Binance's unit: base
/// asset for USDⓈ-M, contracts for COIN-M; funding served as <c>""</c> on COIN-M delivery contracts).
/// </summary>
public sealed class SimInstrument : SimContract
{
    internal SimInstrument(SimVenue venue, string symbol, string pair, string baseAsset, string quoteAsset,
        string contractType, int contractSize, string status, long deliveryDate, int seed)
    {
        Venue = venue;
        Symbol = symbol;
        Pair = pair;
        BaseAsset = baseAsset;
        QuoteAsset = quoteAsset;
        ContractType = contractType;
        ContractSize = contractSize;
        Status = status;
        DeliveryDate = deliveryDate;
        Seed = seed;
    }

    /// <summary>Which API lists it.</summary>
    public SimVenue Venue { get; }

    /// <summary>Exchange symbol.</summary>
    public string Symbol { get; }

    /// <summary>Pair, e.g. <c>BTCUSD</c>.</summary>
    public string Pair { get; }

    /// <summary>Base asset, e.g. <c>BTC</c>.</summary>
    public string BaseAsset { get; }

    /// <summary>Quote asset.</summary>
    public string QuoteAsset { get; }

    /// <summary>Binance contract type.</summary>
    public string ContractType { get; }

    /// <summary>COIN-M: USD per contract. USDⓈ-M: 1.</summary>
    public int ContractSize { get; }

    /// <summary><c>TRADING</c>, or a non-trading status (<c>SETTLING</c>, <c>PENDING_TRADING</c>) for error paths.</summary>
    public string Status { get; }

    /// <summary>Delivery time (Unix ms); 2100-12-25 for perpetuals.</summary>
    public long DeliveryDate { get; }

    internal int Seed { get; }


    /// <summary>Whether the contract trades.</summary>
    public bool IsTrading => Status == "TRADING";

    /// <summary>Whether it is a perpetual.</summary>
    public bool IsPerpetual => ContractType == "PERPETUAL";

    /// <summary>Stream name for per-symbol streams (lower case).</summary>
    public string StreamKey { get; internal set; } = "";
}

/// <summary>One options contract (per strike and side); OI is served per underlying and expiry.</summary>
public sealed class SimOption
{
    internal SimOption(string underlying, string baseAsset, string expiry, long expiryDate, double strike, bool call)
    {
        Underlying = underlying;
        BaseAsset = baseAsset;
        Expiry = expiry;
        ExpiryDate = expiryDate;
        Strike = strike;
        Call = call;
        Symbol = FormattableString.Invariant($"{baseAsset}-{expiry}-{strike:0}-{(call ? "C" : "P")}");
    }

    /// <summary>Exchange symbol.</summary>
    /// <summary>Option symbol, e.g. <c>BTC-251226-100000-C</c>.</summary>
    public string Symbol { get; }

    /// <summary>e.g. <c>BTCUSDT</c>.</summary>
    public string Underlying { get; }

    /// <summary>e.g. <c>BTC</c>.</summary>
    /// <summary>Base asset, e.g. <c>BTC</c>.</summary>
    public string BaseAsset { get; }

    /// <summary><c>YYMMDD</c>.</summary>
    public string Expiry { get; }

    /// <summary>Expiry time (Unix ms).</summary>
    public long ExpiryDate { get; }

    /// <summary>Strike price.</summary>
    public double Strike { get; }

    /// <summary>Call (true) or put.</summary>
    public bool Call { get; }

    /// <summary>Open interest in contracts (unit 1).</summary>
    public double OpenInterest { get; internal set; }

    /// <summary>USD value of the OI (served as <c>sumOpenInterestUsd</c> / stream <c>h</c>).</summary>
    public double OpenInterestUsd { get; internal set; }

    /// <summary>Exchange time of the OI value (ms).</summary>
    public long Time { get; internal set; }
}
