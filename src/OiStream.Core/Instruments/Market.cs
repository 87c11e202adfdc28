namespace OiStream.Core.Instruments;

/// <summary>The three Binance derivatives markets.</summary>
public enum Market
{
    /// <summary>USDⓈ-M futures (fapi): OI in base asset, stable-coin margined.</summary>
    UsdM,

    /// <summary>COIN-M futures (dapi): OI in contracts of <c>contractSize</c> USD, coin margined.</summary>
    CoinM,

    /// <summary>European options (eapi): OI in contracts of <c>unit</c> coins, per underlying and expiry.</summary>
    Options,
}

/// <summary>How an instrument is margined (CoinGlass's split).</summary>
public enum MarginType
{
    /// <summary>Margined in a stable coin (USDT, USDC): USDⓈ-M.</summary>
    Stable,

    /// <summary>Margined in the coin itself: COIN-M (and options, settled per underlying).</summary>
    Coin,
}

/// <summary>Wire names used in JSON (<c>usdm</c>, <c>coinm</c>, <c>options</c>; <c>stable</c>, <c>coin</c>).</summary>
public static class MarketNames
{
    /// <summary>The JSON name of a market.</summary>
    public static string ToWire(this Market market) => market switch
    {
        Market.UsdM => "usdm",
        Market.CoinM => "coinm",
        Market.Options => "options",
        _ => throw new ArgumentOutOfRangeException(nameof(market), market, "Unknown market."),
    };

    /// <summary>The JSON name of a margin type.</summary>
    public static string ToWire(this MarginType margin) => margin == MarginType.Stable ? "stable" : "coin";

    /// <summary>Parses <c>usdm</c>, <c>coinm</c> or <c>options</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out Market market)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "USDM":
                market = Market.UsdM;
                return true;
            case "COINM":
                market = Market.CoinM;
                return true;
            case "OPTIONS":
                market = Market.Options;
                return true;
            default:
                market = default;
                return false;
        }
    }
}
