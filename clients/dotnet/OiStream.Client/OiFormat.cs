using System.Globalization;

namespace OiStream.Client;

/// <summary>Numbers for people, the same way in the bot, the notifier and the JavaScript client: 1.23B, +2.27 %.</summary>
public static class OiFormat
{
    private static readonly (double Limit, string Suffix)[] Scales = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];

    /// <summary>1234567 → "1.23M"; 0.000123456 → "0.000123"; null → "—".</summary>
    public static string Compact(double? value, int digits = 2)
    {
        if (value is not { } v || !double.IsFinite(v))
        {
            return "—";
        }
        var abs = Math.Abs(v);
        foreach (var (limit, suffix) in Scales)
        {
            if (abs >= limit)
            {
                return (v / limit).ToString("F" + digits, CultureInfo.InvariantCulture) + suffix;
            }
        }
        if (abs >= 1)
        {
            return v.ToString("F" + digits, CultureInfo.InvariantCulture);
        }
        return abs == 0 ? "0" : v.ToString("G3", CultureInfo.InvariantCulture);
    }

    /// <summary>2.2671 → "+2.27 %"; -0.5 → "−0.50 %"; -0.001 → "0.00 %"; null → "—".</summary>
    public static string Percent(double? value, int digits = 2)
    {
        if (value is not { } v || !double.IsFinite(v))
        {
            return "—";
        }
        // The sign follows the rounded figure: -0.001 reads "0.00 %", not "−0.00 %".
        var rounded = Math.Round(v, digits, MidpointRounding.AwayFromZero);
        var sign = rounded > 0 ? "+" : rounded < 0 ? "−" : "";
        return sign + Math.Abs(rounded).ToString("F" + digits, CultureInfo.InvariantCulture) + " %";
    }

    /// <summary>The change windows of protocol v1 by default, shortest first (a hub's own: <see cref="OiStreamClient.GetInfoAsync"/>).</summary>
    public static IReadOnlyList<string> Windows { get; } = ["5m", "15m", "30m", "1h", "4h", "24h"];
}
