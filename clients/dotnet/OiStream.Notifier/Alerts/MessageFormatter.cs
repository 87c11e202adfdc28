using System.Globalization;
using OiStream.Client;
using OiStream.Contracts;
using OiStream.Notifier.Rules;

namespace OiStream.Notifier.Alerts;

/// <summary>Readable chat messages: what moved, by how much, over which window, the figures behind it, and a link.</summary>
internal static class MessageFormatter
{
    private static readonly Dictionary<string, string> QuadrantMeaning = new(StringComparer.Ordinal)
    {
        [SignalNames.StrongBullish] = "price ↑ OI ↑: new longs",
        [SignalNames.WeakeningRally] = "price ↑ OI ↓: short covering",
        [SignalNames.StrongBearish] = "price ↓ OI ↑: new shorts",
        [SignalNames.WeakeningSelloff] = "price ↓ OI ↓: long liquidation",
        [SignalNames.Neutral] = "no clear move",
    };

    public static string Condition(Rule rule, Condition c, string subject, double? value, double? oi, string unit, double? oiUsd, double? mark, double? funding, string source, Uri? link)
    {
        string head;
        if (c.Quadrant is not null)
        {
            head = $"🧭 {subject} {c.Window} is {(c.Operator == "==" ? c.Quadrant : "no longer " + c.Quadrant)}" +
                (c.Operator == "==" ? $" ({QuadrantMeaning[c.Quadrant]})" : "");
        }
        else
        {
            var what = c.Field switch { "changeUsd" => "OI (USD)", "priceChange" => "price", _ => "OI" };
            var arrow = value > 0 ? "📈" : "📉";
            head = $"{arrow} {subject} {what} {OiFormat.Percent(value)} in {c.Window}";
        }
        var figures = $"OI {OiFormat.Compact(oi)} {unit} · {OiFormat.Compact(oiUsd)} USD · mark {OiFormat.Compact(mark)}" +
            (funding is { } f ? $" · funding {(f * 100).ToString("0.####", CultureInfo.InvariantCulture)} %" : "");
        return Compose(source, head, $"rule “{rule.Name}”: {c}", figures, link);
    }

    public static string Signal(Rule rule, SignalEvent e, Uri? link) =>
        Compose(e.Source, $"⚡ {e.Kind} {e.Symbol ?? e.Coin} ({e.Window}): {e.Message}", $"rule “{rule.Name}”", null, link);

    public static string Suppressed(long count, IReadOnlyCollection<string> subjects, int max, TimeSpan period) =>
        $"⏸ {count} more alert{(count == 1 ? "" : "s")} held back by the rate cap ({max} per {period}): " +
        string.Join(", ", subjects.Take(20)) + (subjects.Count > 20 ? $" and {subjects.Count - 20} more" : "") +
        ". Each is in the notifier's log.";

    public static Uri? LinkFor(Uri? dashboard, string key, string value) =>
        dashboard is null ? null : new UriBuilder(dashboard) { Query = $"{key}={Uri.EscapeDataString(value)}" }.Uri;

    private static string Compose(string source, string head, string rule, string? figures, Uri? link) =>
        (source == "simulated" ? "[SIMULATED] " : "") + head + " — " + rule +
        (figures is null ? "" : "\n" + figures) +
        (link is null ? "" : "\n" + link);
}
