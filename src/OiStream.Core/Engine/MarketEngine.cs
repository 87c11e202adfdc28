using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Collections.Frozen;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;
using OiStream.Core.Series;
using OiStream.Core.Signals;

namespace OiStream.Core.Engine;

/// <summary>
/// The single-writer open-interest engine: applies <see cref="MarketEvent"/>s to per-instrument and per-coin state,
/// and publishes immutable snapshots.
/// </summary>
/// <remarks>
/// <para>
/// Threading: <see cref="Apply"/>, <see cref="Warm"/>, <see cref="PublishChanges"/>, <see cref="DrainSignals"/> and
/// <see cref="DrainFeedStatus"/> must be called from one thread at a time (the engine loop). The readers
/// (<see cref="TryGetInstrument"/>, <see cref="GetInstruments"/>, <see cref="TryGetCoin"/>, <see cref="GetCoins"/>,
/// <see cref="Counters"/>) may be called from any thread at any time: they see immutable snapshots and
/// copy-on-write tables, never state being changed.
/// </para>
/// <para>
/// Bad input never throws and never corrupts a window; each case has an <see cref="ApplyOutcome"/> and a counter:
/// unknown symbol → <see cref="ApplyOutcome.UnknownInstrument"/>; NaN, ∞, negative OI, or a mark price ≤ 0 →
/// <see cref="ApplyOutcome.Invalid"/>; older than the instrument's latest sample of that kind →
/// <see cref="ApplyOutcome.Late"/>; same time as the latest → <see cref="ApplyOutcome.Replaced"/> (a correction);
/// more than <see cref="EngineOptions.MaxClockSkew"/> ahead of the local clock → <see cref="ApplyOutcome.FromFuture"/>
/// (accepting it would make every later genuine sample "late"); a gap of hours is applied (the windows carry the
/// last value across it, so a 1h change after a 3h gap compares with the value before the gap).
/// An OI of zero is valid (a new listing); a change from zero has no percentage (null).
/// </para>
/// <para>
/// Per sample (OI or mark): every window of the instrument's three series is re-read (O(1) each), its quadrants
/// classified, its events checked, and its coin aggregate's sums adjusted in O(1); nothing is allocated unless an
/// event fires. Coin aggregates' windows are recomputed once per <see cref="PublishChanges"/>, not per sample.
/// </para>
/// </remarks>
public sealed class MarketEngine : IMarketView
{
    private readonly WindowSet _windows;
    private readonly SignalPlan _plan;
    private readonly TimeProvider _time;
    private readonly long _staleAfterMs;
    private readonly long _maxSkewMs;
    private readonly string _source;
    private readonly Dictionary<string, InstrumentTracker> _bySymbol = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoinAggregate> _byCoin = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Exchange, string Coin), CoinAggregate> _byVenueCoin = [];
    private readonly List<InstrumentTracker> _trackers = [];
    private readonly List<InstrumentTracker> _dirtyInstruments = [];
    private readonly List<CoinAggregate> _dirtyCoins = [];
    private readonly List<SignalEvent> _signals = [];
    private readonly List<FeedStatus> _feeds = [];
    private readonly List<OiCandle> _candles = [];
    private bool _warming;
    private long _seqFloor;
    private long _horizon = long.MinValue;
    private long _lastStaleScan = long.MinValue / 4; // "long ago", with room to subtract from

    // The engine thread's cache of resolved symbols, in front of the tables below (see TryResolve).
    private const int ResolvedCacheBits = 11;
    private readonly ResolvedSymbol[] _resolved = new ResolvedSymbol[1 << ResolvedCacheBits];

    // Reader-side tables, replaced whole (copy-on-write) when instruments come or go.
    // The engine thread's own lookup: exact symbols (as exchanges send them), frozen for the fastest reads.
    private FrozenDictionary<string, InstrumentTracker> _hotSymbols = FrozenDictionary<string, InstrumentTracker>.Empty;
    private volatile FrozenDictionary<string, InstrumentTracker> _readInstruments = FrozenDictionary<string, InstrumentTracker>.Empty;
    private volatile InstrumentTracker[] _readList = [];
    private volatile FrozenDictionary<string, CoinAggregate> _readCoins = FrozenDictionary<string, CoinAggregate>.Empty;
    private volatile CoinAggregate[] _readCoinList = [];

    /// <summary>Creates an engine.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it and says what to use.</exception>
    public MarketEngine(EngineOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _windows = WindowSet.Parse(options.WindowNames, options.SlotsPerWindow);
        _plan = new SignalPlan(options.Signals ?? new SignalOptions(), _windows);
        _time = timeProvider ?? TimeProvider.System;
        _staleAfterMs = (long)options.StaleAfter.TotalMilliseconds;
        _maxSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        if (_staleAfterMs <= 0)
        {
            throw new ArgumentException($"StaleAfter is {options.StaleAfter}; use a positive time, e.g. 00:01:00.");
        }
        if (_maxSkewMs < 0)
        {
            throw new ArgumentException($"MaxClockSkew is {options.MaxClockSkew}; use 0 or more, e.g. 00:02:00.");
        }
        _source = string.IsNullOrWhiteSpace(options.Source) ? "binance" : options.Source;
    }

    /// <summary>The windows every change block carries.</summary>
    public WindowSet Windows => _windows;

    /// <inheritdoc />
    public IReadOnlyList<string> WindowNames => _windows.Names;

    /// <summary>What happened to the input so far.</summary>
    public EngineCounters Counters { get; } = new();

    /// <summary><c>binance</c> or <c>simulated</c>, stamped on every snapshot and event.</summary>
    public string Source => _source;

    /// <summary>Number of tracked instruments.</summary>
    public int InstrumentCount => _readList.Length;

    /// <summary>
    /// The lowest <c>seq</c> the next publication of any instrument or coin builds on (0: count from this engine's
    /// start). A cluster's leader sets it at the start of its term above every <c>seq</c> an earlier leader can have
    /// published, so <c>seq</c> keeps rising for clients across a leader change. Any thread.
    /// </summary>
    public long SeqFloor
    {
        get => Interlocked.Read(ref _seqFloor);
        set => Interlocked.Exchange(ref _seqFloor, value);
    }

    /// <summary>Memory held per instrument with the current windows (series, high/low ring, headers), in bytes.</summary>
    public int BytesPerInstrument
    {
        get
        {
            var probe = new InstrumentTracker(new InstrumentInfo("PROBE", Market.UsdM, "PROBE", "PERPETUAL"), _windows, _plan, -1);
            return probe.ApproximateBytes;
        }
    }

    /// <summary>Applies one event. Never throws for bad data; see the class remarks for every outcome.</summary>
    public ApplyOutcome Apply(in MarketEvent e)
    {
        var outcome = e.Kind switch
        {
            MarketEventKind.OpenInterest or MarketEventKind.MarkPrice or MarketEventKind.History => ApplySample(in e),
            MarketEventKind.Instruments => ApplyInstruments(e.Payload as InstrumentListChange),
            MarketEventKind.Feed => ApplyFeed(e.Payload as FeedStatus),
            MarketEventKind.HistoryBatch when e.Payload is HistoryBackfill backfill => WarmOutcome(backfill),
            _ => ApplyOutcome.NotApplicable,
        };
        Counters.Count(outcome);
        return outcome;
    }

    /// <summary>
    /// Warms the series from history (<see cref="MarketEventKind.History"/> rows, and options'
    /// <see cref="MarketEventKind.OpenInterest"/> readings read back from a store; any order, many instruments): rows
    /// are applied oldest first across all instruments, so coin aggregates are built from sums at each time. Rows older
    /// than the longest window (plus one bucket) before the newest row are skipped: no window can reach them.
    /// Call before live samples arrive; history older than live data is <see cref="ApplyOutcome.Late"/>. Warming
    /// builds no live candles; with <paramref name="fromExchange"/> each applied row becomes a five-minute candle of
    /// its instrument and of its coin (see <see cref="DrainCandles"/>), so the exchange's history can be stored.
    /// </summary>
    /// <returns>The number of rows applied.</returns>
    public int Warm(IEnumerable<MarketEvent> history, bool fromExchange = false)
    {
        ArgumentNullException.ThrowIfNull(history);
        var rows = history.Where(r => r.Kind is MarketEventKind.History or MarketEventKind.OpenInterest).ToArray();
        if (rows.Length == 0)
        {
            return 0;
        }
        var newest = rows.Max(r => r.Time);
        var longest = _windows.LongestIndex;
        var keepFrom = newest - _windows.DurationsMs[longest] - (2 * _windows.ResolutionsMs[longest]);
        var applied = 0;
        var touched = new HashSet<CoinAggregate>();
        var at = long.MinValue;
        _warming = true;
        try
        {
            foreach (var row in rows.Where(r => fromExchange || r.Time >= keepFrom).OrderBy(r => r.Time))
            {
                if (row.Time != at)
                {
                    FlushImportedCoins(touched, at);
                    at = row.Time;
                }
                // Exchange rows older than any window still go to the store as candles; only the engine skips them.
                var outcome = row.Time >= keepFrom ? Apply(in row) : ApplyOutcome.NotApplicable;
                if (outcome is ApplyOutcome.Applied or ApplyOutcome.Replaced)
                {
                    applied++;
                }
                if (fromExchange && row.Symbol is not null && TryResolve(row.Symbol, out var tracker))
                {
                    if (outcome is not (ApplyOutcome.Applied or ApplyOutcome.Replaced))
                    {
                        ImportedCandle(tracker.CandleKey, row.Time, ImportedValues(tracker, in row));
                        continue;
                    }
                    ImportedCandle(tracker.CandleKey, row.Time, (tracker.CoinQuantity, tracker.UsdValue, tracker.MarkPrice));
                    // A coin's imported candles are Binance's sums: the venues' histories arrive in separate batches,
                    // and a sum of one venue's past with another's present would be no sum at any time.
                    if (tracker.Info.IsFutures && tracker.VenueAggregate is { } binance && tracker.Info.Exchange == ExchangeIds.Binance)
                    {
                        touched.Add(binance); // its candles are keyed by the coin
                    }
                }
            }
            FlushImportedCoins(touched, at);
        }
        finally
        {
            _warming = false;
        }
        return applied;
    }

    // An exchange row the engine did not apply (older than every window) is still worth storing: its values follow
    // from the row alone.
    private static (double Coin, double Usd, double Price) ImportedValues(InstrumentTracker tracker, in MarketEvent row)
        => Valuation.FromHistoryRow(tracker.Info.Market, row.Value, row.Extra, tracker.Info.ContractSize);

    private void ImportedCandle(SeriesKey key, long time, (double Coin, double Usd, double Price) v)
    {
        if (double.IsFinite(v.Coin) && time > 0)
        {
            _candles.Add(OiCandle.FromExchangeRow(key, time, v.Coin, v.Usd, v.Price));
        }
    }

    private void FlushImportedCoins(HashSet<CoinAggregate> touched, long time)
    {
        foreach (var coin in touched)
        {
            var (c, usd) = coin.CurrentSums();
            ImportedCandle(coin.CandleKey, time, (c, usd, coin.Reference is { } r ? r.MarkPrice : double.NaN));
        }
        touched.Clear();
    }

    /// <summary>
    /// Publishes a new snapshot (seq + 1) of every instrument and coin that changed since its last publication, or
    /// whose <c>stale</c> flag flipped, and adds them to the given lists. Coin events are evaluated here. With
    /// <paramref name="minInterval"/>, each symbol publishes on average at most once per interval, two back to back at
    /// most: a change beyond that stays queued for a later call (and coalesces with what comes meanwhile). So a symbol
    /// that changes rarely goes out at once, and so does a mark tick that lands just after an OI update of its symbol.
    /// </summary>
    /// <returns>The number of snapshots published.</returns>
    public int PublishChanges(ICollection<InstrumentState> instruments, ICollection<CoinState> coins, TimeSpan minInterval = default)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        ArgumentNullException.ThrowIfNull(coins);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var gap = (long)minInterval.TotalMilliseconds;
        if (now - _lastStaleScan >= Math.Max(gap, 100))
        {
            // Staleness changes with the clock alone; a scan of every instrument a few times a second is plenty.
            _lastStaleScan = now;
            foreach (var tracker in _trackers)
            {
                if (IsStale(tracker, now) != tracker.PublishedStale)
                {
                    MarkDirty(tracker);
                }
            }
        }

        var names = _windows.Names;
        var floor = SeqFloor;
        var count = 0;
        var keep = 0;
        for (var i = 0; i < _dirtyInstruments.Count; i++)
        {
            var tracker = _dirtyInstruments[i];
            if (!tracker.Removed && gap > 0 && now < tracker.PublishDueAt - gap)
            {
                _dirtyInstruments[keep++] = tracker; // over this symbol's budget: next time
                continue;
            }
            if (!tracker.Removed)
            {
                tracker.Seq = Math.Max(tracker.Seq, floor);
                instruments.Add(tracker.Publish(names, SourceOf(tracker.Info), IsStale(tracker, now)));
                tracker.PublishDueAt = Math.Max(tracker.PublishDueAt, now) + gap;
                count++;
            }
            tracker.Dirty = false;
            tracker.Queued = false;
        }
        _dirtyInstruments.RemoveRange(keep, _dirtyInstruments.Count - keep);

        keep = 0;
        for (var i = 0; i < _dirtyCoins.Count; i++)
        {
            var coin = _dirtyCoins[i];
            if (gap > 0 && now < coin.PublishDueAt - gap)
            {
                _dirtyCoins[keep++] = coin;
                continue;
            }
            coin.Seq = Math.Max(coin.Seq, floor);
            coin.Recompute(_plan.DeadBand);
            coin.EvaluateEvents(_plan, coin.Time, false, false, double.NaN, coin.Coin, null, _source, _signals);
            coins.Add(coin.Publish(names, _source, Shares(coin, names, now)));
            coin.PublishDueAt = Math.Max(coin.PublishDueAt, now) + gap;
            coin.Queued = false;
            count++;
        }
        _dirtyCoins.RemoveRange(keep, _dirtyCoins.Count - keep);
        return count;
    }

    // Each venue's part of a coin, republished only when that venue's contracts moved.
    private ExchangeShare[] Shares(CoinAggregate coin, IReadOnlyList<string> names, long now)
    {
        var shares = new ExchangeShare[coin.Venues.Count];
        for (var i = 0; i < shares.Length; i++)
        {
            var venue = coin.Venues[i];
            if (venue.Dirty || venue.Snapshot is null)
            {
                venue.Recompute(_plan.DeadBand);
                venue.Publish(names, _source);
            }
            shares[i] = venue.Share(venue.Time == 0 || now - venue.Time > _staleAfterMs);
        }
        return shares;
    }

    // A live instrument says which venue it came from; in simulate mode every payload says "simulated".
    private string SourceOf(InstrumentInfo info) => _source == "simulated" ? _source : info.Exchange;

    /// <summary>Whether any instrument or coin waits to be published.</summary>
    public bool HasPendingChanges => _dirtyInstruments.Count > 0 || _dirtyCoins.Count > 0;

    /// <summary>Moves the signal events fired since the last call into <paramref name="sink"/>.</summary>
    public int DrainSignals(ICollection<SignalEvent> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        foreach (var s in _signals)
        {
            sink.Add(s);
        }
        var n = _signals.Count;
        _signals.Clear();
        return n;
    }

    /// <summary>
    /// Moves the candles finished since the last call into <paramref name="sink"/>: one-minute candles of every
    /// instrument and coin from live samples, and five-minute candles from exchange history (<see cref="Warm"/>).
    /// With <paramref name="flushOpen"/> (at shutdown) the open minutes are closed and handed over too.
    /// </summary>
    public int DrainCandles(ICollection<OiCandle> sink, bool flushOpen = false)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (flushOpen)
        {
            foreach (var t in _trackers)
            {
                t.Candle.Flush(t.CandleKey, _candles);
            }
            foreach (var c in _byCoin.Values)
            {
                c.Candle.Flush(c.CandleKey, _candles);
            }
        }
        foreach (var c in _candles)
        {
            sink.Add(c);
        }
        var n = _candles.Count;
        _candles.Clear();
        return n;
    }

    /// <summary>Moves the feed status changes received since the last call into <paramref name="sink"/>.</summary>
    public int DrainFeedStatus(ICollection<FeedStatus> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        foreach (var s in _feeds)
        {
            sink.Add(s);
        }
        var n = _feeds.Count;
        _feeds.Clear();
        return n;
    }

    /// <summary>The latest snapshot of an instrument (symbol matched case-insensitively). Any thread.</summary>
    public bool TryGetInstrument(string symbol, out InstrumentState state)
    {
        if (symbol is not null && _readInstruments.TryGetValue(symbol.Trim(), out var tracker) && tracker.Snapshot is { } s)
        {
            state = s;
            return true;
        }
        state = null!;
        return false;
    }

    /// <summary>The static facts of a tracked instrument (symbol matched case-insensitively). Any thread.</summary>
    public bool TryGetInfo(string symbol, out InstrumentInfo info)
    {
        if (symbol is not null && _readInstruments.TryGetValue(symbol.Trim(), out var tracker))
        {
            info = tracker.Info;
            return true;
        }
        info = null!;
        return false;
    }

    /// <summary>The static facts of every tracked instrument. Any thread.</summary>
    public IReadOnlyList<InstrumentInfo> GetCatalog() => [.. _readList.Select(t => t.Info)];

    /// <summary>True when the symbol is a tracked instrument (case-insensitive). Any thread.</summary>
    public bool IsKnownSymbol(string symbol) => symbol is not null && _readInstruments.ContainsKey(symbol.Trim());

    /// <summary>The latest snapshot of every instrument. Any thread.</summary>
    public IReadOnlyList<InstrumentState> GetInstruments()
    {
        var list = _readList;
        var result = new List<InstrumentState>(list.Length);
        foreach (var t in list)
        {
            if (t.Snapshot is { } s)
            {
                result.Add(s);
            }
        }
        return result;
    }

    /// <summary>The latest snapshot of a coin aggregate (case-insensitive). Any thread.</summary>
    public bool TryGetCoin(string coin, out CoinState state)
    {
        if (coin is not null && _readCoins.TryGetValue(coin.Trim(), out var agg) && agg.Snapshot is { } s)
        {
            state = s;
            return true;
        }
        state = null!;
        return false;
    }

    /// <summary>The latest snapshot of every coin aggregate. Any thread.</summary>
    public IReadOnlyList<CoinState> GetCoins()
    {
        var list = _readCoinList;
        var result = new List<CoinState>(list.Length);
        foreach (var c in list)
        {
            if (c.Snapshot is { } s)
            {
                result.Add(s);
            }
        }
        return result;
    }

    private ApplyOutcome ApplySample(in MarketEvent e)
    {
        if (e.Symbol is null || !TryResolve(e.Symbol, out var tracker))
        {
            return ApplyOutcome.UnknownInstrument;
        }

        var value = e.Value;
        switch (e.Kind)
        {
            case MarketEventKind.OpenInterest when !(value >= 0) || double.IsInfinity(value):
            case MarketEventKind.MarkPrice when !(value > 0) || double.IsInfinity(value):
            case MarketEventKind.History when !(value > 0) || double.IsInfinity(value) || !(e.Extra > 0) || double.IsInfinity(e.Extra):
                return ApplyOutcome.Invalid;
        }

        if (e.Time <= 0)
        {
            return ApplyOutcome.Invalid;
        }
        if (e.Time > _horizon)
        {
            // Reading the clock costs more than the rest of this method, so do it only when a time passes the horizon.
            _horizon = _time.GetUtcNow().ToUnixTimeMilliseconds() + _maxSkewMs;
            if (e.Time > _horizon)
            {
                return ApplyOutcome.FromFuture;
            }
        }

        ApplyOutcome outcome;
        var newHigh = false;
        var newLow = false;
        switch (e.Kind)
        {
            case MarketEventKind.OpenInterest:
                var usd = e.Extra;
                outcome = tracker.ApplyOpenInterest(e.Time, value, double.IsFinite(usd) && usd >= 0 ? usd : double.NaN);
                break;
            case MarketEventKind.MarkPrice:
                outcome = tracker.ApplyMarkPrice(e.Time, value, double.IsFinite(e.Extra) ? e.Extra : double.NaN, out newHigh, out newLow);
                break;
            default:
                outcome = tracker.ApplyHistory(e.Time, value, e.Extra);
                break;
        }
        if (outcome is not (ApplyOutcome.Applied or ApplyOutcome.Replaced))
        {
            return outcome;
        }

        tracker.Recompute(_plan.DeadBand);
        tracker.EvaluateEvents(_plan, e.Time, newHigh, newLow, tracker.FundingRate, tracker.Info.Coin, tracker.Info.Symbol, _source, _signals);
        MarkDirty(tracker);
        // The venue's aggregate keeps the sums; the coin's (every venue) reads them when it is published.
        var venue = tracker.VenueAggregate!;
        venue.Update(tracker, e.Time);
        var coin = tracker.Aggregate!;
        if (venue.Dirty)
        {
            MarkDirty(coin);
        }
        if (!_warming)
        {
            tracker.Candle.Add(e.Time, tracker.CoinQuantity, tracker.UsdValue, tracker.MarkPrice, tracker.CandleKey, _candles);
            if (tracker.Info.IsFutures)
            {
                coin.AddCandleSample(e.Time, _candles);
            }
        }
        return outcome;
    }

    private bool TryResolve(string symbol, out InstrumentTracker tracker)
    {
        // A direct-mapped cache in front of the symbol tables: a hash of the first and last four characters picks the
        // slot, and the adapters hand over the same string instance for a symbol each time (their symbol tables hold
        // one per instrument), so a hit is a reference compare. A frozen-dictionary lookup hashes every character and
        // costs a fifth of the per-sample budget.
        ref var cached = ref _resolved[SlotOf(symbol)];
        // The reference compare is inlined; string.Equals is a call, taken only when the instance differs.
        if (ReferenceEquals(cached.Symbol, symbol) || string.Equals(cached.Symbol, symbol, StringComparison.Ordinal))
        {
            tracker = cached.Tracker;
            return true;
        }
        // Exchange symbols arrive upper-case: try the exact (cheaper) table first, then ignore case.
        if (_hotSymbols.TryGetValue(symbol, out tracker!) || _readInstruments.TryGetValue(symbol, out tracker!))
        {
            cached = new ResolvedSymbol(symbol, tracker);
            return true;
        }
        return false;
    }

    private static int SlotOf(string symbol)
    {
        if (symbol.Length < 4)
        {
            return symbol.Length;
        }
        ref var first = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(symbol.AsSpan()));
        var head = Unsafe.ReadUnaligned<ulong>(ref first);
        var tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, (symbol.Length - 4) * sizeof(char)));
        var mixed = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)symbol.Length;
        return (int)(mixed >> (64 - ResolvedCacheBits));
    }

    private readonly record struct ResolvedSymbol(string? Symbol, InstrumentTracker Tracker);

    private ApplyOutcome ApplyInstruments(InstrumentListChange? change)
    {
        if (change is null)
        {
            return ApplyOutcome.Invalid;
        }

        var touchedCoins = new HashSet<CoinAggregate>();
        foreach (var info in change.Upsert ?? [])
        {
            if (info?.Validate() is not null)
            {
                Counters.Count(ApplyOutcome.Invalid);
                continue;
            }
            if (_bySymbol.TryGetValue(info!.Symbol, out var existing))
            {
                existing.UpdateInfo(info);
                continue;
            }
            var tracker = new InstrumentTracker(info, _windows, _plan, _trackers.Count);
            _trackers.Add(tracker);
            _bySymbol[info.Symbol] = tracker;
            if (!_byCoin.TryGetValue(info.Coin, out var coin))
            {
                coin = new CoinAggregate(info.Coin, _windows);
                _byCoin[info.Coin] = coin;
            }
            coin.Register(tracker);
            tracker.Aggregate = coin;
            var exchange = info.Exchange;
            if (!_byVenueCoin.TryGetValue((exchange, info.Coin), out var venue))
            {
                venue = new CoinAggregate(info.Coin, _windows, exchange);
                _byVenueCoin[(exchange, info.Coin)] = venue;
                coin.AddVenue(venue, VenueRank);
            }
            venue.Register(tracker);
            tracker.VenueAggregate = venue;
            touchedCoins.Add(coin);
            // Published at once (seq 1, empty figures) so that Subscribe can answer before the first sample arrives.
            tracker.Publish(_windows.Names, SourceOf(info), stale: true);
            MarkDirty(tracker);
        }

        foreach (var symbol in change.Remove ?? [])
        {
            if (symbol is null || !_bySymbol.Remove(symbol, out var tracker))
            {
                continue;
            }
            tracker.Removed = true;
            _trackers.Remove(tracker);
            var coin = _byCoin[tracker.Info.Coin];
            coin.ForgetReference(tracker);
            var venue = tracker.VenueAggregate!;
            venue.Update(tracker, venue.Time, remove: true);
            venue.ForgetReference(tracker);
            foreach (var other in _trackers.Where(t => t.Info.Coin == tracker.Info.Coin))
            {
                coin.OfferReference(other);
                if (ReferenceEquals(other.VenueAggregate, venue))
                {
                    venue.OfferReference(other);
                }
            }
            touchedCoins.Add(coin);
        }

        foreach (var coin in touchedCoins)
        {
            if (coin.Snapshot is null)
            {
                coin.Publish(_windows.Names, _source);
            }
            MarkDirty(coin);
        }

        Array.Clear(_resolved); // a symbol may now name another tracker, or none
        _hotSymbols = _bySymbol.ToFrozenDictionary(StringComparer.Ordinal);
        _readInstruments = _bySymbol.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _readList = [.. _trackers];
        _readCoins = _byCoin.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _readCoinList = [.. _byCoin.Values];
        Counters.CountInstrumentListChange();
        return ApplyOutcome.Applied;
    }

    private static int VenueRank(string exchange)
    {
        var i = Array.IndexOf(ExchangeIds.Order, exchange);
        return i < 0 ? int.MaxValue : i;
    }

    private ApplyOutcome WarmOutcome(HistoryBackfill backfill)
    {
        Warm(backfill.Rows, backfill.FromExchange);
        return ApplyOutcome.Applied;
    }

    private ApplyOutcome ApplyFeed(FeedStatus? status)
    {
        if (status is null)
        {
            return ApplyOutcome.Invalid;
        }
        // Sources cannot know whether they talk to Binance or the simulator; the engine's source is the truth.
        _feeds.Add(status.Source == _source ? status : status with { Source = _source });
        Counters.CountFeedEvent();
        return ApplyOutcome.Applied;
    }

    private bool IsStale(InstrumentTracker tracker, long now) => tracker.OiTime == 0 || now - tracker.OiTime > _staleAfterMs;

    private void MarkDirty(InstrumentTracker tracker)
    {
        tracker.Dirty = true;
        if (!tracker.Queued)
        {
            tracker.Queued = true;
            _dirtyInstruments.Add(tracker);
        }
    }

    private void MarkDirty(CoinAggregate coin)
    {
        coin.Dirty = true;
        if (!coin.Queued)
        {
            coin.Queued = true;
            _dirtyCoins.Add(coin);
        }
    }
}
