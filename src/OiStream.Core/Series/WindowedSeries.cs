namespace OiStream.Core.Series;

/// <summary>What <see cref="WindowedSeries.Append"/> did with a sample.</summary>
public enum AppendOutcome
{
    /// <summary>The sample is newer than every earlier one and became the series' latest value.</summary>
    Appended,

    /// <summary>The sample has the same time as the latest one and replaced its value (last write wins).</summary>
    Replaced,

    /// <summary>The sample is older than the latest one and was ignored: a series only moves forward in time.</summary>
    Late,

    /// <summary>The value is NaN, infinite or negative and was ignored.</summary>
    Invalid,
}

/// <summary>
/// One time series (e.g. an instrument's OI in coins) with an O(1), allocation-free as-of lookup for every window.
/// </summary>
/// <remarks>
/// <para>
/// For window <c>i</c> of length <c>w = K·r</c> (see <see cref="WindowSet"/>), a ring of <c>K + 2</c> slots holds for each
/// bucket <c>k</c>, which covers the times <c>((k − 1)·r, k·r]</c>, the series' value as of its right edge,
/// <c>value_asof(k·r)</c>; buckets that received no sample carry the previous value forward. The newest sample at
/// time <c>t</c> lives in the head slot.
/// </para>
/// <para>
/// <see cref="AsOf"/> answers <c>value_asof(x_q)</c> with <c>x_q = ⌊(t − w)/r⌋·r</c>, the last bucket edge at or before
/// <c>t − w</c>; so <c>t − w − r &lt; x_q ≤ t − w</c>: the reference time is exact to within one bucket (and exact when
/// <c>t − w</c> falls on an edge, as 5m history rows do at 24h), and the value is exactly the sample that a full scan
/// would return for <c>x_q</c>. If the series has no sample at or before <c>x_q</c>, the answer is "not covered" and
/// the change is null.
/// </para>
/// <para>
/// Cost per sample: a compare and a store per window; when a sample crosses into a later bucket, one store per
/// skipped bucket (at most <c>K + 2</c>, so a gap of hours costs a bounded amount once). No heap allocation after
/// construction. Memory: <c>Σ (K + 2) × 8</c> bytes over the windows for the slots plus a small header per window.
/// Internally a bucket is addressed by <c>time − 1</c>, which turns the right-closed buckets above into the
/// usual left-closed <c>[k·r, (k + 1)·r)</c> arithmetic.
/// </para>
/// </remarks>
public sealed class WindowedSeries
{
    private readonly WindowSet _windows;
    private readonly double[] _slots;
    private readonly Ring[] _rings;

    /// <summary>Creates an empty series for the given windows.</summary>
    public WindowedSeries(WindowSet windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        _windows = windows;
        _rings = new Ring[windows.Count];
        var offset = 0;
        for (var i = 0; i < _rings.Length; i++)
        {
            _rings[i].Resolution = windows.ResolutionsMs[i];
            _rings[i].Size = windows.BucketCounts[i] + 2;
            _rings[i].Offset = offset;
            offset += _rings[i].Size;
        }
        _slots = new double[offset];
    }

    /// <summary>True once the series has at least one sample.</summary>
    public bool HasValue { get; private set; }

    /// <summary>Time (Unix ms) of the latest sample.</summary>
    public long LastTime { get; private set; }

    /// <summary>Value of the latest sample (NaN while empty).</summary>
    public double LastValue { get; private set; } = double.NaN;

    /// <summary>Time (Unix ms) of the first accepted sample: the start of this series' coverage.</summary>
    public long FirstTime { get; private set; }

    /// <summary>Bytes held by this series' arrays (for the memory figure in README).</summary>
    public int ApproximateBytes => (_slots.Length * sizeof(double)) + (_rings.Length * 40) + 96;

