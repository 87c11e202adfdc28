using BenchmarkDotNet.Attributes;
using OiStream.Core.Series;

namespace OiStream.Benchmarks;

/// <summary>
/// Issue target: ≥ 100× faster than the naive reference at the 24h window. Both hold 25 hours of one sample per
/// second and then take one more sample and answer the 24h change; the naive one keeps every sample and scans back
/// from the newest for the as-of value (what the tests compare against), the ring answers in O(1).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ReferenceComparisonBenchmarks
{
    private const long Start = 1_763_712_000_000;
    private const long Day = 86_400_000;
    private WindowedSeries _ring = null!;
    private readonly List<long> _times = [];
    private readonly List<double> _values = [];
    private long _ringTime;
    private long _naiveTime;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new WindowedSeries(WindowSet.Parse(["24h"]));
        for (var t = Start; t < Start + Day + 3_600_000; t += 1_000)
        {
            _ring.Append(t, 100 + (t % 977));
            _times.Add(t);
            _values.Add(100 + (t % 977));
        }
        _ringTime = _naiveTime = _times[^1];
    }

    [Benchmark(Baseline = true)]
    public double Naive_scan_24h()
    {
        _naiveTime += 1_000;
        _times.Add(_naiveTime);
        _values.Add(100 + (_naiveTime % 977));
        var x = _naiveTime - Day;
        for (var i = _times.Count - 1; i >= 0; i--)
        {
            if (_times[i] <= x)
            {
                return ((_values[^1] / _values[i]) - 1) * 100;
            }
        }
        return double.NaN;
    }

    [Benchmark]
    public double Ring_24h()
    {
        _ringTime += 1_000;
        _ring.Append(_ringTime, 100 + (_ringTime % 977));
        return _ring.Change(0);
    }
}
