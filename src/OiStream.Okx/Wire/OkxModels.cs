using System.Text.Json.Serialization;

namespace OiStream.Okx.Wire;

/// <summary>An instrument of <c>GET /api/v5/public/instruments</c> (SWAP or FUTURES; the fields OI needs).</summary>
public sealed record OkxInstrument(
    [property: JsonPropertyName("instType")] string InstType,
    [property: JsonPropertyName("instId")] string InstId,
    [property: JsonPropertyName("instFamily")] string? InstFamily,
    [property: JsonPropertyName("settleCcy")] string? SettleCcy,
    [property: JsonPropertyName("ctType")] string? CtType,
    [property: JsonPropertyName("ctVal")] string? CtVal,
    [property: JsonPropertyName("ctMult")] string? CtMult,
    [property: JsonPropertyName("ctValCcy")] string? CtValCcy,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("listTime")] string? ListTime,
    [property: JsonPropertyName("expTime")] string? ExpTime)
{
    /// <summary>
    /// Inverse (coin-margined: <c>BTC-USD-SWAP</c>) or linear (USDT, USDC, or USD-margined <c>BTC-USD_UM-SWAP</c>),
    /// from <c>ctType</c>, never from the id.
    /// </summary>
    public bool IsInverse => CtType == "inverse";

    /// <summary>The coin: <c>ctValCcy</c> for linear (the base coin), <c>settleCcy</c> for inverse.</summary>
    public string? Coin => IsInverse ? SettleCcy : CtValCcy;

    /// <summary>One contract's face value times its multiplier: base coin (linear) or USD (inverse).</summary>
    public decimal? ContractSize => OkxJson.Number(CtVal) * (OkxJson.Number(CtMult) ?? 1);
}

/// <summary>
/// Open interest of one instrument: <c>GET /api/v5/public/open-interest</c> and the <c>open-interest</c> channel's
/// push. <c>oi</c> in contracts, <c>oiCcy</c> in the coin, <c>oiUsd</c> in USD (newer; absent in older answers).
/// </summary>
public sealed record OkxOpenInterest(
    [property: JsonPropertyName("instType")] string? InstType,
    [property: JsonPropertyName("instId")] string InstId,
    [property: JsonPropertyName("oi")] string? Oi,
    [property: JsonPropertyName("oiCcy")] string? OiCcy,
    [property: JsonPropertyName("oiUsd")] string? OiUsd,
    [property: JsonPropertyName("ts")] string? Ts);

/// <summary>A mark price: <c>GET /api/v5/public/mark-price</c> and the <c>mark-price</c> channel's push.</summary>
public sealed record OkxMarkPrice(
    [property: JsonPropertyName("instType")] string? InstType,
    [property: JsonPropertyName("instId")] string InstId,
    [property: JsonPropertyName("markPx")] string? MarkPx,
    [property: JsonPropertyName("ts")] string? Ts);

/// <summary>
/// One row of <c>GET /api/v5/rubik/stat/contracts/open-interest-history</c>: an array of strings
/// <c>[ts, oi, oiCcy, oiUsd]</c> (contracts, coin, USD), newest first.
/// </summary>
public sealed record OkxOpenInterestHistoryRow(long Time, decimal? Contracts, decimal? Coin, decimal? Usd)
{
    /// <summary>Reads a row.</summary>
    /// <exception cref="FormatException">It is not an array of at least two strings, the first a time.</exception>
    public static OkxOpenInterestHistoryRow From(IReadOnlyList<string> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Count < 2 || OkxJson.Millis(row[0]) is not { } time)
        {
            throw new FormatException($"An OKX OI history row is [ts, oi, oiCcy, oiUsd]; got [{string.Join(", ", row)}].");
        }
        return new OkxOpenInterestHistoryRow(time, OkxJson.Number(row[1]), row.Count > 2 ? OkxJson.Number(row[2]) : null, row.Count > 3 ? OkxJson.Number(row[3]) : null);
    }
}
