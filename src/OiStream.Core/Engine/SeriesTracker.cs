using System.Globalization;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Series;
using OiStream.Core.Signals;

namespace OiStream.Core.Engine;

/// <summary>
/// What instruments and coin aggregates share: three windowed series (OI in coins, OI in USD, mark price), the change
/// figures and quadrants derived from them, event cooldowns, and the publication state (dirty flag, seq, snapshot).
/// Engine-thread only, except the published snapshot.
/// </summary>
internal abstract class SeriesTracker
{
    /// <summary>Which of the three series.</summary>
    [Flags]
    protected internal enum SeriesMask : byte
    {
        None = 0,
        Oi = 1,
        Usd = 2,
        Price = 4,
        All = Oi | Usd | Price,
    }

    private static readonly string[] EventKinds = [SignalNames.OiSpike, SignalNames.OiFlush, SignalNames.Divergence, SignalNames.FundingExtreme];

    private readonly long[] _lastFired = [long.MinValue, long.MinValue, long.MinValue, long.MinValue];
    private object? _snapshot;

    /// <summary>The open one-minute candle (a mutable struct: used in place, through this field).</summary>
    internal CandleAccumulator Candle;

    protected SeriesTracker(WindowSet windows, bool withSeries = true)
    {
        Windows = windows;
        if (withSeries)
        {
            AllocateSeries(null);
        }
        Change = new double[windows.Count];
        ChangeUsd = new double[windows.Count];
        PriceChange = new double[windows.Count];
        Quadrants = new Quadrant[windows.Count];
        Array.Fill(Change, double.NaN);
        Array.Fill(ChangeUsd, double.NaN);
        Array.Fill(PriceChange, double.NaN);
    }

    public WindowSet Windows { get; }

    /// <summary>True once the OI series exist (always for instruments; see <see cref="CoinAggregate"/>).</summary>
    public bool HasSeries { get; private set; }

    /// <summary>Open interest in coins.</summary>
    public WindowedSeries Oi { get; private set; } = null!;

    /// <summary>Open interest in USD.</summary>
    public WindowedSeries Usd { get; private set; } = null!;

    /// <summary>
    /// The mark price series whose changes are this tracker's price changes: an instrument's own; a coin's is its
    /// reference instrument's (null while it has none).
    /// </summary>
    public abstract WindowedSeries? PriceSeries { get; }

    /// <summary>Creates the two OI series, as copies of <paramref name="copyFrom"/>'s when given.</summary>
    protected void AllocateSeries(SeriesTracker? copyFrom)
    {
        Oi = new WindowedSeries(Windows);
        Usd = new WindowedSeries(Windows);
        if (copyFrom is { HasSeries: true })
        {
            Oi.CopyFrom(copyFrom.Oi);
            Usd.CopyFrom(copyFrom.Usd);
        }
        HasSeries = true;
    }

    public double[] Change { get; }

    public double[] ChangeUsd { get; }

    public double[] PriceChange { get; }

    public Quadrant[] Quadrants { get; }

    /// <summary>Set when something changed since the last publication; the engine keeps a list of dirty trackers.</summary>
    public bool Dirty { get; set; }

    /// <summary>Queued on the engine's list of trackers to publish (so it is queued once).</summary>
    public bool Queued { get; set; }

    /// <summary>
    /// The per-symbol publish budget as a time (ms): when one more publication would bring the average rate to one per
    /// interval (the "theoretical arrival time" of the generic cell rate algorithm). A publication may go out one
    /// interval before it, so two may go back to back, and on average no more than one per interval.
    /// </summary>
    public long PublishDueAt { get; set; } = long.MinValue / 4; // "long ago", with room to subtract from

    /// <summary>Publications so far; the next snapshot carries <c>Seq + 1</c>.</summary>
    public long Seq { get; set; }

    /// <summary>Display name in event messages.</summary>
    public abstract string Name { get; }

    /// <summary>The key this tracker's candles are stored under.</summary>
    public abstract SeriesKey CandleKey { get; }

    /// <summary>Bytes held by the OI series and the figures (the memory figure of README).</summary>
    public virtual int ApproximateBytes => (HasSeries ? Oi.ApproximateBytes + Usd.ApproximateBytes : 0)
        + (Change.Length * ((3 * sizeof(double)) + 1)) + 200;

    /// <summary>The latest published snapshot; read by any thread.</summary>
    protected T? GetSnapshot<T>() where T : class => Volatile.Read(ref _snapshot) as T;

    protected void SetSnapshot(object snapshot) => Volatile.Write(ref _snapshot, snapshot);

    /// <summary>Series appended to since the last <see cref="Recompute"/>: only their changes need reading again.</summary>
    protected SeriesMask Pending { get; set; }

