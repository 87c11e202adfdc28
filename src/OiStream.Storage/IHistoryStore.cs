using OiStream.Core.Candles;
using OiStream.Core.Instruments;

namespace OiStream.Storage;

/// <summary>The oldest and newest bucket held for one series, at any resolution (Unix ms).</summary>
public readonly record struct SeriesExtent(long Oldest, long Newest);

/// <summary>A span of time [<see cref="From"/>, <see cref="To"/>) in Unix ms.</summary>
public readonly record struct TimeRange(long From, long To)
{
    /// <summary>Whether <paramref name="other"/> lies wholly inside this span.</summary>
    public bool Covers(TimeRange other) => other.From >= From && other.To <= To;
}

/// <summary>
/// Durable OI history: candles per instrument and per coin aggregate. Every provider passes the same abstract test
/// base (<c>HistoryStoreContract</c> in the tests).
/// </summary>
/// <remarks>
/// <para>
/// Writes: a one-minute candle is a live one; it is merged into the stored minute (<see cref="OiCandle.Merge"/>, so a
/// minute written in two parts, before and after a restart, ends whole) and into its five-minute bucket. A
/// five-minute candle is imported exchange history: it fills a bucket that holds nothing yet and never overwrites live
/// data. <see cref="WriteAsync"/> and <see cref="DeleteOlderThanAsync"/> are called by one writer at a time; reads may
/// run on any thread at any time.
/// </para>
/// <para>
/// Reads at 1m come from the minute candles; at 5m and coarser from the five-minute candles, rolled up on read.
/// </para>
/// </remarks>
public interface IHistoryStore : IAsyncDisposable
{
    /// <summary>Where the data lives, for messages (e.g. <c>SQLite file /srv/oistream/data/oistream.db</c>).</summary>
    string Description { get; }

    /// <summary>
    /// Opens (creating or upgrading the schema) and checks that the store holds data of <paramref name="source"/>
    /// (<c>binance</c> or <c>simulated</c>): real and simulated history are never mixed.
    /// </summary>
    /// <exception cref="HistoryStoreException">The store cannot be used: the message names the setting, the path and the fix.</exception>
    Task OpenAsync(string source, CancellationToken cancellationToken);

    /// <summary>Writes candles in one transaction (see the remarks for what 1m and 5m candles mean).</summary>
    Task WriteAsync(IReadOnlyList<OiCandle> candles, CancellationToken cancellationToken);

    /// <summary>
    /// Candles of one series at <paramref name="resolution"/> (1m, 5m, or a multiple of 5m rolled up on read) whose
    /// bucket starts within [<paramref name="start"/>, <paramref name="until"/>], oldest first: the first
    /// <paramref name="limit"/> of the range when <paramref name="fromStart"/>, else the last.
    /// </summary>
    Task<IReadOnlyList<OiCandle>> ReadAsync(SeriesKey series, long resolution, long start, long until, int limit, bool fromStart, CancellationToken cancellationToken);

    /// <summary>
    /// For a warm start: every instrument's candles since <paramref name="since"/> at the finest resolution held
    /// (minutes, and five-minute buckets before the first minute), oldest first per series.
    /// </summary>
    Task<IReadOnlyList<OiCandle>> ReadRecentAsync(long since, CancellationToken cancellationToken);

    /// <summary>The span held for one series, or null when nothing is.</summary>
    Task<SeriesExtent?> GetExtentAsync(SeriesKey series, CancellationToken cancellationToken);

    /// <summary>Deletes candles of <paramref name="resolution"/> whose bucket starts before <paramref name="before"/>; returns how many.</summary>
    Task<long> DeleteOlderThanAsync(long resolution, long before, CancellationToken cancellationToken);

    /// <summary>
    /// The spans of <paramref name="range"/> (five-minute aligned) in which <paramref name="series"/> has no
    /// five-minute candle, oldest first: what an import from the exchange should fetch.
    /// </summary>
    Task<IReadOnlyList<TimeRange>> FindGapsAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken);

    /// <summary>
    /// What an import learned of the exchange's history of a series: it holds nothing before
    /// <see cref="TimeRange.From"/> (a listing, or the end of its retention), as learned at <see cref="TimeRange.To"/>;
    /// or null. A gap that ends by then is not asked for again.
    /// </summary>
    Task<TimeRange?> GetImportedAsync(SeriesKey series, CancellationToken cancellationToken);

    /// <summary>Records what an import learned (see <see cref="GetImportedAsync"/>).</summary>
    Task SetImportedAsync(SeriesKey series, TimeRange range, CancellationToken cancellationToken);

    /// <summary>
    /// The instruments the hub tracked when it last wrote (empty when none were recorded): a hub restarted while the
    /// exchange cannot be reached still knows what its history describes and serves it.
    /// </summary>
    Task<IReadOnlyList<InstrumentInfo>> ReadInstrumentsAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the recorded instruments with <paramref name="instruments"/> in one transaction.</summary>
    Task SaveInstrumentsAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken);
}

/// <summary>A store that cannot be opened or used; the message names the problem, the setting and the fix.</summary>
public sealed class HistoryStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HistoryStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HistoryStoreException() : base("The history store cannot be used.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public HistoryStoreException(string message) : base(message)
    {
    }
}
