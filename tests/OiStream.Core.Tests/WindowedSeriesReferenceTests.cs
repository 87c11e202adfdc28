using FsCheck;
using FsCheck.Fluent;
using OiStream.Core.Series;

namespace OiStream.Core.Tests;

/// <summary>Every window of the ring series against the naive reference, on random streams.</summary>
public class WindowedSeriesReferenceTests
{
    private const long Start = 1_763_712_000_000; // 2025-11-21T08:00:00Z

    /// <summary>One step of a generated stream: how far time moves and what value arrives.</summary>
    public readonly record struct StreamStep(int Kind, long Delta, double Value);

    [Fact]
    public void Property_every_window_equals_the_reference_as_of_the_quantised_time()
    {
        // Small windows so that short generated streams wrap the rings many times. Five of them: the finest ring often
        // steps alone (the fast path), and an odd count would catch a loop that handles windows in pairs.
        var windows = WindowSet.Parse(["1m", "2m", "5m", "10m", "1h"], slotsPerWindow: 12);
        var step =
            from kind in Gen.Frequency(
                (60, Gen.Constant(0)),   // normal: forward a little
                (10, Gen.Constant(1)),   // duplicate time
                (10, Gen.Constant(2)),   // out of order
                (5, Gen.Constant(3)),    // gap of up to 3 hours
                (5, Gen.Constant(4)),    // invalid value
                (10, Gen.Constant(5)))   // exactly on a bucket edge
            from delta in Gen.Choose(0, 20_000)
            from gap in Gen.Choose(0, 3 * 3600)
            from value in Gen.Choose(0, 1_000_000)
            select new StreamStep(kind, kind == 3 ? gap * 1000L : delta, value / 100.0);

        var property = Prop.ForAll(step.ListOf().ToArbitrary(), steps =>
        {
            CheckAgainstReference(windows, Expand(steps, windows), useScan: true);
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(400), property);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Long_seeded_streams_over_three_days_match_the_reference_at_default_windows(int seed)
    {
        var windows = WindowSet.Default;
        var random = new Random(seed);
        var steps = new List<(long, double)>();
        var t = Start;
        var v = 90_000.0;
        for (var i = 0; i < 40_000; i++)
        {
            var roll = random.NextDouble();
            long delta = roll switch
            {
                < 0.05 => 0,                                        // duplicate
                < 0.10 => -random.Next(1, 30_000),                  // out of order
                < 0.102 => random.Next(1, 6 * 3600) * 1000L,        // gap of hours
                _ => random.Next(200, 12_000),                      // poll cadence
            };
            t += delta;
            v *= 1 + ((random.NextDouble() - 0.5) * 0.002);
            steps.Add((t, roll > 0.999 ? double.NaN : v));
        }
        CheckAgainstReference(windows, steps, useScan: false);
    }

    [Fact]
    public void Change_is_null_until_a_sample_is_old_enough_then_exact()
    {
        var windows = WindowSet.Parse(["5m"]);
        var series = new WindowedSeries(windows);
        series.Append(Start, 100);
        series.Append(Start + 299_999, 101);
        Assert.True(double.IsNaN(series.Change(0)), "4:59.999 of coverage is shorter than 5m: null, never 0");
        series.Append(Start + 300_000, 110); // t − w = Start exactly: a bucket edge, so the reference is exact
        Assert.Equal(Start, series.ReferenceTime(0));
        Assert.Equal(10.0, series.Change(0), 9);
        series.Append(Start + 300_500, 120);  // t − w = Start + 500: the reference stays at the edge Start
        Assert.Equal(Start, series.ReferenceTime(0));
        Assert.Equal(20.0, series.Change(0), 9);
    }

    [Fact]
    public void A_gap_of_hours_carries_the_last_value_across()
    {
        var windows = WindowSet.Parse(["5m", "1h"]);
        var series = new WindowedSeries(windows);
        for (var i = 0; i <= 60; i++)
        {
            series.Append(Start + (i * 60_000L), 100 + i);
        }
        // Three hours of silence, then one sample.
        series.Append(Start + (4 * 3_600_000L), 200);
        Assert.Equal(((200.0 / 160) - 1) * 100, series.Change(0), 9);
        Assert.Equal(((200.0 / 160) - 1) * 100, series.Change(1), 9);
    }

    [Fact]
    public void Bad_samples_are_reported_and_leave_the_series_unchanged()
    {
        var series = new WindowedSeries(WindowSet.Default);
        Assert.Equal(AppendOutcome.Appended, series.Append(Start, 5));
        Assert.Equal(AppendOutcome.Invalid, series.Append(Start + 1, double.NaN));
        Assert.Equal(AppendOutcome.Invalid, series.Append(Start + 1, double.PositiveInfinity));
        Assert.Equal(AppendOutcome.Invalid, series.Append(Start + 1, -1));
        Assert.Equal(AppendOutcome.Late, series.Append(Start - 1, 7));
        Assert.Equal(5, series.LastValue);
        Assert.Equal(AppendOutcome.Replaced, series.Append(Start, 6));
        Assert.Equal(6, series.LastValue);
        Assert.Equal(Start, series.LastTime);
    }

    [Fact]
    public void Default_resolutions_are_round_and_at_most_one_three_hundredth_of_each_window()
    {
        Assert.Equal([1_000L, 3_000, 6_000, 12_000, 60_000, 300_000], WindowSet.Default.ResolutionsMs);
        Assert.Equal([300, 300, 300, 300, 240, 288], WindowSet.Default.BucketCounts);
    }

    [Theory]
    [InlineData("7s")]
    [InlineData("0m")]
    [InlineData("5x")]
    [InlineData("")]
    [InlineData("-5m")]
    public void Malformed_windows_are_rejected_with_a_message_that_names_them(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => WindowSet.Parse([name]));
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
    }

    private static List<(long Time, double Value)> Expand(IEnumerable<StreamStep> steps, WindowSet windows)
    {
        var result = new List<(long, double)>();
        var t = Start;
        var edge = windows.ResolutionsMs[0];
        foreach (var s in steps)
        {
            switch (s.Kind)
            {
                case 1:
                    break;
                case 2:
                    t -= s.Delta + 1;
                    break;
                case 5:
                    t = ((t / edge) + 1) * edge; // exactly on a bucket edge
                    break;
                default:
                    t += s.Delta;
                    break;
            }
            result.Add((t, s.Kind == 4 ? (s.Delta % 2 == 0 ? double.NaN : -s.Value - 1) : s.Value));
        }
        return result;
    }

    private static void CheckAgainstReference(WindowSet windows, IEnumerable<(long Time, double Value)> samples, bool useScan)
    {
        var series = new WindowedSeries(windows);
        var reference = new ReferenceSeries();
        var fast = new double[windows.Count];
        foreach (var (time, value) in samples)
        {
            var expectedOutcome = reference.Append(time, value);
            Assert.Equal(expectedOutcome, series.Append(time, value));
            if (reference.Count == 0)
            {
                continue;
            }
            Assert.Equal(reference.LastTime, series.LastTime);
            Assert.Equal(reference.LastValue, series.LastValue);

            for (var w = 0; w < windows.Count; w++)
            {
                var target = reference.LastTime - windows.DurationsMs[w];
                var quantised = series.ReferenceTime(w);
                // The documented resolution: the reference time is the last bucket end at or before t − w.
                Assert.InRange(quantised, target - windows.ResolutionsMs[w] + 1, target);
                var expected = useScan ? reference.AsOfScan(quantised) : reference.AsOfSearch(quantised);
                var actual = series.AsOf(w);
                if (double.IsNaN(expected))
                {
                    Assert.True(double.IsNaN(actual), $"window {windows.Names[w]} at t={time}: expected not covered, got {actual}");
                }
                else
                {
                    Assert.Equal(expected, actual);
                    var expectedChange = expected > 0 ? ((reference.LastValue / expected) - 1) * 100 : double.NaN;
                    Assert.Equal(expectedChange, series.Change(w));
                }
            }

            // The engine's one-pass path multiplies by a cached reciprocal: the same figures to ~1e-12.
            series.ChangesInto(fast);
            for (var w = 0; w < windows.Count; w++)
            {
                var exact = series.Change(w);
                if (double.IsNaN(exact))
                {
                    Assert.True(double.IsNaN(fast[w]), $"window {windows.Names[w]}: fast path invented {fast[w]}");
                }
                else
                {
                    Assert.True(Math.Abs(fast[w] - exact) <= 1e-9 * Math.Max(1, Math.Abs(exact)), $"window {windows.Names[w]}: {fast[w]} vs {exact}");
                }
            }
        }
    }
}
