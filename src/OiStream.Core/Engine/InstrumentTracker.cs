using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;
using OiStream.Core.Series;
using OiStream.Core.Signals;

namespace OiStream.Core.Engine;

/// <summary>
/// One instrument's live state. Turns OI readings and mark ticks into the three series, per market (design section 2):
/// a series whose value depends on both OI and price (USDⓈ-M USD value, COIN-M coin quantity) takes a point at
/// <c>max(oiTime, priceTime)</c>, the moment its current value became true.
/// </summary>
internal sealed class InstrumentTracker : SeriesTracker
{
    private readonly HighLowTracker _highLow;

    public InstrumentTracker(InstrumentInfo info, WindowSet windows, SignalPlan plan, int id) : base(windows)
    {
        Info = info;
        Id = id;
        CandleKey = SeriesKey.Instrument(info.Symbol);
        Price = new WindowedSeries(windows);
        _highLow = new HighLowTracker(plan.HighLowWindowMs, WindowSet.ChooseResolution(plan.HighLowWindowMs, windows.SlotsPerWindow));
    }

    public InstrumentInfo Info { get; private set; }

    /// <summary>The coin aggregate this instrument counts in (held here so a sample needs no dictionary look-up).</summary>
    public CoinAggregate? Aggregate { get; set; }

    /// <summary>The aggregate of this instrument's coin on its own venue (the per-exchange split of <see cref="Aggregate"/>).</summary>
    public CoinAggregate? VenueAggregate { get; set; }

    /// <summary>Index in the engine's instrument table.</summary>
    public int Id { get; }

    public override string Name => Info.Symbol;

    /// <inheritdoc />
    public override SeriesKey CandleKey { get; }

    public double OpenInterest { get; private set; } = double.NaN;

    public double ReportedUsd { get; private set; } = double.NaN;

    public double MarkPrice { get; private set; } = double.NaN;

    public double FundingRate { get; private set; } = double.NaN;

    /// <summary>Exchange time of the latest OI reading (0 = none).</summary>
    public long OiTime { get; private set; }

    /// <summary>Exchange time of the latest mark price (0 = none).</summary>
    public long PriceTime { get; private set; }

    /// <summary>Coin quantity currently counted in its venue's coin aggregate (NaN = not counted).</summary>
    public double CountedCoin { get; set; } = double.NaN;

    /// <summary>USD value currently counted in its venue's coin aggregate.</summary>
    public double CountedUsd { get; set; } = double.NaN;

    /// <summary>Whether the last published snapshot said <c>stale</c>.</summary>
    public bool PublishedStale { get; set; }

    /// <summary>Removed from the instrument list; kept only until its last snapshot is published.</summary>
    public bool Removed { get; set; }

    public InstrumentState? Snapshot => GetSnapshot<InstrumentState>();

    public double CoinQuantity { get; private set; } = double.NaN;

    public double UsdValue { get; private set; } = double.NaN;

    public override int ApproximateBytes => base.ApproximateBytes + Price.ApproximateBytes + _highLow.ApproximateBytes + 200;

    /// <summary>The mark price series.</summary>
    public WindowedSeries Price { get; }

    /// <inheritdoc />
    public override WindowedSeries? PriceSeries => Price;

    /// <summary>Replaces the static facts (e.g. a contract size that changed); series are kept.</summary>
    public void UpdateInfo(InstrumentInfo info)
    {
        Info = info;
        Revalue();
    }

    // The valuation is kept with the inputs rather than computed on each read: the series, the coin aggregate and the
    // snapshot all read it for every sample.
    private void Revalue()
    {
        var info = Info;
        CoinQuantity = Valuation.CoinQuantity(info.Market, OpenInterest, info.ContractSize, MarkPrice);
        UsdValue = Valuation.Usd(info.Market, OpenInterest, info.ContractSize, MarkPrice, ReportedUsd);
    }

    /// <summary>Applies an OI reading. The caller has validated the value and the clock.</summary>
    public ApplyOutcome ApplyOpenInterest(long time, double openInterest, double reportedUsd)
    {
        if (OiTime != 0 && time < OiTime)
        {
            return ApplyOutcome.Late;
        }
        var outcome = time == OiTime ? ApplyOutcome.Replaced : ApplyOutcome.Applied;
        OpenInterest = openInterest;
        ReportedUsd = reportedUsd;
        OiTime = time;
        Revalue();
        AppendDerived(oiChanged: true);
        return outcome;
    }

