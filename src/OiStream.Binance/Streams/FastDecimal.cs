using System.Globalization;

namespace OiStream.Binance.Streams;

/// <summary>
/// Parses Binance's decimal strings (<c>"11794.15000000"</c>, <c>"-0.00010000"</c>) to the same double as
/// <see cref="double.Parse(string, IFormatProvider)"/>, fast. When the digits, without the point, form an integer
/// below 2^53 and there are at most 22 decimals, the mantissa and 10^decimals are both exact doubles, so a single
/// IEEE division is correctly rounded (Clinger's fast path). Anything else, such as exponents, more digits or odd
/// characters, goes to the framework parser.
/// </summary>
internal static class FastDecimal
{
    private static readonly double[] Powers =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    public static bool TryParse(ReadOnlySpan<byte> text, out double value)
    {
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }
        ulong mantissa = 0;
        var digits = 0;
        var decimals = -1;
        for (; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'.' && decimals < 0)
            {
                decimals = 0;
                continue;
            }
            if (b is < (byte)'0' or > (byte)'9' || digits >= 19)
            {
                return Slow(text, out value);
            }
            mantissa = (mantissa * 10) + (ulong)(b - '0');
            if (mantissa != 0)
            {
                digits++;
            }
            if (decimals >= 0)
            {
                decimals++;
            }
        }
        if (text.Length == (negative ? 1 : 0) || decimals == 0 || mantissa >= (1UL << 53) || decimals > 22)
        {
            return Slow(text, out value);
        }
        var result = decimals > 0 ? mantissa / Powers[decimals] : mantissa;
        value = negative ? -result : result;
        return true;
    }

    private static bool Slow(ReadOnlySpan<byte> text, out double value)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
