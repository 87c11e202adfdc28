using System.Text.Json;
using System.Text.Json.Serialization;
using OiStream.Core.Instruments;

namespace OiStream.Okx.Wire;

/// <summary>OKX v5's envelope: <c>code</c> is a string, <c>"0"</c> is success, <c>data</c> always an array (fact sheet §3.1).</summary>
/// <typeparam name="T">One element of <c>data</c>.</typeparam>
public sealed record OkxResponse<T>(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("msg")] string? Msg,
    [property: JsonPropertyName("data")] IReadOnlyList<T>? Data)
{
    /// <summary>The data of a successful answer.</summary>
    /// <exception cref="OkxApiException">OKX refused the request (<c>code</c> ≠ <c>"0"</c>).</exception>
    public IReadOnlyList<T> EnsureSuccess(string what) =>
        Code == "0" ? Data ?? [] : throw new OkxApiException(Code, Msg, what);
}

/// <summary>OKX answered with an error code; the message names the request, the code, OKX's text and what to do.</summary>
public sealed class OkxApiException(string code, string? msg, string what)
    : Exception($"OKX refused {what}: code {code} \"{msg}\"" + code switch
    {
        "50011" => " (its rate limit: slow down; OKX does not queue a refused request).",
        "51001" => " (no such instrument: OKX ids look like BTC-USDT-SWAP or BTC-USD-250808, uppercase).",
        _ => ".",
    })
{
    /// <summary>OKX's code, e.g. <c>50011</c> (rate limit) or <c>51001</c> (no such instrument).</summary>
    public string Code { get; } = code;
}

/// <summary>How OKX's JSON is read: every number (timestamps too) in a string.</summary>
public static class OkxJson
{
    /// <summary>The serializer options for OKX's payloads.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    /// <summary>A decimal string as a number; null for a missing or empty field.</summary>
    public static decimal? Number(string? text) => DecimalText.Parse(text, "OKX");

    /// <summary>A millisecond timestamp string; null for missing or empty.</summary>
    public static long? Millis(string? text) => DecimalText.Millis(text, "OKX");
}
