using System.Globalization;
using System.Text;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Bot.Views;

/// <summary>One readable line per update, without terminal codes. Changes at or over the threshold carry a '*'.</summary>
public sealed class LineView(TextWriter output, double threshold) : IUpdateView
{
    /// <inheritdoc />
    public void Add(object update) => output.WriteLine(Format(update, threshold));

    /// <inheritdoc />
    public void Notice(string text)
    {
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

    /// <summary>The line for one update.</summary>
    public static string Format(object update, double threshold) => update switch
    {
        InstrumentState s => Line(Time(Math.Max(s.OiTime ?? 0, s.PriceTime ?? 0)), s.Symbol, s.MarkPrice, s.OpenInterest, s.OpenInterestUsd, s.Change, s.Signal, threshold)
            + (s.FundingRate is { } f ? $"  funding {(f * 100).ToString("F4", CultureInfo.InvariantCulture)} %" : "")
            + Flags(s.Source, s.Stale),
        CoinState c => Line(Time(c.Time ?? 0), "coin " + c.Coin, c.MarkPrice, c.OpenInterestCoin, c.OpenInterestUsd, c.Change, c.Signal, threshold) + Flags(c.Source, false),
        SignalEvent e => $"{Time(e.Time)} SIGNAL {e.Kind} {e.Symbol ?? e.Coin} {e.Window}: {e.Message}{Flags(e.Source, false)}",
        FeedStatus f => $"{Time(f.Time)} FEED {f.Feed}: {f.State}{(f.Message is null ? "" : " — " + f.Message)}",
        _ => update.ToString() ?? "",
    };

    private static string Line(string time, string name, double? mark, double? oi, double? oiUsd, IReadOnlyDictionary<string, double?> change, IReadOnlyDictionary<string, string?> signal, double threshold)
    {
        var b = new StringBuilder();
        b.Append(time).Append(' ').Append(name.PadRight(14))
            .Append(" mark ").Append(OiFormat.Compact(mark).PadLeft(8))
            .Append("  OI ").Append(OiFormat.Compact(oi).PadLeft(8))
            .Append("  OI$ ").Append(OiFormat.Compact(oiUsd).PadLeft(8));
        foreach (var w in change.Keys) // the hub's windows
        {
            var v = change.GetValueOrDefault(w);
            b.Append("  ").Append(w).Append(' ').Append(OiFormat.Percent(v).PadLeft(8)).Append(v is { } x && Math.Abs(x) >= threshold ? '*' : ' ');
        }
        if (signal.GetValueOrDefault("1h") is { } quadrant)
        {
            b.Append(" 1h:").Append(quadrant);
        }
        return b.ToString();
    }

    private static string Flags(string source, bool stale) => (source == "simulated" ? "  [SIMULATED]" : "") + (stale ? "  [STALE]" : "");

    private static string Time(long unixMs) =>
        (unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : DateTimeOffset.UtcNow).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
