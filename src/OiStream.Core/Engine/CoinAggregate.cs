using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;
using OiStream.Core.Series;

namespace OiStream.Core.Engine;

/// <summary>
/// A coin aggregate (design section 4): running sums over the coin's futures instruments, split by margin, plus its
/// own series, so its change is the change of the sum, not an average of changes. Options are summed beside it.
/// </summary>
/// <remarks>
/// <para>
/// Sums are kept incrementally: when an instrument's value changes, its old contribution is taken out and the new one
/// put in (O(1) per update). The aggregate's clock is the newest exchange time of any contribution. Its price series
/// follows one reference instrument: the coin's USDT perpetual on USDⓈ-M, else another perpetual, else any. The
/// aggregate reads that instrument's price series rather than keeping a copy, so its price change is the
/// reference's, to the sample.
/// </para>
/// <para>
/// Most coins have a single futures instrument, and the aggregate of one instrument is that instrument: such an
/// aggregate holds no series of its own and reports its instrument's figures. When a second futures instrument is
/// registered, the aggregate takes a copy of the first one's series (its history is the aggregate's history up to
/// now) and goes on with sums. This keeps the memory per tracked instrument within budget (README).
/// </para>
/// </remarks>
internal sealed class CoinAggregate : SeriesTracker
{
    private double _usdStable;
    private double _usdCoin;
    private double _coinStable;
    private double _coinCoin;
    private double _optionsCoin;
    private double _optionsUsd;
    private int _referenceRank = int.MaxValue;
    private int _futuresRegistered;
    private InstrumentTracker? _sole;

    /// <summary>Creates the aggregate of a coin over every venue, or (with <paramref name="exchange"/>) over one venue.</summary>
    public CoinAggregate(string coin, WindowSet windows, string? exchange = null) : base(windows, withSeries: false)
    {
        Coin = coin;
        Exchange = exchange;
        // Only the all-venue aggregate is stored as the coin's history; a venue's split is derived from its instruments.
        CandleKey = SeriesKey.Coin(coin);
    }

    /// <summary>The venue this aggregate covers; null for the aggregate over every venue.</summary>
    public string? Exchange { get; }

    /// <summary>The all-venue aggregate's per-venue parts, in venue order.</summary>
    public List<CoinAggregate> Venues { get; } = [];

    // The one venue of a coin listed on a single venue (the common case, read on the per-sample path).
    private CoinAggregate? _onlyVenue;

    /// <summary>Adds a venue's part to the all-venue aggregate, keeping <see cref="Venues"/> in the order of <paramref name="rank"/>.</summary>
    public void AddVenue(CoinAggregate venue, Func<string, int> rank)
    {
        Venues.Add(venue);
        Venues.Sort((a, b) => rank(a.Exchange!).CompareTo(rank(b.Exchange!)));
        _onlyVenue = Venues.Count == 1 ? venue : null;
    }

    /// <inheritdoc />
    public override SeriesKey CandleKey { get; }

    /// <summary>The futures sums as they stand now (a single-instrument coin's are its instrument's): coins, USD.</summary>
    public (double Coin, double Usd) CurrentSums()
    {
        if (Exchange is null)
        {
            // The all-venue aggregate is the sum of its venues' (which keep the per-instrument bookkeeping). On the
            // per-sample path (candles): one venue is the common case.
            if (_onlyVenue is { } only)
            {
                return only.CurrentSums();
            }
            var venues = Venues;
            double coin = 0, usd = 0;
            var any = false;
            for (var i = 0; i < venues.Count; i++)
            {
                var (c, u) = venues[i].CurrentSums();
                if (double.IsFinite(c) && double.IsFinite(u))
                {
                    (coin, usd, any) = (coin + c, usd + u, true);
                }
            }
            return any ? (coin, usd) : (double.NaN, double.NaN);
        }
        return _sole is { } sole
            ? (sole.CoinQuantity, sole.UsdValue)
            : Counted > 0 ? (Math.Max(0, TotalCoin), Math.Max(0, TotalUsd)) : (double.NaN, double.NaN);
    }

