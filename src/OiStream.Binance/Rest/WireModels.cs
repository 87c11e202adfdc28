using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OiStream.Binance.Rest;

// Binance's REST shapes, as the fact sheet describes them (sections 3–5). Decimals arrive as strings; timestamps as
// numbers or strings depending on the endpoint. Nothing here is shared with the simulator.

internal sealed record ErrorWire(int Code, string? Msg);

internal sealed record RateLimitWire(string RateLimitType, string Interval, int IntervalNum, int Limit);

internal sealed record FuturesSymbolWire(
    string Symbol,
    string? Pair,
    string? ContractType,
    string? Status,
    string? ContractStatus,
    string? BaseAsset,
    string? QuoteAsset,
    string? MarginAsset,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double ContractSize);

internal sealed record FuturesExchangeInfoWire(RateLimitWire[]? RateLimits, FuturesSymbolWire[]? Symbols);

internal sealed record OpenInterestWire(
    string Symbol,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double OpenInterest,
    [property: JsonConverter(typeof(LenientLongConverter))] long Time);

internal sealed record OpenInterestHistWire(
    string? Symbol,
    string? Pair,
    string? ContractType,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double SumOpenInterest,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double SumOpenInterestValue,
    [property: JsonConverter(typeof(LenientLongConverter))] long Timestamp);

internal sealed record PremiumIndexWire(
    string Symbol,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double MarkPrice,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double LastFundingRate,
    [property: JsonConverter(typeof(LenientLongConverter))] long Time);

internal sealed record OptionSymbolWire(
    string Symbol,
    [property: JsonConverter(typeof(LenientLongConverter))] long ExpiryDate,
    string? Underlying,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double Unit,
    string? Status);

internal sealed record OptionsExchangeInfoWire(RateLimitWire[]? RateLimits, OptionSymbolWire[]? OptionSymbols);

internal sealed record OptionsOpenInterestWire(
    string Symbol,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double SumOpenInterest,
    [property: JsonConverter(typeof(LenientDoubleConverter))] double SumOpenInterestUsd,
    [property: JsonConverter(typeof(LenientLongConverter))] long Timestamp);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ErrorWire))]
[JsonSerializable(typeof(FuturesExchangeInfoWire))]
[JsonSerializable(typeof(OpenInterestWire))]
[JsonSerializable(typeof(OpenInterestHistWire[]))]
[JsonSerializable(typeof(PremiumIndexWire))]
[JsonSerializable(typeof(PremiumIndexWire[]))]
[JsonSerializable(typeof(OptionsExchangeInfoWire))]
[JsonSerializable(typeof(OptionsOpenInterestWire[]))]
internal sealed partial class BinanceJson : JsonSerializerContext;

/// <summary>A decimal that arrives as a JSON string (<c>"94570.933"</c>) or number; <c>""</c> (e.g. COIN-M delivery funding) reads as NaN.</summary>
internal sealed class LenientDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.GetDouble();
            case JsonTokenType.String:
                var text = reader.GetString();
                if (string.IsNullOrEmpty(text))
                {
                    return double.NaN;
                }
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new JsonException($"'{text}' is not a decimal number.");
            case JsonTokenType.Null:
                return double.NaN;
            default:
                throw new JsonException($"Expected a number or a numeric string, got {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>Milliseconds as a JSON number or a numeric string (options OI <c>timestamp</c>, the documented hist example).</summary>
internal sealed class LenientLongConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return reader.GetInt64();
            case JsonTokenType.String:
                var text = reader.GetString();
                return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new JsonException($"'{text}' is not a whole number of milliseconds.");
            default:
                throw new JsonException($"Expected a number or a numeric string, got {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