    /// <summary>
    /// Recomputes the changes of every window of each series appended to since the last call (an untouched series'
    /// changes cannot have moved), then every quadrant: at most 3 × windows O(1) look-ups.
    /// </summary>
    public virtual void Recompute(double deadBand)
    {
        var pending = Pending;
        if ((pending & SeriesMask.Oi) != 0)
        {
            Oi.ChangesInto(Change);
        }
        if ((pending & SeriesMask.Usd) != 0)
        {
            Usd.ChangesInto(ChangeUsd);
        }
        if ((pending & SeriesMask.Price) != 0)
        {
            if (PriceSeries is { } price)
            {
                price.ChangesInto(PriceChange);
            }
            else
            {
                Array.Fill(PriceChange, double.NaN);
            }
        }
        Pending = SeriesMask.None;

        QuadrantClassifier.ClassifyAll(PriceChange, Change, deadBand, Quadrants);
    }

    /// <summary>Takes over another tracker's figures (a coin aggregate of a single instrument).</summary>
    protected void CopyFigures(SeriesTracker other)
    {
        Array.Copy(other.Change, Change, Change.Length);
        Array.Copy(other.ChangeUsd, ChangeUsd, ChangeUsd.Length);
        Array.Copy(other.PriceChange, PriceChange, PriceChange.Length);
        Array.Copy(other.Quadrants, Quadrants, Quadrants.Length);
    }

    /// <summary>
    /// Fires the events whose conditions hold at <paramref name="time"/> and whose cooldown has passed. Allocates only
    /// when an event fires.
    /// </summary>
    public void EvaluateEvents(SignalPlan plan, long time, bool newHigh, bool newLow, double fundingRate,
        string coin, string? symbol, string source, List<SignalEvent> sink)
    {
        var spike = Change[plan.SpikeWindow];
        if (spike >= plan.Spike && Ready(0, plan, time))
        {
            Fire(0, plan, plan.SpikeWindow, time, fundingRate, coin, symbol, source, sink,
                $"{Name} open interest {Pct(spike)} in {plan.Windows.Names[plan.SpikeWindow]}: spike (new positions piling in)");
        }

        var flush = Change[plan.FlushWindow];
        if (flush <= -plan.Flush && Ready(1, plan, time))
        {
            Fire(1, plan, plan.FlushWindow, time, fundingRate, coin, symbol, source, sink,
                $"{Name} open interest {Pct(flush)} in {plan.Windows.Names[plan.FlushWindow]}: flush (liquidations or mass closing)");
        }

        var falling = Change[plan.DivergenceWindow];
        if ((newHigh || newLow) && falling < -plan.DeadBand && Ready(2, plan, time))
        {
            Fire(2, plan, plan.DivergenceWindow, time, fundingRate, coin, symbol, source, sink,
                $"{Name} price at a new {(newHigh ? "high" : "low")} while open interest is {Pct(falling)} in {plan.Windows.Names[plan.DivergenceWindow]}: divergence");
        }

        var fundingOi = Change[plan.FundingWindow];
        if (Math.Abs(fundingRate) >= plan.FundingRate && Math.Abs(fundingOi) >= plan.FundingOi && Ready(3, plan, time))
        {
            Fire(3, plan, plan.FundingWindow, time, fundingRate, coin, symbol, source, sink,
                $"{Name} funding rate {(fundingRate * 100).ToString("+0.####;-0.####", CultureInfo.InvariantCulture)} % with open interest {Pct(fundingOi)} in {plan.Windows.Names[plan.FundingWindow]}: crowded trade");
        }
    }

    // Checked before the message is formatted, so a condition that stays true during its cooldown costs no allocation.
    private bool Ready(int kind, SignalPlan plan, long time)
        => _lastFired[kind] == long.MinValue || time - _lastFired[kind] >= plan.CooldownMs;

    private void Fire(int kind, SignalPlan plan, int window, long time, double fundingRate, string coin, string? symbol,
        string source, List<SignalEvent> sink, string message)
    {
        _lastFired[kind] = time;
        sink.Add(new SignalEvent
        {
            Kind = EventKinds[kind],
            Symbol = symbol,
            Coin = coin,
            Window = plan.Windows.Names[window],
            Change = NullIfNaN(Change[window]),
            PriceChange = NullIfNaN(PriceChange[window]),
            FundingRate = NullIfNaN(fundingRate),
            Time = time,
            Message = message,
            Source = source,
        });
    }

    private static string Pct(double value) => value.ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + " %";

    protected static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;

    /// <summary>The change blocks of a snapshot, as JSON-ready dictionaries (allocated per publication, not per sample).</summary>
    protected (Dictionary<string, double?> Change, Dictionary<string, double?> ChangeUsd, Dictionary<string, double?> PriceChange, Dictionary<string, string?> Signal)
        BuildBlocks(IReadOnlyList<string> names)
    {
        var change = new Dictionary<string, double?>(names.Count);
        var changeUsd = new Dictionary<string, double?>(names.Count);
        var priceChange = new Dictionary<string, double?>(names.Count);
        var signal = new Dictionary<string, string?>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            change[names[i]] = NullIfNaN(Change[i]);
            changeUsd[names[i]] = NullIfNaN(ChangeUsd[i]);
            priceChange[names[i]] = NullIfNaN(PriceChange[i]);
            signal[names[i]] = Quadrants[i].ToWire();
        }
        return (change, changeUsd, priceChange, signal);
    }
}
