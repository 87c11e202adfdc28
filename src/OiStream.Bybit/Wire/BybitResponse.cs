using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OiStream.Core.Instruments;

namespace OiStream.Bybit.Wire;

/// <summary>
/// Bybit v5's envelope of every REST answer: <c>retCode</c> 0 is success; errors usually come with HTTP 200 and a
/// non-zero <c>retCode</c> (fact sheet §2.1).
/// </summary>
/// <typeparam name="T">What <c>result</c> holds.</typeparam>
public sealed record BybitResponse<T>(
    [property: JsonPropertyName("retCode")] int RetCode,
    [property: JsonPropertyName("retMsg")] string? RetMsg,
    [property: JsonPropertyName("result")] T? Result,
    [property: JsonPropertyName("time")] long Time)
{
    /// <summary>The result of a successful answer.</summary>
    /// <exception cref="BybitApiException">Bybit refused the request (<c>retCode</c> ≠ 0) or sent no result.</exception>
    public T EnsureSuccess(string what) =>
        RetCode == 0 && Result is { } result
            ? result
            : throw new BybitApiException(RetCode, RetMsg, what);
}

/// <summary>Bybit answered with a non-zero <c>retCode</c>; the message names the request, the code and Bybit's text.</summary>
public sealed class BybitApiException(int retCode, string? retMsg, string what)
    : Exception($"Bybit refused {what}: retCode {retCode.ToString(CultureInfo.InvariantCulture)} \"{retMsg}\"" + (retCode == 10001 ? " (a parameter Bybit does not accept: check the symbol, uppercase only, and the category)." : "."))
{
    /// <summary>Bybit's <c>retCode</c> (e.g. 10001, a parameter error).</summary>
    public int RetCode { get; } = retCode;
}

/// <summary>How Bybit's JSON is read: numbers in strings, <c>""</c> for "not applicable".</summary>
public static class BybitJson
{
    /// <summary>The serializer options for Bybit's payloads.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    /// <summary>A decimal string as a number; null for a missing or empty field (never zero).</summary>
    /// <exception cref="FormatException">The text is not a number; the message quotes it.</exception>
    public static decimal? Number(string? text) => DecimalText.Parse(text, "Bybit");

    /// <summary>A millisecond timestamp string (<c>"1669571400000"</c>); null for missing, empty or <c>"0"</c>.</summary>
    public static long? Millis(string? text) => DecimalText.Millis(text, "Bybit");
}
