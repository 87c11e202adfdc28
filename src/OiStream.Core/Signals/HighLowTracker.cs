namespace OiStream.Core.Signals;

/// <summary>
/// Rolling high and low of a price over one window (24h by default), for the <c>divergence</c> event.
/// </summary>
/// <remarks>
/// Keeps the maximum and minimum per bucket (same geometry as the window's ring: <c>K + 2</c> buckets of
/// <c>w / K</c>), and caches the extremes of the completed buckets inside the window. The cache is rebuilt only when
/// the head moves into a new bucket (every <c>r</c>, e.g. 4.8 min at 24h), so the cost per sample is O(1) amortised and
/// allocation-free. "A new high" means above every price of the previous <c>w</c>, to bucket resolution.
/// </remarks>
public sealed class HighLowTracker
{
    private readonly long _resolution;
    private readonly int _slotCount;
    private readonly double[] _max;
    private readonly double[] _min;
    private long _headIndex;
    private long _headEnd;
    private long _firstBucket;
    private int _headSlot;
    private bool _started;
    private double _last;
    private double _completedMax = double.NegativeInfinity;
    private double _completedMin = double.PositiveInfinity;

    /// <summary>Creates a tracker for a window of <paramref name="windowMs"/> in buckets of <paramref name="resolutionMs"/>.</summary>
    public HighLowTracker(long windowMs, long resolutionMs)
    {
        _resolution = resolutionMs;
        _slotCount = (int)(windowMs / resolutionMs) + 2;
        _max = new double[_slotCount];
        _min = new double[_slotCount];
    }

    /// <summary>Bytes held by the tracker's arrays.</summary>
    public int ApproximateBytes => (_slotCount * 2 * sizeof(double)) + 96;

    /// <summary>
    /// Records a price at <paramref name="time"/> (times must not go backwards; the caller drops late samples) and tells
    /// whether it is above the high or below the low of the whole previous window. Both are false until the tracker has
    /// seen a full window.
    /// </summary>
    public (bool NewHigh, bool NewLow) Add(long time, double price)
    {
        if (!_started)
        {
            _started = true;
            _headIndex = time / _resolution;
            _headEnd = (_headIndex + 1) * _resolution;
            _firstBucket = _headIndex;
            _max[0] = price;
            _min[0] = price;
            _last = price;
            return (false, false);
        }

        if (time >= _headEnd)
        {
            Advance(time);
        }

        // The window reaches back K buckets before the head; it is covered once the first bucket is that old.
        var covered = _headIndex - (_slotCount - 2) >= _firstBucket;
        var high = Math.Max(_completedMax, _max[_headSlot]);
        var low = Math.Min(_completedMin, _min[_headSlot]);
        var result = (covered && price > high, covered && price < low);

        if (price > _max[_headSlot])
        {
            _max[_headSlot] = price;
        }
        if (price < _min[_headSlot])
        {
            _min[_headSlot] = price;
        }
        _last = price;
        return result;
    }

    private void Advance(long time)
    {
        var bucket = time / _resolution;
        var gap = bucket - _headIndex;
        var fill = (int)Math.Min(gap, _slotCount);
        var slot = _headSlot;
        for (var j = 0; j < fill; j++)
        {
            if (++slot == _slotCount)
            {
                slot = 0;
            }
            // A bucket without samples saw only the previous price; the new head starts from it too, so a jump
            // from the carried price into the new bucket is measured against the window's extremes, not itself.
            _max[slot] = _last;
            _min[slot] = _last;
        }
        _headSlot = (int)((_headSlot + (gap % _slotCount)) % _slotCount);
        _headIndex = bucket;
        _headEnd = (bucket + 1) * _resolution;

        // Completed buckets inside the window: the K buckets before the head.
        var max = double.NegativeInfinity;
        var min = double.PositiveInfinity;
        var s = _headSlot;
        var oldest = Math.Max(_firstBucket, _headIndex - (_slotCount - 2));
        for (var k = _headIndex - 1; k >= oldest; k--)
        {
            s = s == 0 ? _slotCount - 1 : s - 1;
            max = Math.Max(max, _max[s]);
            min = Math.Min(min, _min[s]);
        }
        _completedMax = max;
        _completedMin = min;
    }
}
