using System.Globalization;

namespace OiStream.Simulator.Venues;

/// <summary>The venues write every number as a JSON string; these format them as the fact sheet's captures do.</summary>
internal static class VenueText
{
    public static string Fixed(double value, int decimals) => double.IsFinite(value)
        ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
        : "";

    public static string Price(double value) => Fixed(value, value >= 1000 ? 2 : 6);

    public static string Ms(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A long decimal string as OKX sends (<c>"22161.1301000000309"</c>): up to 12 decimals, trailing zeros kept off.</summary>
    public static string Long(double value) => double.IsFinite(value) ? value.ToString("0.############", CultureInfo.InvariantCulture) : "";

    public static bool TryLong(string? text, out long value) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public static bool TryInt(string? text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
