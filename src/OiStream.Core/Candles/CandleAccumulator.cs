namespace OiStream.Core.Candles;

/// <summary>
/// The open one-minute candle of one series, fed every sample the engine applies. When a sample falls in a later
/// minute, the finished candle goes to the sink and a new one opens. A sample stamped before the open minute (an OI
/// reading whose exchange time trails the last mark tick's) counts in the open minute rather than reopening a closed
/// one. A mutable struct kept inside its tracker: adding a sample allocates nothing.
/// </summary>
internal struct CandleAccumulator
{
    private long _start;
    private double _open;
    private double _high;
    private double _low;
    private double _close;
    private double _closeUsd;
    private double _closePrice;
    private int _samples;

    /// <summary>Whether a candle is open.</summary>
    public readonly bool IsOpen => _samples > 0;

    /// <summary>Adds a sample taken at exchange time <paramref name="time"/>; a sample without a coin quantity is skipped.</summary>
    public void Add(long time, double coin, double usd, double price, in SeriesKey series, List<OiCandle> closed)
    {
        if (!double.IsFinite(coin) || time <= 0)
        {
            return;
        }
        var minute = time - (time % OiCandle.OneMinute);
        if (_samples > 0 && minute > _start)
        {
            closed.Add(ToCandle(series));
            _samples = 0;
        }
        if (_samples == 0)
        {
            _start = Math.Max(minute, _start);
            _open = _high = _low = coin;
        }
        else
        {
            _high = Math.Max(_high, coin);
            _low = Math.Min(_low, coin);
        }
        _close = coin;
        _closeUsd = usd;
        _closePrice = price;
        _samples++;
    }

    /// <summary>Closes the open candle early (at shutdown): it goes to the sink as it is.</summary>
    public void Flush(in SeriesKey series, List<OiCandle> closed)
    {
        if (_samples > 0)
        {
            closed.Add(ToCandle(series));
            _samples = 0;
        }
    }

    private readonly OiCandle ToCandle(in SeriesKey series)
        => new(series, OiCandle.OneMinute, _start, _open, _high, _low, _close, _closeUsd, _closePrice, _samples);
}