    /// <summary>Applies a mark price; reports whether it set a new high or low over the divergence look-back.</summary>
    public ApplyOutcome ApplyMarkPrice(long time, double price, double fundingRate, out bool newHigh, out bool newLow)
    {
        newHigh = newLow = false;
        if (PriceTime != 0 && time < PriceTime)
        {
            return ApplyOutcome.Late;
        }
        var outcome = time == PriceTime ? ApplyOutcome.Replaced : ApplyOutcome.Applied;
        MarkPrice = price;
        FundingRate = fundingRate;
        PriceTime = time;
        Revalue();
        Price.Append(time, price);
        Pending |= SeriesMask.Price;
        (newHigh, newLow) = _highLow.Add(time, price);
        if (OiTime != 0)
        {
            AppendDerived(oiChanged: false);
        }
        return outcome;
    }

    /// <summary>
    /// Applies one <c>openInterestHist</c> bucket: an OI reading and the price it implies
    /// (USDⓈ-M: value ÷ quantity; COIN-M: contracts × size ÷ coins), both at the bucket's time.
    /// </summary>
    public ApplyOutcome ApplyHistory(long time, double sumOpenInterest, double sumValue)
    {
        double impliedPrice;
        switch (Info.Market)
        {
            case Market.UsdM:
                impliedPrice = sumValue / sumOpenInterest;
                break;
            case Market.CoinM:
                impliedPrice = sumOpenInterest * Info.ContractSize / sumValue;
                break;
            default:
                return ApplyOutcome.NotApplicable;
        }

        if ((OiTime != 0 && time < OiTime) || (PriceTime != 0 && time < PriceTime))
        {
            return ApplyOutcome.Late;
        }

        var outcome = time == OiTime ? ApplyOutcome.Replaced : ApplyOutcome.Applied;
        OpenInterest = sumOpenInterest;
        OiTime = time;
        if (double.IsFinite(impliedPrice) && impliedPrice > 0)
        {
            MarkPrice = impliedPrice;
            PriceTime = time;
            Price.Append(time, impliedPrice);
            Pending |= SeriesMask.Price;
            _highLow.Add(time, impliedPrice);
        }
        Revalue();
        AppendDerived(oiChanged: true);
        return outcome;
    }

    /// <summary>
    /// Appends the series that the new OI reading or price moved. Which series depends on the price differs per
    /// market (see the class remarks); a series that depends only on OI is left alone when only the price moved.
    /// </summary>
    private void AppendDerived(bool oiChanged)
    {
        var both = Math.Max(OiTime, PriceTime);
        switch (Info.Market)
        {
            case Market.UsdM:
                if (oiChanged)
                {
                    Oi.Append(OiTime, CoinQuantity);
                    Pending |= SeriesMask.Oi;
                }
                if (MarkPrice > 0)
                {
                    Usd.Append(both, UsdValue);
                    Pending |= SeriesMask.Usd;
                }
                break;
            case Market.CoinM:
                if (oiChanged)
                {
                    Usd.Append(OiTime, UsdValue);
                    Pending |= SeriesMask.Usd;
                }
                if (MarkPrice > 0)
                {
                    Oi.Append(both, CoinQuantity);
                    Pending |= SeriesMask.Oi;
                }
                break;
            default:
                if (oiChanged)
                {
                    Oi.Append(OiTime, CoinQuantity);
                    Pending |= SeriesMask.Oi;
                    if (!double.IsNaN(ReportedUsd))
                    {
                        Usd.Append(OiTime, UsdValue);
                        Pending |= SeriesMask.Usd;
                    }
                }
                break;
        }
    }

    /// <summary>Builds and publishes the next immutable snapshot (seq + 1).</summary>
    public InstrumentState Publish(IReadOnlyList<string> windowNames, string source, bool stale)
    {
        var (change, changeUsd, priceChange, signal) = BuildBlocks(windowNames);
        Seq++;
        PublishedStale = stale;
        var info = Info;
        var coin = CoinQuantity;
        var usd = UsdValue;
        var state = new InstrumentState
        {
            Symbol = info.Symbol,
            Exchange = info.Exchange,
            Market = info.Market.ToWire(),
            Coin = info.Coin,
            Margin = info.Margin.ToWire(),
            ContractType = info.ContractType,
            OpenInterest = NullIfNaN(OpenInterest),
            OpenInterestCoin = NullIfNaN(coin),
            OpenInterestUsd = NullIfNaN(usd),
            MarkPrice = NullIfNaN(MarkPrice),
            FundingRate = NullIfNaN(FundingRate),
            Change = change,
            ChangeUsd = changeUsd,
            PriceChange = priceChange,
            Signal = signal,
            OiTime = OiTime == 0 ? null : OiTime,
            PriceTime = PriceTime == 0 ? null : PriceTime,
            CoverageStart = Oi.HasValue ? Oi.FirstTime : null,
            Seq = Seq,
            Source = source,
            Stale = stale,
        };
        SetSnapshot(state);
        Dirty = false;
        return state;
    }
}
