using System.Globalization;
using System.Text;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Bot.Views;

/// <summary>
/// A live table redrawn in place with ANSI codes (at most 4 times a second): one row per instrument and coin, the
/// changes coloured by direction and bold at or over the threshold, the latest signals and connection notes below.
/// </summary>
public sealed class TableView(TextWriter output, double threshold, Uri hub) : IUpdateView
{
    private const string Reset = "\u001b[0m";
    private const string Green = "\u001b[32m";
    private const string Red = "\u001b[31m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";
    private const string Banner = "\u001b[1;37;41m";

    private readonly SortedDictionary<string, InstrumentState> _instruments = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, CoinState> _coins = new(StringComparer.Ordinal);
    private readonly Queue<string> _events = new();
    private string? _notice;
    private bool _simulated;
    // The hub's windows, as its states carry them (protocol v1's until the first state arrives).
    private IReadOnlyList<string> _windows = OiFormat.Windows;
    private bool _dirty;
    private DateTimeOffset _lastDraw;

    /// <inheritdoc />
    public void Add(object update)
    {
        switch (update)
        {
            case InstrumentState s:
                _instruments[s.Symbol] = s;
                if (s.Change.Count > 0 && !s.Change.Keys.SequenceEqual(_windows))
                {
                    _windows = [.. s.Change.Keys];
                }
                _simulated |= s.Source == "simulated";
                break;
            case CoinState c:
                _coins[c.Coin] = c;
                _simulated |= c.Source == "simulated";
                break;
            case SignalEvent e:
                Remember(LineView.Format(e, threshold));
                break;
            case FeedStatus f:
                Remember(LineView.Format(f, threshold));
                break;
        }
        _dirty = true;
    }

    /// <inheritdoc />
    public void Notice(string text)
    {
        _notice = $"{DateTimeOffset.Now:HH:mm:ss} {text}";
        _dirty = true;
    }

    /// <inheritdoc />
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (!_dirty || now - _lastDraw < TimeSpan.FromMilliseconds(250))
        {
            return;
        }
        _dirty = false;
        _lastDraw = now;
        await output.WriteAsync(Render().AsMemory(), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    private void Remember(string line)
    {
        _events.Enqueue(line);
        while (_events.Count > 5)
        {
            _events.Dequeue();
        }
    }

    /// <summary>The whole screen: cursor home, then every line cleared to its end, then the rest cleared.</summary>
    internal string Render()
    {
        var b = new StringBuilder("\u001b[H");
        void LineEnd() => b.Append("\u001b[K\n");
        b.Append(Bold).Append("OiStream").Append(Reset).Append(' ').Append(hub).Append("  ")
            .Append(DateTimeOffset.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture))
            .Append("  highlight ≥ ").Append(threshold.ToString("0.##", CultureInfo.InvariantCulture)).Append(" %");
        if (_simulated)
        {
            b.Append("  ").Append(Banner).Append(" SIMULATED DATA ").Append(Reset);
        }
        LineEnd();
        LineEnd();
        b.Append(Bold).Append($"{"SYMBOL",-16}{"MARK",10}{"OI",10}{"OI USD",10}");
        foreach (var w in _windows)
        {
            b.Append(w.PadLeft(10));
        }
        b.Append($"{"FUNDING",11}  SIGNAL 1h").Append(Reset);
        LineEnd();
        foreach (var s in _instruments.Values)
        {
            Row(b, s.Symbol + (s.Stale ? " (stale)" : ""), s.MarkPrice, s.OpenInterest, s.OpenInterestUsd, s.Change);
            b.Append((s.FundingRate is { } f ? (f * 100).ToString("F4", CultureInfo.InvariantCulture) + "%" : "—").PadLeft(11));
            b.Append("  ").Append(s.Signal.GetValueOrDefault("1h") ?? "—");
            LineEnd();
        }
        foreach (var c in _coins.Values)
        {
            Row(b, "coin " + c.Coin, c.MarkPrice, c.OpenInterestCoin, c.OpenInterestUsd, c.Change);
            b.Append("—".PadLeft(11)).Append("  ").Append(c.Signal.GetValueOrDefault("1h") ?? "—");
            LineEnd();
        }
        LineEnd();
        foreach (var e in _events)
        {
            b.Append(Dim).Append(e).Append(Reset);
            LineEnd();
        }
        if (_notice is not null)
        {
            b.Append(_notice);
            LineEnd();
        }
        return b.Append("\u001b[J").ToString();
    }

    private void Row(StringBuilder b, string name, double? mark, double? oi, double? oiUsd, IReadOnlyDictionary<string, double?> change)
    {
        b.Append(name.PadRight(16)).Append(OiFormat.Compact(mark).PadLeft(10)).Append(OiFormat.Compact(oi).PadLeft(10)).Append(OiFormat.Compact(oiUsd).PadLeft(10));
        foreach (var w in _windows)
        {
            var v = change.GetValueOrDefault(w);
            var text = OiFormat.Percent(v).PadLeft(10);
            if (v is not { } x || x == 0)
            {
                b.Append(text);
                continue;
            }
            b.Append(Math.Abs(x) >= threshold ? Bold : "").Append(x > 0 ? Green : Red).Append(text).Append(Reset);
        }
    }
}