    /// <summary>Adds the current sums to the open candle (called after an instrument of this coin changed).</summary>
    public void AddCandleSample(long time, List<OiCandle> closed)
    {
        var (coin, usd) = CurrentSums();
        Candle.Add(time, coin, usd, Reference is { } r ? r.MarkPrice : double.NaN, CandleKey, closed);
    }

    /// <summary>Registers one of the coin's instruments (see the class remarks on single-instrument coins).</summary>
    public void Register(InstrumentTracker tracker)
    {
        OfferReference(tracker);
        if (!tracker.Info.IsFutures)
        {
            return;
        }
        _futuresRegistered++;
        // The all-venue aggregate keeps sums only: its changes are read from its venues' series (CombineVenues).
        if (Exchange is null || HasSeries)
        {
            return;
        }
        if (_futuresRegistered == 1)
        {
            _sole = tracker;
            return;
        }
        AllocateSeries(_sole);
        if (_sole is { } first)
        {
            Time = Math.Max(Time, Math.Max(first.OiTime, first.PriceTime));
            // From now on the first instrument's contribution is tracked like any other's.
            _sole = null;
            Update(first, Time);
        }
    }

    /// <summary>Whether the aggregate currently reports a single instrument's figures.</summary>
    public bool DelegatesToSole => !HasSeries && _sole is not null;

    public override void Recompute(double deadBand)
    {
        if (Exchange is null)
        {
            CombineVenues(deadBand);
        }
        else if (HasSeries)
        {
            Pending = SeriesMask.All;
            base.Recompute(deadBand);
        }
        else if (_sole is not null)
        {
            CopyFigures(_sole);
        }
    }

    /// <summary>The coin-quantity series of this aggregate's figures (a single-instrument aggregate's is its instrument's).</summary>
    private WindowedSeries? OiSeries => HasSeries ? Oi : _sole?.Oi;

    private WindowedSeries? UsdSeries => HasSeries ? Usd : _sole?.Usd;

    // Venues join at different times (a venue's feed starts, or comes back, later than another's), and a sum that
    // gains a venue would read as a jump in open interest. So the change of the coin over a window is the change of
    // the sum over the venues that cover that window: each venue's value then against its value now. With one venue
    // this is that venue's change, so the all-venue aggregate needs no series of its own.
    private void CombineVenues(double deadBand)
    {
        foreach (var venue in Venues)
        {
            Time = Math.Max(Time, venue.Time);
        }
        for (var w = 0; w < Change.Length; w++)
        {
            double coinNow = 0, coinThen = 0, usdNow = 0, usdThen = 0;
            foreach (var venue in Venues)
            {
                if (venue.OiSeries is { HasValue: true } oi && oi.AsOf(w) is var c && c > 0)
                {
                    coinThen += c;
                    coinNow += oi.LastValue;
                }
                if (venue.UsdSeries is { HasValue: true } usd && usd.AsOf(w) is var u && u > 0)
                {
                    usdThen += u;
                    usdNow += usd.LastValue;
                }
            }
            Change[w] = coinThen > 0 ? ((coinNow / coinThen) - 1.0) * 100.0 : double.NaN;
            ChangeUsd[w] = usdThen > 0 ? ((usdNow / usdThen) - 1.0) * 100.0 : double.NaN;
        }
        if (PriceSeries is { } price)
        {
            price.ChangesInto(PriceChange);
        }
        else
        {
            Array.Fill(PriceChange, double.NaN);
        }
        Signals.QuadrantClassifier.ClassifyAll(PriceChange, Change, deadBand, Quadrants);
    }

    public string Coin { get; }

    public override string Name => Coin;

    /// <summary>Futures instruments whose value is in the sums.</summary>
    public int Counted { get; private set; }

    /// <summary>Newest exchange time of any change to the aggregate (0 = none).</summary>
    public long Time { get; private set; }

    /// <summary>The instrument whose mark price is the aggregate's price.</summary>
    public InstrumentTracker? Reference { get; private set; }

