using System.Text.Json;
using System.Text.Json.Serialization;

namespace OiStream.Bybit.Wire;

/// <summary>
/// A ticker's full state (REST <c>/v5/market/tickers</c>, or the stream's snapshot with its deltas applied): every
/// field as Bybit sent it, read through typed properties. A field Bybit has not sent is null, never zero.
/// </summary>
public sealed class BybitTicker
{
    private readonly Dictionary<string, string> _fields;

    private BybitTicker(Dictionary<string, string> fields)
    {
        _fields = fields;
        Symbol = fields.TryGetValue("symbol", out var s) && s.Length > 0
            ? s
            : throw new FormatException("A Bybit ticker without a symbol.");
    }

    /// <summary>The symbol, e.g. <c>BTCUSDT</c>.</summary>
    public string Symbol { get; }

    /// <summary>The mark price.</summary>
    public decimal? MarkPrice => Get("markPrice");

    /// <summary>Both sides' OI: base coin (linear) or USD (inverse).</summary>
    public decimal? OpenInterest => Get("openInterest");

    /// <summary>Both sides' OI value: quote coin (linear) or base coin (inverse).</summary>
    public decimal? OpenInterestValue => Get("openInterestValue");

    /// <summary>One side's OI (since 2026-06-11), in <see cref="OpenInterest"/>'s unit.</summary>
    public decimal? SingleOpenInterest => Get("singleOpenInterest");

    /// <summary>One side's OI value (since 2026-06-11), in <see cref="OpenInterestValue"/>'s unit.</summary>
    public decimal? SingleOpenInterestValue => Get("singleOpenInterestValue");

    /// <summary>The funding rate; null for futures (Bybit sends <c>""</c>).</summary>
    public decimal? FundingRate => Get("fundingRate");

    /// <summary>The next funding time (Unix ms); null for futures.</summary>
    public long? NextFundingTime => BybitJson.Millis(_fields.GetValueOrDefault("nextFundingTime"));

    /// <summary>A field as Bybit sent it, or null.</summary>
    public string? this[string field] => _fields.GetValueOrDefault(field);

    /// <summary>A ticker from the fields of one JSON object (REST list item, or a stream snapshot's <c>data</c>).</summary>
    /// <exception cref="FormatException">The object has no symbol.</exception>
    public static BybitTicker From(IReadOnlyDictionary<string, JsonElement> data) => new(Read(data));

    /// <summary>This ticker with a delta's fields applied (a delta carries only what changed, and the symbol).</summary>
    public BybitTicker With(IReadOnlyDictionary<string, JsonElement> delta)
    {
        var next = new Dictionary<string, string>(_fields, StringComparer.Ordinal);
        foreach (var (key, value) in Read(delta))
        {
            next[key] = value;
        }
        return new BybitTicker(next);
    }

    private decimal? Get(string field) => BybitJson.Number(_fields.GetValueOrDefault(field));

    private static Dictionary<string, string> Read(IReadOnlyDictionary<string, JsonElement> data)
    {
        var fields = new Dictionary<string, string>(data.Count, StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            // Every number is a string on Bybit; a bare number (or anything else) is kept as its text.
            fields[key] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        }
        return fields;
    }
}

/// <summary>The <c>result</c> of <c>GET /v5/market/tickers</c>: every ticker of one category.</summary>
public sealed record BybitTickerPage(
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("list")] IReadOnlyList<Dictionary<string, JsonElement>> List);

/// <summary>A frame of the <c>tickers.{symbol}</c> stream: a snapshot, then deltas that omit unchanged fields.</summary>
public sealed record BybitTickerFrame(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] Dictionary<string, JsonElement> Data,
    [property: JsonPropertyName("cs")] long Cs,
    [property: JsonPropertyName("ts")] long Ts);