    /// <summary>Makes this series an exact copy of <paramref name="other"/> (same windows): its history continues here.</summary>
    public void CopyFrom(WindowedSeries other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ReferenceEquals(other._windows, _windows))
        {
            throw new ArgumentException("Series have different windows.", nameof(other));
        }
        Array.Copy(other._slots, _slots, _slots.Length);
        Array.Copy(other._rings, _rings, _rings.Length);
        HasValue = other.HasValue;
        LastTime = other.LastTime;
        LastValue = other.LastValue;
        FirstTime = other.FirstTime;
    }

    /// <summary>
    /// Adds a sample. Older-than-latest samples are ignored (<see cref="AppendOutcome.Late"/>), a sample at the latest
    /// time replaces it, and NaN/∞/negative values are rejected; none of these can corrupt a window.
    /// </summary>
    public AppendOutcome Append(long time, double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            return AppendOutcome.Invalid;
        }

        if (!HasValue)
        {
            Start(time, value);
            return AppendOutcome.Appended;
        }

        if (time < LastTime)
        {
            return AppendOutcome.Late;
        }

        var outcome = time == LastTime ? AppendOutcome.Replaced : AppendOutcome.Appended;
        var carry = LastValue;
        var rings = _rings;
        var slots = _slots;
        for (var i = 0; i < rings.Length; i++)
        {
            ref var ring = ref rings[i];
            // time > HeadEnd ⇔ (time − 1) ≥ HeadEnd: the sample lies beyond the head bucket's right edge.
            if (time > ring.HeadEnd)
            {
                Advance(ref ring, time - 1, carry);
            }
            slots[ring.Offset + ring.HeadSlot] = value;
        }

        LastTime = time;
        LastValue = value;
        return outcome;
    }

    /// <summary>
    /// The value as of the quantised reference time of window <paramref name="window"/> (see class remarks), or NaN when
    /// the series does not reach back that far.
    /// </summary>
    public double AsOf(int window)
    {
        if (!HasValue)
        {
            return double.NaN;
        }

        ref readonly var ring = ref _rings[window];
        // t on its bucket's right edge: t − w is an edge too, and the reference bucket is one later (class remarks).
        var adjust = LastTime == ring.HeadEnd ? 1 : 0;
        var bucket = ring.HeadIndex - (ring.Size - 1) + adjust;
        if (bucket < ring.FirstBucket)
        {
            return double.NaN;
        }

        var slot = ring.HeadSlot + 1 + adjust;
        if (slot >= ring.Size)
        {
            slot -= ring.Size;
        }
        return _slots[ring.Offset + slot];
    }

    /// <summary>
    /// Change in percent over window <paramref name="window"/>: <c>(latest / as-of − 1) × 100</c>; NaN when not covered
    /// or when the as-of value is zero (a change from nothing has no percentage).
    /// </summary>
    public double Change(int window)
    {
        var then = AsOf(window);
        // NaN compares false, so an uncovered window falls through to NaN as well.
        return then > 0 ? ((LastValue / then) - 1.0) * 100.0 : double.NaN;
    }

    /// <summary>The quantised reference time <c>x_q</c> used by <see cref="AsOf"/> for the latest sample.</summary>
    public long ReferenceTime(int window)
    {
        var r = _windows.ResolutionsMs[window];
        return FloorDiv(LastTime - _windows.DurationsMs[window], r) * r;
    }

    private void Start(long time, double value)
    {
        HasValue = true;
        FirstTime = time;
        LastTime = time;
        LastValue = value;
        for (var i = 0; i < _rings.Length; i++)
        {
            ref var ring = ref _rings[i];
            var bucket = FloorDiv(time - 1, ring.Resolution);
            ring.HeadIndex = bucket;
            ring.HeadEnd = (bucket + 1) * ring.Resolution;
            ring.HeadSlot = 0;
            ring.FirstBucket = bucket;
            _slots[ring.Offset] = value;
        }
    }

    private void Advance(ref Ring ring, long shiftedTime, double carry)
    {
        var size = ring.Size;
        var bucket = FloorDiv(shiftedTime, ring.Resolution);
        var gap = bucket - ring.HeadIndex;
        // Buckets skipped without a sample hold the previous value: that is their as-of value at their edge.
        var fill = (int)Math.Min(gap - 1, size);
        var slot = ring.HeadSlot;
        for (var j = 0; j < fill; j++)
        {
            if (++slot == size)
            {
                slot = 0;
            }
            _slots[ring.Offset + slot] = carry;
        }

        ring.HeadSlot = (int)((ring.HeadSlot + (gap % size)) % size);
        ring.HeadIndex = bucket;
        ring.HeadEnd = (bucket + 1) * ring.Resolution;
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }

    private struct Ring
    {
        public long Resolution;
        public long HeadIndex;
        public long HeadEnd;
        public long FirstBucket;
        public int HeadSlot;
        public int Size;
        public int Offset;
    }
}