    /// <summary>The reference instrument's price series: a coin's price change is its reference's.</summary>
    public override WindowedSeries? PriceSeries => Reference?.Price;

    public CoinState? Snapshot => GetSnapshot<CoinState>();

    public double TotalUsd => _usdStable + _usdCoin;

    public double TotalCoin => _coinStable + _coinCoin;

    /// <summary>Offers an instrument as the price reference; the best-ranked one wins.</summary>
    public void OfferReference(InstrumentTracker tracker)
    {
        var info = tracker.Info;
        var rank = info.Market switch
        {
            Market.UsdM when info.IsPerpetual && info.QuoteAsset == "USDT" => 0,
            Market.UsdM when info.IsPerpetual => 1,
            Market.CoinM when info.IsPerpetual => 2,
            Market.Options => int.MaxValue,
            _ => 3,
        };
        if (rank < _referenceRank)
        {
            _referenceRank = rank;
            Reference = tracker;
        }
    }

    /// <summary>Drops a removed instrument as price reference (the next offer takes over).</summary>
    public void ForgetReference(InstrumentTracker tracker)
    {
        if (ReferenceEquals(Reference, tracker))
        {
            Reference = null;
            _referenceRank = int.MaxValue;
        }
        if (ReferenceEquals(_sole, tracker))
        {
            _sole = null;
            _coinStable = _usdStable = _coinCoin = _usdCoin = 0;
            Counted = 0;
        }
    }

    /// <summary>
    /// Re-counts one instrument of this venue's aggregate after it changed at exchange time <paramref name="time"/>, and
    /// appends the new sums (the all-venue aggregate sums its venues instead).
    /// With <paramref name="remove"/> its contribution is taken out for good.
    /// </summary>
    public void Update(InstrumentTracker tracker, long time, bool remove = false)
    {
        if (!remove && ReferenceEquals(tracker, _sole))
        {
            // The coin is this one instrument: its sums are read from it when published (see the class remarks).
            Time = Math.Max(Time, time);
            Dirty = true;
            return;
        }

        var coin = remove ? double.NaN : tracker.CoinQuantity;
        var usd = remove ? double.NaN : tracker.UsdValue;
        var countedCoin = tracker.CountedCoin;
        var countedUsd = tracker.CountedUsd;
        var counted = !double.IsNaN(countedCoin);
        var countNow = double.IsFinite(coin) && double.IsFinite(usd);

        if (!counted && !countNow)
        {
            return;
        }

        var oldCoin = counted ? countedCoin : 0;
        var oldUsd = counted ? countedUsd : 0;
        var newCoin = countNow ? coin : 0;
        var newUsd = countNow ? usd : 0;
        switch (tracker.Info.Market)
        {
            case Market.UsdM:
                _coinStable += newCoin - oldCoin;
                _usdStable += newUsd - oldUsd;
                break;
            case Market.CoinM:
                _coinCoin += newCoin - oldCoin;
                _usdCoin += newUsd - oldUsd;
                break;
            default:
                _optionsCoin += newCoin - oldCoin;
                _optionsUsd += newUsd - oldUsd;
                break;
        }
        if (tracker.Info.IsFutures)
        {
            Counted += (countNow ? 1 : 0) - (counted ? 1 : 0);
        }
        tracker.CountedCoin = countNow ? coin : double.NaN;
        tracker.CountedUsd = countNow ? usd : double.NaN;

        if (time > Time)
        {
            Time = time;
        }
        Dirty = true;

        if (!tracker.Info.IsFutures || !HasSeries)
        {
            return; // options are reported beside the aggregate; a single instrument's figures are its own
        }
        // A sum takes a point when it moves, as an instrument's series does (a mark tick does not move the coin
        // quantity of USDⓈ-M OI, for instance). Sums are clamped at 0: taking out what was put in can leave
        // -1e-9 of rounding dust.
        if (Counted > 0)
        {
            var totalCoin = Math.Max(0, TotalCoin);
            if (totalCoin != Oi.LastValue)
            {
                Oi.Append(Time, totalCoin);
            }
            var totalUsd = Math.Max(0, TotalUsd);
            if (totalUsd != Usd.LastValue)
            {
                Usd.Append(Time, totalUsd);
            }
        }
    }

