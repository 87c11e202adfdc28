namespace OiStream.Simulator.Market;

/// <summary>How a Bybit or OKX contract is margined and counted.</summary>
public enum VenueKind
{
    /// <summary>Stable-coin margined; quantities in the base coin (Bybit) or in contracts of <c>ctVal</c> coins (OKX).</summary>
    Linear,

    /// <summary>Coin margined; quantities in USD (Bybit: 1 USD a contract) or in contracts of <c>ctVal</c> USD (OKX).</summary>
    Inverse,
}

/// <summary>
/// One simulated Bybit or OKX contract, driven by the same coin paths as the Binance contracts so that a coin's OI
/// and price move together on every venue. Its <see cref="SimContract.OpenInterest"/> is single-sided, in the venue's
/// unit: Bybit linear base coin, Bybit inverse USD, OKX contracts; its mark price is per unit of <see cref="BaseCoin"/>.
/// </summary>
public sealed class VenueInstrument : SimContract
{
    internal VenueInstrument(string exchange, string symbol, string coin, string baseCoin, string quote, string settle, VenueKind kind,
        bool perpetual, double contractValue, double multiplier, int qtyDecimals, long launchTime, long expiry, string status, int seed)
    {
        Exchange = exchange;
        Symbol = symbol;
        Coin = coin;
        BaseCoin = baseCoin;
        Quote = quote;
        Settle = settle;
        Kind = kind;
        Perpetual = perpetual;
        ContractValue = contractValue;
        Multiplier = multiplier;
        QtyDecimals = qtyDecimals;
        LaunchTime = launchTime;
        Expiry = expiry;
        Status = status;
        Seed = seed;
    }

    /// <summary><c>bybit</c> or <c>okx</c>.</summary>
    public string Exchange { get; }

    /// <summary>The venue's symbol (<c>BTCUSDT</c>, <c>BTC-USD-SWAP</c>).</summary>
    public string Symbol { get; }

    /// <summary>The coin path that drives it (<c>PEPE</c> for <c>1000PEPEUSDT</c>).</summary>
    public string Coin { get; }

    /// <summary>The base coin as the venue names it (<c>1000PEPE</c>).</summary>
    public string BaseCoin { get; }

    /// <summary>Quote coin (<c>USDT</c>, <c>USDC</c>, <c>USD</c>).</summary>
    public string Quote { get; }

    /// <summary>Settle coin (<c>USDT</c>, <c>USDC</c>, <c>USD</c>, or the coin for inverse).</summary>
    public string Settle { get; }

    /// <summary>Linear or inverse.</summary>
    public VenueKind Kind { get; }

    /// <summary>Perpetual (true) or dated future.</summary>
    public bool Perpetual { get; }

    /// <summary>OKX <c>ctVal</c> (coins a contract for linear, USD for inverse); 1 on Bybit.</summary>
    public double ContractValue { get; }

    /// <summary>Units of the coin in one unit of <see cref="BaseCoin"/> (1000 for <c>1000PEPE</c>).</summary>
    public double Multiplier { get; }

    /// <summary>Decimals of the venue's quantity (Bybit <c>qtyStep</c>).</summary>
    public int QtyDecimals { get; }

    /// <summary>Listing time (Unix ms): history reaches back to it.</summary>
    public long LaunchTime { get; }

    /// <summary>Delivery time (Unix ms); 0 for perpetuals.</summary>
    public long Expiry { get; }

    /// <summary><c>Trading</c> / <c>live</c>, or a status that is not listed by default (<c>PreLaunch</c>, <c>preopen</c>).</summary>
    public string Status { get; }

    internal int Seed { get; }

    /// <summary>Whether the contract is listed by default (Bybit <c>Trading</c>, OKX <c>live</c>).</summary>
    public bool IsTrading => Status is "Trading" or "live";

    /// <summary>Ground truth: single-side OI in units of <see cref="BaseCoin"/>, computed from the venue's own unit.</summary>
    public double TrueCoin => (Exchange, Kind) switch
    {
        ("bybit", VenueKind.Linear) => OpenInterest,
        ("bybit", _) => OpenInterest / MarkPrice,
        (_, VenueKind.Linear) => OpenInterest * ContractValue,
        _ => OpenInterest * ContractValue / MarkPrice,
    };

    /// <summary>Ground truth: single-side OI in USD.</summary>
    public double TrueUsd => (Exchange, Kind) switch
    {
        ("bybit", VenueKind.Linear) => OpenInterest * MarkPrice,
        ("bybit", _) => OpenInterest,
        (_, VenueKind.Linear) => OpenInterest * ContractValue * MarkPrice,
        _ => OpenInterest * ContractValue,
    };
}
