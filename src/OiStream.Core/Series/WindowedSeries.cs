using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// The head slot is never read while it is the head (look-ups read older buckets), so a sample only records the
/// latest value; a ring is written when time crosses its head bucket's edge, and the value its look-up will read is
/// cached then. Cost per sample: one compare against the nearest edge; when a sample crosses edges, one store per
/// completed or skipped bucket (at most <c>K + 2</c>, so a gap of hours costs a bounded amount once). Reading a
/// window's change is a compare and a division. No heap allocation after construction. Memory: <c>Σ (K + 2) × 8</c> bytes over the windows for the slots plus a small header per window.
/// Internally a bucket is addressed by <c>time − 1</c>, which turns the right-closed buckets above into the
/// usual left-closed <c>[k·r, (k + 1)·r)</c> arithmetic.
/// </para>
/// </remarks>
public sealed class WindowedSeries
{
    private readonly WindowSet _windows;
    private readonly double[] _slots;
    private readonly Ring[] _rings;
    // The ring with the finest buckets, and the earliest head edge of all the others: between two edges of the others
    // only this ring crosses edges, one bucket at a time when samples come at least once a bucket (see AdvanceRings).
    private readonly int _finest;
    private long _othersEdge;
    private long _nextEdge;

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
            _rings[i].Then = double.NaN;
            _rings[i].InverseThen = double.NaN;
            offset += _rings[i].Size;
            // Stryker disable once all : which ring is taken as finest only decides which ring may step alone, a speed-up;
            // the fast path's condition guarantees no other ring crosses an edge, so the state is the same (docs/testing.md).
            if (_rings[i].Resolution < _rings[_finest].Resolution)
            {
                _finest = i;
            }
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
    public int ApproximateBytes => (_slots.Length * sizeof(double)) + (_rings.Length * 64) + 96;

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
        _nextEdge = other._nextEdge;
        _othersEdge = other._othersEdge;
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
        // time > edge ⇔ (time − 1) ≥ edge: the sample lies beyond some head bucket's right edge.
        if (time > _nextEdge)
        {
            AdvanceRings(time, LastValue);
        }
        LastTime = time;
        LastValue = value;
        return outcome;
    }

    /// <summary>
    /// The value as of the quantised reference time of window <paramref name="window"/> (see class remarks), or NaN when
    /// the series does not reach back that far.
    /// </summary>
    // Stryker disable once Conditional : an empty series' rings cover nothing, so Then answers NaN as well (docs/testing.md).
    public double AsOf(int window) => HasValue ? Then(in _rings[window]) : double.NaN;

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

    /// <summary>
    /// Writes the change of every window into <paramref name="destination"/> in one pass: the engine's hot path. Equal to
    /// <see cref="Change"/> to within a few units in the last place (it multiplies by a cached reciprocal).
    /// </summary>
    public void ChangesInto(Span<double> destination)
    {
        if (!HasValue)
        {
            destination.Fill(double.NaN);
            // Stryker disable once Statement : without the return the loop writes NaN for every window (LastValue is NaN).
            return;
        }
        var rings = _rings;
        var last = LastValue;
        var lastTime = LastTime;
        for (var i = 0; i < rings.Length && i < destination.Length; i++)
        {
            ref readonly var ring = ref rings[i];
            if (lastTime != ring.HeadEnd)
            {
                // The common case: multiply by the reciprocal cached when the ring last advanced (NaN when not
                // covered or zero). Equal to (last / then − 1) × 100 to within a few units in the last place.
                destination[i] = ((last * ring.InverseThen) - 1.0) * 100.0;
            }
            else
            {
                var then = Then(in ring);
                destination[i] = then > 0 ? ((last / then) - 1.0) * 100.0 : double.NaN;
            }
        }
    }

    /// <summary>The quantised reference time <c>x_q</c> used by <see cref="AsOf"/> for the latest sample.</summary>
    public long ReferenceTime(int window)
    {
        var r = _windows.ResolutionsMs[window];
        return FloorDiv(LastTime - _windows.DurationsMs[window], r) * r;
    }

    private double Then(in Ring ring)
    {
        if (LastTime != ring.HeadEnd)
        {
            return ring.Then;
        }
        // t on its head bucket's right edge: t − w is an edge too, and the reference bucket is one later.
        if (ring.HeadIndex - (ring.Size - 2) < ring.FirstBucket)
        {
            return double.NaN;
        }
        var slot = ring.HeadSlot + 2;
        if (slot >= ring.Size)
        {
            slot -= ring.Size;
        }
        return _slots[ring.Offset + slot];
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
            // Stryker disable once Arithmetic : a wrong first edge corrects itself at the next sample (the general path
            // recomputes it from HeadIndex), and nothing is covered before then (docs/testing.md).
            ring.HeadEnd = (bucket + 1) * ring.Resolution;
            ring.HeadSlot = 0;
            ring.FirstBucket = bucket;
            ring.Then = double.NaN;
            ring.InverseThen = double.NaN;
        }
        // Stryker disable once Statement : without it the first sample takes the general path, which updates the edges.
        UpdateEdges();
    }

    private void AdvanceRings(long time, double carry)
    {
        // Most edges crossed are the finest ring's (every second at default settings, against every minute or more
        // for the others), by one bucket: step that ring alone, without visiting the others.
        ref var finest = ref _rings[_finest];
        // Stryker disable once Equality,Arithmetic : the fast path's bounds only decide when the finest ring steps alone;
        // a stricter condition takes the general loop, which computes the same state (docs/testing.md).
        if (time <= _othersEdge && time - 1 < finest.HeadEnd + finest.Resolution)
        {
            Step(ref finest, carry);
            _nextEdge = Math.Min(finest.HeadEnd, _othersEdge);
            // Stryker disable once Statement : falling through, the general loop finds no ring to advance.
            return;
        }

        var rings = _rings;
        for (var i = 0; i < rings.Length; i++)
        {
            ref var ring = ref rings[i];
            if (time > ring.HeadEnd)
            {
                Advance(ref ring, time - 1, carry);
            }
        }
        // Stryker disable once Statement : stale edges only send later samples down this general path again (slower, same state).
        UpdateEdges();
    }

    private void UpdateEdges()
    {
        var others = long.MaxValue;
        for (var i = 0; i < _rings.Length; i++)
        {
            // Stryker disable once Equality : counting the finest ring among the others only disables the fast path.
            if (i != _finest)
            {
                others = Math.Min(others, _rings[i].HeadEnd);
            }
        }
        _othersEdge = others;
        _nextEdge = Math.Min(_rings[_finest].HeadEnd, others);
    }

    private void Advance(ref Ring ring, long shiftedTime, double carry)
    {
        // Stryker disable once Arithmetic,Equality : Step is the general code below for a gap of one bucket; a stricter
        // bound takes that code, with the same result (docs/testing.md).
        if (shiftedTime < ring.HeadEnd + ring.Resolution)
        {
            // The sample is in the very next bucket: no 64-bit divisions (tens of cycles each).
            Step(ref ring, carry);
            // Stryker disable once Statement : falling through after the step finds a gap of 0 and changes nothing.
            return;
        }

        var size = ring.Size;
        var bucket = FloorDiv(shiftedTime, ring.Resolution);
        var gap = bucket - ring.HeadIndex;
        // The head bucket is complete: its value at its edge is the latest value so far (the carry). Buckets skipped
        // without a sample hold that value too.
        var fill = (int)Math.Min(gap, size);
        ref var slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        var slot = ring.HeadSlot;
        // Stryker disable once Equality : one slot more is the new head bucket (or a slot the wrap fills with the carry anyway).
        for (var j = 0; j < fill; j++)
        {
            Unsafe.Add(ref slots, ring.Offset + slot) = carry;
            if (++slot == size)
            {
                slot = 0;
            }
        }
        ring.HeadSlot = (int)((ring.HeadSlot + (gap % size)) % size);
        ring.HeadEnd = (bucket + 1) * ring.Resolution;
        ring.HeadIndex = bucket;
        CacheThen(ref ring);
    }

    /// <summary>Moves a ring's head one bucket on: the completed bucket's value as of its edge is the carry.</summary>
    private void Step(ref Ring ring, double carry)
    {
        var slot = ring.HeadSlot;
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), ring.Offset + slot) = carry;
        ring.HeadSlot = slot + 1 == ring.Size ? 0 : slot + 1;
        ring.HeadEnd += ring.Resolution;
        ring.HeadIndex++;
        CacheThen(ref ring);
    }

    // Caches what look-ups read until the next advance: the bucket K + 1 before the head (the slot after it).
    private void CacheThen(ref Ring ring)
    {
        double then;
        if (ring.HeadIndex - (ring.Size - 1) < ring.FirstBucket)
        {
            then = double.NaN;
        }
        else
        {
            var look = ring.HeadSlot + 1;
            then = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), ring.Offset + (look == ring.Size ? 0 : look));
        }
        ring.Then = then;
        ring.InverseThen = then > 0 ? 1.0 / then : double.NaN;
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        // Stryker disable once Equality : a = 0 has no remainder, and b (a resolution) is never 0 or negative.
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }

    private struct Ring
    {
        public long Resolution;
        public long HeadIndex;
        public long HeadEnd;
        public long FirstBucket;
        public double Then;
        public double InverseThen;
        public int HeadSlot;
        public int Size;
        public int Offset;
    }
}