    // Sums of a single-instrument coin are that instrument's current values.
    private void SyncSole()
    {
        if (_sole is not { } sole)
        {
            return;
        }
        var coin = sole.CoinQuantity;
        var usd = sole.UsdValue;
        var valued = double.IsFinite(coin) && double.IsFinite(usd);
        var stable = sole.Info.Market == Market.UsdM;
        _coinStable = valued && stable ? coin : 0;
        _usdStable = valued && stable ? usd : 0;
        _coinCoin = valued && !stable ? coin : 0;
        _usdCoin = valued && !stable ? usd : 0;
        Counted = valued ? 1 : 0;
    }

    // The all-venue aggregate's sums, from its venues' at publication: a sample updates one aggregate only.
    private void SumVenues()
    {
        _coinStable = _usdStable = _coinCoin = _usdCoin = _optionsCoin = _optionsUsd = 0;
        Counted = 0;
        foreach (var venue in Venues)
        {
            venue.SyncSole();
            _coinStable += venue._coinStable;
            _usdStable += venue._usdStable;
            _coinCoin += venue._coinCoin;
            _usdCoin += venue._usdCoin;
            _optionsCoin += venue._optionsCoin;
            _optionsUsd += venue._optionsUsd;
            Counted += venue.Counted;
            Time = Math.Max(Time, venue.Time);
        }
    }

    /// <summary>This venue aggregate's part of the coin, from its latest snapshot (call <see cref="Publish"/> first).</summary>
    public ExchangeShare Share(bool stale)
    {
        var s = Snapshot!;
        return new ExchangeShare
        {
            Exchange = Exchange ?? "",
            OpenInterestUsd = s.OpenInterestUsd,
            OpenInterestCoin = s.OpenInterestCoin,
            OpenInterestUsdByStableMargin = s.OpenInterestUsdByStableMargin,
            OpenInterestCoinByStableMargin = s.OpenInterestCoinByStableMargin,
            OpenInterestCoinByCoinMargin = s.OpenInterestCoinByCoinMargin,
            Instruments = s.Instruments,
            Change = s.Change,
            Time = s.Time,
            Stale = stale,
        };
    }

    /// <summary>Builds and publishes the next immutable snapshot (seq + 1).</summary>
    public CoinState Publish(IReadOnlyList<string> windowNames, string source, IReadOnlyList<ExchangeShare>? exchanges = null)
    {
        if (Exchange is null)
        {
            SumVenues();
        }
        else
        {
            SyncSole();
        }
        var (change, changeUsd, priceChange, signal) = BuildBlocks(windowNames);
        Seq++;
        var state = new CoinState
        {
            Coin = Coin,
            OpenInterestUsd = Math.Max(0, TotalUsd),
            OpenInterestCoin = Math.Max(0, TotalCoin),
            OpenInterestUsdByStableMargin = Math.Max(0, _usdStable),
            OpenInterestUsdByCoinMargin = Math.Max(0, _usdCoin),
            OpenInterestCoinByStableMargin = Math.Max(0, _coinStable),
            OpenInterestCoinByCoinMargin = Math.Max(0, _coinCoin),
            OptionsOpenInterestCoin = Math.Max(0, _optionsCoin),
            OptionsOpenInterestUsd = Math.Max(0, _optionsUsd),
            Instruments = Counted,
            MarkPrice = Reference is { } r ? NullIfNaN(r.MarkPrice) : null,
            Change = change,
            ChangeUsd = changeUsd,
            PriceChange = priceChange,
            Signal = signal,
            Time = Time == 0 ? null : Time,
            Seq = Seq,
            Source = source,
            Exchanges = exchanges ?? [],
        };
        SetSnapshot(state);
        Dirty = false;
        return state;
    }
}
