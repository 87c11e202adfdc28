using OiStream.Core.Series;

namespace OiStream.Core.Tests;

/// <summary>What the reference property does not reach: arguments, copies, zero values, the one-pass path's bounds.</summary>
public class WindowedSeriesEdgeTests
{
    private const long T0 = 1_763_712_000_000;
    private static readonly WindowSet Windows = WindowSet.Parse(["1m", "5m", "1h"], slotsPerWindow: 12);

    [Fact]
    public void Null_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new WindowedSeries(null!));
        Assert.Throws<ArgumentNullException>(() => new WindowedSeries(Windows).CopyFrom(null!));
    }

    [Fact]
    public void A_copy_is_the_same_series_and_goes_on_as_the_original_does()
    {
        var original = new WindowedSeries(Windows);
        for (var i = 0; i < 200; i++)
        {
            original.Append(T0 + (i * 7_000), 100 + (i % 13));
        }
        var copy = new WindowedSeries(Windows);
        copy.CopyFrom(original);
        Assert.Equal((original.HasValue, original.FirstTime, original.LastTime, original.LastValue), (copy.HasValue, copy.FirstTime, copy.LastTime, copy.LastValue));
        for (var i = 200; i < 400; i++)
        {
            Assert.Equal(original.Append(T0 + (i * 7_000), 100 + (i % 17)), copy.Append(T0 + (i * 7_000), 100 + (i % 17)));
            for (var w = 0; w < Windows.Count; w++)
            {
                Assert.Equal(original.AsOf(w), copy.AsOf(w));
                Assert.Equal(original.Change(w), copy.Change(w));
            }
        }
        var other = new WindowedSeries(WindowSet.Parse(["1m", "5m", "1h"], slotsPerWindow: 12));
        var refused = Assert.Throws<ArgumentException>(() => other.CopyFrom(original)); // same names, another set: refused
        Assert.Contains("different windows", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_is_a_valid_value_and_a_change_from_zero_has_no_percentage()
    {
        var series = new WindowedSeries(Windows);
        Assert.Equal(AppendOutcome.Appended, series.Append(T0, 0));
        Assert.Equal(0, series.LastValue);
        // Off a bucket edge, so the one-pass path reads its cached reciprocal of the as-of value.
        Assert.Equal(AppendOutcome.Appended, series.Append(T0 + 120_500, 50));
        Assert.Equal(0, series.AsOf(0));          // a minute ago OI was 0
        Assert.True(double.IsNaN(series.Change(0)), $"change from zero: {series.Change(0)}");
        var fast = new double[Windows.Count];
        series.ChangesInto(fast);
        Assert.True(double.IsNaN(fast[0]), $"one-pass change from zero: {fast[0]}");
        Assert.Equal(AppendOutcome.Invalid, series.Append(T0 + 130_500, -0.0001));
    }

    [Fact]
    public void The_one_pass_path_clears_an_empty_series_and_writes_only_what_fits()
    {
        var empty = new WindowedSeries(Windows);
        var destination = new[] { 1.0, 2.0, 3.0 };
        empty.ChangesInto(destination);
        Assert.All(destination, d => Assert.True(double.IsNaN(d)));

        var series = new WindowedSeries(Windows);
        for (var i = 0; i <= 3_600; i++)
        {
            series.Append(T0 + (i * 1_000), 100 + i);
        }
        var shorter = new double[2];
        series.ChangesInto(shorter);
        Assert.Equal(series.Change(0), shorter[0], 9);
        Assert.Equal(series.Change(1), shorter[1], 9);
        var longer = new[] { 0.0, 0.0, 0.0, 42.0 };
        series.ChangesInto(longer);
        Assert.Equal(series.Change(2), longer[2], 9);
        Assert.Equal(42.0, longer[3]); // beyond the windows: untouched
    }

    [Fact]
    public void The_memory_estimate_is_the_size_of_the_series_arrays()
    {
        var series = new WindowedSeries(Windows);
        var slots = Windows.BucketCounts.Sum(k => k + 2);
        Assert.Equal((slots * sizeof(double)) + (Windows.Count * 64) + 96, series.ApproximateBytes);
    }

    [Fact]
    public void Reference_times_before_the_epoch_are_floored_downwards()
    {
        // A sample one second after the Unix epoch: t − w is negative, and the last bucket edge at or before it is
        // further from zero (floor, not truncation). Resolutions here: 5 s, 25 s and 5 min.
        var series = new WindowedSeries(Windows);
        series.Append(1_000, 5);
        Assert.Equal([-60_000L, -300_000L, -3_600_000L], Enumerable.Range(0, Windows.Count).Select(series.ReferenceTime));
        // On an edge, t − w is a bucket end already.
        series.Append(5_000, 6);
        Assert.Equal(-55_000L, series.ReferenceTime(0));
        Assert.True(double.IsNaN(series.AsOf(0)), "nothing is that old");
    }
}
