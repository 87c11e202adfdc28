using System.Text.Json.Serialization;

namespace OiStream.Bybit.Wire;

/// <summary>One page of <c>GET /v5/market/instruments-info</c>; an empty <see cref="NextPageCursor"/> ends the list.</summary>
public sealed record BybitInstrumentPage(
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("list")] IReadOnlyList<BybitInstrument> List,
    [property: JsonPropertyName("nextPageCursor")] string? NextPageCursor);

/// <summary>A contract as <c>instruments-info</c> describes it (the fields OI needs).</summary>
public sealed record BybitInstrument(
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("contractType")] string ContractType,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("baseCoin")] string BaseCoin,
    [property: JsonPropertyName("quoteCoin")] string QuoteCoin,
    [property: JsonPropertyName("settleCoin")] string SettleCoin,
    [property: JsonPropertyName("launchTime")] string? LaunchTime,
    [property: JsonPropertyName("deliveryTime")] string? DeliveryTime)
{
    /// <summary>
    /// Inverse (coin-margined, quantities in USD) or linear (USDT/USDC, quantities in the base coin), from
    /// <c>contractType</c>, never from the symbol's text.
    /// </summary>
    public bool IsInverse => ContractType.StartsWith("Inverse", StringComparison.Ordinal);

    /// <summary>A perpetual (no delivery).</summary>
    public bool IsPerpetual => ContractType.EndsWith("Perpetual", StringComparison.Ordinal);
}

/// <summary>One page of <c>GET /v5/market/open-interest</c> (newest row first).</summary>
public sealed record BybitOpenInterestPage(
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("list")] IReadOnlyList<BybitOpenInterestRow> List,
    [property: JsonPropertyName("nextPageCursor")] string? NextPageCursor);

/// <summary>
/// One OI history row: <c>openInterest</c> counts both sides; <c>singleOpenInterest</c> (since 2026-06-11, missing in
/// older rows) one side. Units: base coin for linear, USD for inverse.
/// </summary>
public sealed record BybitOpenInterestRow(
    [property: JsonPropertyName("openInterest")] string OpenInterest,
    [property: JsonPropertyName("singleOpenInterest")] string? SingleOpenInterest,
    [property: JsonPropertyName("timestamp")] string Timestamp)
{
    /// <summary>One side's OI: <c>singleOpenInterest</c>, or half of <c>openInterest</c> where it is missing.</summary>
    public decimal? SingleSide => BybitJson.Number(SingleOpenInterest) ?? BybitJson.Number(OpenInterest) / 2;

    /// <summary>The row's time (Unix ms).</summary>
    public long? Time => BybitJson.Millis(Timestamp);
}

/// <summary>A page of <c>/v5/market/mark-price-kline</c>: rows <c>[startTime, open, high, low, close]</c>, newest first.</summary>
public sealed record BybitKlinePage(
    [property: JsonPropertyName("symbol")] string? Symbol,
    [property: JsonPropertyName("category")] string? Category,
    [property: JsonPropertyName("list")] IReadOnlyList<IReadOnlyList<string>> List);
