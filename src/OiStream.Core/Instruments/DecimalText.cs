using System.Globalization;

namespace OiStream.Core.Instruments;

/// <summary>
/// Numbers as venues send them: decimal strings (<c>"2216113.01000000309"</c>: OKX and Bybit put every number in a
/// string), with <c>""</c> for "not applicable". Decimal, not double: OKX values carry 20 and more digits.
/// </summary>
public static class DecimalText
{
    /// <summary>A decimal string as a number; null for a missing or empty field (never zero).</summary>
    /// <param name="text">The text.</param>
    /// <param name="venue">Who sent it, for the error message.</param>
    /// <exception cref="FormatException">The text is not a number; the message quotes it and names the venue.</exception>
    public static decimal? Parse(string? text, string venue)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        // More digits than a decimal holds (29): rounded through a double rather than refused.
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var wide) && double.IsFinite(wide) && Math.Abs(wide) < 7.9e28
            ? (decimal)wide
            : throw new FormatException($"{venue} sent '{text}' where a decimal string was expected.");
    }

    /// <summary>A millisecond timestamp string; null for missing, empty or <c>"0"</c>.</summary>
    /// <exception cref="FormatException">The text is not a number.</exception>
    public static long? Millis(string? text, string venue) =>
        Parse(text, venue) is { } v && v > 0 ? (long)v : null;
}
