using OiStream.Core.Series;

namespace OiStream.Core.Tests;

/// <summary>
/// The naive reference: keeps every accepted sample and answers as-of by scanning history. It applies the same
/// acceptance rules as <see cref="WindowedSeries"/> (late ignored, same time replaces, invalid ignored), written
/// independently from the rules' description, not from the ring code.
/// </summary>
internal sealed class ReferenceSeries
{
    private readonly List<long> _times = [];
    private readonly List<double> _values = [];

    public int Count => _times.Count;

    public long LastTime => _times[^1];

    public double LastValue => _values[^1];

    public AppendOutcome Append(long time, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
        {
            return AppendOutcome.Invalid;
        }
        if (_times.Count > 0 && time < _times[^1])
        {
            return AppendOutcome.Late;
        }
        if (_times.Count > 0 && time == _times[^1])
        {
            _values[^1] = value;
            return AppendOutcome.Replaced;
        }
        _times.Add(time);
        _values.Add(value);
        return AppendOutcome.Appended;
    }

    /// <summary>Newest sample with time ≤ x, by a linear scan from the newest; NaN when there is none.</summary>
    public double AsOfScan(long x)
    {
        for (var i = _times.Count - 1; i >= 0; i--)
        {
            if (_times[i] <= x)
            {
                return _values[i];
            }
        }
        return double.NaN;
    }

    /// <summary>Same answer as <see cref="AsOfScan"/>, by binary search (for long streams).</summary>
    public double AsOfSearch(long x)
    {
        var index = _times.BinarySearch(x);
        if (index < 0)
        {
            index = ~index - 1;
        }
        return index >= 0 ? _values[index] : double.NaN;
    }
}
