using System.Text.Json;
using OiStream.Bybit.Wire;

namespace OiStream.Bybit.Streams;

/// <summary>
/// The last full ticker of each symbol of one <c>tickers</c> socket: a snapshot replaces it, a delta is applied field
/// by field (a field a delta leaves out has not changed). A delta for a symbol with no snapshot yet is ignored (after a
/// reconnect the state is cleared and the next snapshot starts it again), so a missing field is never read as zero.
/// One reader (the socket's loop).
/// </summary>
public sealed class TickerBook
{
    private readonly Dictionary<string, BybitTicker> _tickers = new(StringComparer.Ordinal);

    /// <summary>Deltas ignored because no snapshot of their symbol was held.</summary>
    public long OrphanDeltas { get; private set; }

    /// <summary>Symbols held.</summary>
    public int Count => _tickers.Count;

    /// <summary>Applies one frame's text; null when it is not a ticker frame (a subscribe answer, a pong) or is ignored.</summary>
    /// <exception cref="JsonException">The text is not JSON, or a ticker frame is malformed.</exception>
    public TickerUpdate? Apply(string frame)
    {
        using var doc = JsonDocument.Parse(frame);
        if (!doc.RootElement.TryGetProperty("topic", out var topic) || topic.GetString()?.StartsWith("tickers.", StringComparison.Ordinal) != true)
        {
            return null;
        }
        return Apply(doc.RootElement.Deserialize<BybitTickerFrame>(BybitJson.Options) ?? throw new JsonException("an empty ticker frame"));
    }

    /// <summary>Applies one ticker frame; null when it is ignored.</summary>
    public TickerUpdate? Apply(BybitTickerFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        BybitTicker ticker;
        if (frame.Type == "snapshot")
        {
            ticker = BybitTicker.From(frame.Data);
        }
        else if (frame.Type == "delta" && frame.Data.TryGetValue("symbol", out var s) && _tickers.TryGetValue(s.GetString() ?? "", out var held))
        {
            ticker = held.With(frame.Data);
        }
        else
        {
            OrphanDeltas++;
            return null;
        }
        _tickers[ticker.Symbol] = ticker;
        var snapshot = frame.Type == "snapshot";
        var oi = snapshot || frame.Data.ContainsKey("openInterest") || frame.Data.ContainsKey("singleOpenInterest");
        var mark = snapshot || frame.Data.ContainsKey("markPrice");
        return new TickerUpdate(ticker, oi, mark, frame.Ts);
    }

    /// <summary>Forgets every symbol (the socket reconnected: its next snapshots start them again).</summary>
    public void Clear() => _tickers.Clear();
}

/// <summary>A ticker after a frame: its full state, whether the frame brought OI or the mark price, and the frame's time (Unix ms).</summary>
public sealed record TickerUpdate(BybitTicker Ticker, bool OpenInterestChanged, bool MarkPriceChanged, long Time);
