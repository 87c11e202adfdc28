using System.Data.Common;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;

namespace OiStream.Storage;

/// <summary>
/// What a read of <see cref="IHistoryStore.ReadAsync"/> asks of a provider's tables, worked out once for every
/// provider: which table, which rows (as minute numbers, the stored time), how many, and how the rows become the answer.
/// </summary>
/// <param name="FiveMinuteTable">Whether the rows come from the five-minute table (else the minute table).</param>
/// <param name="Step">The stored rows' width in ms.</param>
/// <param name="FromMinute">The first stored row's minute number to read.</param>
/// <param name="UntilMinute">The last stored row's minute number to read.</param>
/// <param name="Rows">Most rows to read.</param>
public readonly record struct CandleRead(bool FiveMinuteTable, long Step, long FromMinute, long UntilMinute, long Rows)
{
    private const long Minute = OiCandle.OneMinute;

    /// <summary>The read of candles at <paramref name="resolution"/> whose bucket starts within [<paramref name="start"/>, <paramref name="until"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The resolution is not 1m, 5m or a multiple of 5m; or the limit is not positive.</exception>
    public static CandleRead For(long resolution, long start, long until, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (resolution != Minute && (resolution < OiCandle.FiveMinutes || resolution % OiCandle.FiveMinutes != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Use 1m, or 5m or a multiple of it.");
        }
        var factor = resolution == Minute ? 1 : resolution / OiCandle.FiveMinutes;
        var step = resolution == Minute ? Minute : OiCandle.FiveMinutes;
        // Whole buckets: from the start of the one holding `start` to the last stored row of the one holding `until`.
        var alignedFrom = start - (((start % resolution) + resolution) % resolution);
        var alignedUntil = until - (((until % resolution) + resolution) % resolution) + resolution - step;
        return new CandleRead(resolution != Minute, step, FloorMinute(alignedFrom), FloorMinute(alignedUntil), Math.Min((limit * factor) + factor, int.MaxValue));
    }

    /// <summary>
    /// The answer from the stored rows read (in time order): rolled up to <paramref name="resolution"/> and cut to
    /// <paramref name="limit"/> from the start or the end.
    /// </summary>
    public static IReadOnlyList<OiCandle> Finish(List<OiCandle> stored, long resolution, int limit, bool fromStart)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var result = resolution == Minute || resolution == OiCandle.FiveMinutes ? stored : OiCandle.Rollup(stored, resolution);
        // A rolled-up read takes one bucket's rows more than the limit needs, so the bucket the row limit cut short
        // is the one left out here.
        return result.Count > limit ? (fromStart ? result[..limit] : result[^limit..]) : result;
    }

    /// <summary>
    /// A warm start's candles from every instrument's minutes and five-minute buckets (each oldest first per series):
    /// five-minute buckets only where no minute is held yet (imported exchange history, or before the hub's first
    /// minute), minutes after that.
    /// </summary>
    public static IReadOnlyList<OiCandle> Recent(List<OiCandle> minutes, List<OiCandle> fives)
    {
        ArgumentNullException.ThrowIfNull(minutes);
        ArgumentNullException.ThrowIfNull(fives);
        var firstMinute = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in minutes)
        {
            firstMinute.TryAdd(c.Series.Name, c.Time);
        }
        var result = new List<OiCandle>(minutes.Count + fives.Count);
        result.AddRange(fives.Where(c => !firstMinute.TryGetValue(c.Series.Name, out var first) || c.End <= first));
        result.AddRange(minutes);
        return result;
    }

    /// <summary><paramref name="range"/> cut to whole five-minute buckets, as minute numbers [from, to).</summary>
    public static (long From, long To) FiveMinuteSpan(TimeRange range)
    {
        const long five = OiCandle.FiveMinutes;
        var from = range.From - (((range.From % five) + five) % five);
        var to = range.To - (((range.To % five) + five) % five);
        return (from / Minute, to / Minute);
    }

    /// <summary>
    /// The gaps of <paramref name="span"/> (minute numbers from <see cref="FiveMinuteSpan"/>) given the five-minute
    /// buckets held in it (minute numbers, ascending), as times in ms.
    /// </summary>
    public static List<TimeRange> Gaps((long From, long To) span, IEnumerable<long> heldMinutes)
    {
        ArgumentNullException.ThrowIfNull(heldMinutes);
        var gaps = new List<TimeRange>();
        var expected = span.From * Minute;
        var to = span.To * Minute;
        foreach (var m in heldMinutes)
        {
            var t = m * Minute;
            if (t > expected)
            {
                gaps.Add(new TimeRange(expected, t));
            }
            expected = t + OiCandle.FiveMinutes;
        }
        if (expected < to)
        {
            gaps.Add(new TimeRange(expected, to));
        }
        return gaps;
    }

    /// <summary>The minute number holding <paramref name="ms"/> (floor, also before 1970).</summary>
    public static long FloorMinute(long ms) => ms >= 0 ? ms / Minute : ((ms + 1) / Minute) - 1;

    /// <summary>A stored value, or null where it equals the close (or is not a number): the tables keep it once.</summary>
    public static double? OrNullIfClose(double value, double close) => value == close || !double.IsFinite(value) ? null : value;

    /// <summary>A stored value, or null where it is not a number (no price is stored as no price, never 0).</summary>
    public static double? OrNull(double value) => double.IsFinite(value) ? value : null;

    /// <summary>
    /// A stored row as a candle: columns t (minute number), open, high, low, close, usd, price, samples from
    /// <paramref name="offset"/> on (NULL open, high, low mean the close; NULL usd, price mean none).
    /// </summary>
    public static OiCandle FromRow(DbDataReader r, SeriesKey series, long step, int offset = 0)
    {
        ArgumentNullException.ThrowIfNull(r);
        var close = r.GetDouble(offset + 4);
        return new OiCandle(series, step, r.GetInt64(offset) * Minute,
            r.IsDBNull(offset + 1) ? close : r.GetDouble(offset + 1),
            r.IsDBNull(offset + 2) ? close : r.GetDouble(offset + 2),
            r.IsDBNull(offset + 3) ? close : r.GetDouble(offset + 3),
            close,
            r.IsDBNull(offset + 5) ? double.NaN : r.GetDouble(offset + 5),
            r.IsDBNull(offset + 6) ? double.NaN : r.GetDouble(offset + 6),
            r.GetInt32(offset + 7));
    }

    /// <summary>
    /// Runs a read's command (columns as for <see cref="FromRow"/>, ordered by time, ascending when
    /// <paramref name="fromStart"/>, else descending) and makes the answer of it.
    /// </summary>
    public async Task<IReadOnlyList<OiCandle>> RunAsync(DbCommand command, SeriesKey series, long resolution, int limit, bool fromStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var stored = new List<OiCandle>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(FromRow(reader, series, Step));
            }
        }
        if (!fromStart)
        {
            stored.Reverse();
        }
        return Finish(stored, resolution, limit, fromStart);
    }

    /// <summary>
    /// Runs a command whose rows are an instrument's name and then the columns of <see cref="FromRow"/>, ordered by
    /// series and time: every instrument's candles of width <paramref name="step"/>.
    /// </summary>
    public static async Task<List<OiCandle>> RunPerInstrumentAsync(DbCommand command, long step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var list = new List<OiCandle>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        string? name = null;
        var key = default(SeriesKey);
        while (await reader.ReadAsync(cancellationToken))
        {
            var n = reader.GetString(0);
            if (n != name)
            {
                name = n;
                key = SeriesKey.Instrument(n);
            }
            list.Add(FromRow(reader, key, step, offset: 1));
        }
        return list;
    }

    /// <summary>The table holding candles of a stored resolution (1m or 5m), for retention.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a stored resolution.</exception>
    public static string StoredTable(long resolution) => resolution switch
    {
        Minute => "candles_1m",
        OiCandle.FiveMinutes => "candles_5m",
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Stored resolutions are 1m and 5m."),
    };

    /// <summary>Runs a command whose one row is the oldest and newest minute number held (NULL when none): the extent.</summary>
    public static async Task<SeriesExtent?> RunExtentAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0))
        {
            return null;
        }
        return new SeriesExtent(reader.GetInt64(0) * Minute, reader.GetInt64(1) * Minute);
    }

    /// <summary>Runs a command whose rows are symbol, market, coin, contract type, contract size, quote: the instruments recorded.</summary>
    public static async Task<IReadOnlyList<InstrumentInfo>> RunInstrumentsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<InstrumentInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new InstrumentInfo(reader.GetString(0), (Market)reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetDouble(4), reader.GetString(5)));
        }
        return list;
    }
}
