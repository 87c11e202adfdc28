namespace OiStream.Core.Instruments;

/// <summary>
/// How instruments of several exchanges share one id space without breaking protocol v1: a Binance instrument keeps
/// its bare symbol (<c>BTCUSDT</c>); any other venue's is prefixed with the venue (<c>BYBIT:BTCUSDT</c>,
/// <c>OKX:BTC-USDT-SWAP</c>). Ids are matched case-insensitively.
/// </summary>
public static class ExchangeIds
{
    /// <summary>Binance (bare symbols).</summary>
    public const string Binance = "binance";

    /// <summary>Bybit (<c>BYBIT:</c> ids).</summary>
    public const string Bybit = "bybit";

    /// <summary>OKX (<c>OKX:</c> ids).</summary>
    public const string Okx = "okx";

    /// <summary>Every venue OiStream knows, in display order.</summary>
    internal static readonly string[] Order = [Binance, Bybit, Okx];

    /// <summary>The venue of an instrument id: the part before <c>:</c>, lower case; <c>binance</c> for a bare symbol.</summary>
    public static string Of(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return Binance;
        }
        var prefix = id.AsSpan(0, colon);
        return prefix.Equals("BYBIT", StringComparison.OrdinalIgnoreCase) ? Bybit
            : prefix.Equals("OKX", StringComparison.OrdinalIgnoreCase) ? Okx
            : prefix.ToString().ToLowerInvariant();
    }

    /// <summary>The OiStream id of a venue's own symbol: <c>BYBIT:BTCUSDT</c>; Binance's symbols stay bare.</summary>
    public static string Id(string exchange, string venueSymbol)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return exchange == Binance ? venueSymbol : exchange.ToUpperInvariant() + ":" + venueSymbol;
    }

    /// <summary>The venue's own symbol of an id (the part after the prefix).</summary>
    public static string VenueSymbol(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? id : id[(colon + 1)..];
    }

    /// <summary>The venue's name as CoinGlass writes it (<c>Binance</c>, <c>Bybit</c>, <c>OKX</c>).</summary>
    public static string DisplayName(string exchange) => exchange switch
    {
        Binance => "Binance",
        Bybit => "Bybit",
        Okx => "OKX",
        _ => exchange,
    };
}
