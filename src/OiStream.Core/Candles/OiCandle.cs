namespace OiStream.Core.Candles;

/// <summary>What a stored series describes.</summary>
public enum SeriesKind : byte
{
    /// <summary>One instrument (a futures contract, or an options expiry).</summary>
    Instrument = 0,

    /// <summary>A coin aggregate (design section 4).</summary>
    Coin = 1,
}

/// <summary>Names one stored series: an instrument by its symbol, or a coin aggregate by its coin.</summary>
/// <param name="Kind">Instrument or coin.</param>
/// <param name="Name">The symbol (<c>BTCUSDT</c>) or the coin (<c>BTC</c>), as the engine spells it.</param>
public readonly record struct SeriesKey(SeriesKind Kind, string Name)
{
    /// <summary>An instrument's series.</summary>
    public static SeriesKey Instrument(string symbol) => new(SeriesKind.Instrument, symbol);

    /// <summary>A coin aggregate's series.</summary>
    public static SeriesKey Coin(string coin) => new(SeriesKind.Coin, coin);

    /// <inheritdoc />
    public override string ToString() => Kind == SeriesKind.Coin ? "coin " + Name : Name;
}

/// <summary>
/// One candle of open interest: open, high, low and close of OI in coins over
/// [<see cref="Time"/>, <see cref="Time"/> + <see cref="Resolution"/>), with the USD value and mark price at the close.
/// </summary>
/// <param name="Series">Whose candle.</param>
/// <param name="Resolution">Bucket width in ms (<see cref="OneMinute"/>, <see cref="FiveMinutes"/>, or a rollup's).</param>
/// <param name="Time">Bucket start, Unix ms (a multiple of <paramref name="Resolution"/>).</param>
/// <param name="Open">OI in coins at the first sample of the bucket.</param>
/// <param name="High">Highest OI in coins within the bucket.</param>
/// <param name="Low">Lowest OI in coins within the bucket.</param>
/// <param name="Close">OI in coins at the last sample of the bucket.</param>
/// <param name="CloseUsd">OI in USD at the last sample (NaN when unknown).</param>
/// <param name="ClosePrice">Mark price at the last sample (NaN where there is none: options, coins without a reference).</param>
/// <param name="Samples">Samples folded in; an imported exchange history row counts as one.</param>
public readonly record struct OiCandle(
    SeriesKey Series,
    long Resolution,
    long Time,
    double Open,
    double High,
    double Low,
    double Close,
    double CloseUsd,
    double ClosePrice,
    int Samples)
{
    /// <summary>One minute in ms: the resolution the engine builds candles at.</summary>
    public const long OneMinute = 60_000;

    /// <summary>Five minutes in ms: the resolution of exchange history (<c>openInterestHist</c>) and of long-term storage.</summary>
    public const long FiveMinutes = 300_000;

    /// <summary>The end of the bucket (exclusive).</summary>
    public long End => Time + Resolution;

    /// <summary>
    /// One exchange history row (<c>openInterestHist</c>, five-minute period) as a candle. A row stamped
    /// <paramref name="time"/> is the value at that moment, so it closes the five-minute bucket that ends there, as a
    /// live bucket's close is the value at its end; open, high and low equal the close, and it counts as one sample.
    /// </summary>
    public static OiCandle FromExchangeRow(SeriesKey series, long time, double coin, double usd, double price)
    {
        var bucket = (time - 1) - ((time - 1) % FiveMinutes);
        return new OiCandle(series, FiveMinutes, bucket, coin, coin, coin, coin, usd, price, 1);
    }

    /// <summary>
    /// Folds a later candle of the same series into this one (a rollup, or two halves of one bucket written apart):
    /// open stays, high and low widen, close and its USD value and price move to the later one, samples add up.
    /// </summary>
    public OiCandle Merge(in OiCandle later) => this with
    {
        High = Math.Max(High, later.High),
        Low = Math.Min(Low, later.Low),
        Close = later.Close,
        CloseUsd = later.CloseUsd,
        ClosePrice = double.IsNaN(later.ClosePrice) ? ClosePrice : later.ClosePrice,
        Samples = Samples + later.Samples,
    };

    /// <summary>
    /// Rolls candles of one series (oldest first) up to a coarser <paramref name="resolution"/>; buckets with no candle
    /// are left out, never invented.
    /// </summary>
    public static List<OiCandle> Rollup(IReadOnlyList<OiCandle> candles, long resolution)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resolution);
        var result = new List<OiCandle>();
        for (var i = 0; i < candles.Count; i++)
        {
            var c = candles[i];
            var bucket = c.Time - (c.Time % resolution);
            if (result.Count > 0 && result[^1].Time == bucket)
            {
                result[^1] = result[^1].Merge(c);
            }
            else
            {
                result.Add(c with { Resolution = resolution, Time = bucket });
            }
        }
        return result;
    }
}
