using System.Collections.Concurrent;
using OiStream.Contracts;
using OiStream.Core.Engine;

namespace OiStream.Server.Pipeline;

/// <summary>One stored 5-minute point: OI in Binance's unit and its USD value.</summary>
public readonly record struct HistoryPoint(long Time, double OpenInterest, double OpenInterestUsd);

/// <summary>
/// OiStream's own 5-minute OI history, kept in memory for <see cref="Retention"/>: the start-up backfill plus the live
/// value at each 5-minute boundary. Older ranges are fetched from Binance on demand by the history endpoint.
/// </summary>
public sealed class HistoryStore
{
    /// <summary>Bucket width.</summary>
    public const long FiveMinutes = 300_000;

    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

    /// <summary>How far back points are kept in memory.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(2);

    /// <summary>Records history rows that flowed through the pipeline (called by the engine loop).</summary>
    public void Observe(in MarketEvent e, MarketEngine engine)
    {
        if (e.Kind != MarketEventKind.HistoryBatch || e.Payload is not IReadOnlyList<MarketEvent> rows)
        {
            return;
        }
        foreach (var row in rows)
        {
            if (row.Symbol is not null && engine.TryGetInstrument(row.Symbol, out var state))
            {
                // USDⓈ-M rows carry USD; COIN-M rows carry coins, and contracts × size is the USD value.
                var usd = state.Market == "usdm" ? row.Extra : double.NaN;
                Get(row.Symbol).Add(row.Time, row.Value, usd);
            }
        }
    }

    /// <summary>Records the live value when an instrument passes a 5-minute boundary.</summary>
    public void Observe(InstrumentState state)
    {
        if (state.OiTime is not { } t || state.OpenInterest is not { } oi)
        {
            return;
        }
        var series = Get(state.Symbol);
        var bucket = t / FiveMinutes * FiveMinutes;
        if (bucket > series.Last)
        {
            series.Add(bucket, oi, state.OpenInterestUsd ?? double.NaN);
        }
    }

    /// <summary>Stored points of a symbol between two times (inclusive), oldest first.</summary>
    public IReadOnlyList<HistoryPoint> Range(string symbol, long from, long to)
        => _series.TryGetValue(symbol, out var s) ? s.Range(from, to) : [];

    /// <summary>The oldest stored time of a symbol, or null.</summary>
    public long? Oldest(string symbol) => _series.TryGetValue(symbol, out var s) ? s.First : null;

    private Series Get(string symbol) => _series.GetOrAdd(symbol, _ => new Series((long)Retention.TotalMilliseconds));

    private sealed class Series(long retention)
    {
        private readonly SortedList<long, HistoryPoint> _points = [];

        public long Last
        {
            get
            {
                lock (_points)
                {
                    return _points.Count == 0 ? 0 : _points.Keys[^1];
                }
            }
        }

        public long? First
        {
            get
            {
                lock (_points)
                {
                    return _points.Count == 0 ? null : _points.Keys[0];
                }
            }
        }

        public void Add(long time, double oi, double usd)
        {
            lock (_points)
            {
                _points[time] = new HistoryPoint(time, oi, usd);
                var cutoff = _points.Keys[^1] - retention;
                while (_points.Count > 0 && _points.Keys[0] < cutoff)
                {
                    _points.RemoveAt(0);
                }
            }
        }

        public IReadOnlyList<HistoryPoint> Range(long from, long to)
        {
            lock (_points)
            {
                return [.. _points.Values.Where(p => p.Time >= from && p.Time <= to)];
            }
        }
    }
}
