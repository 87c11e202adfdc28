using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Signals;
using static OiStream.Core.Tests.EngineHarness;

namespace OiStream.Core.Tests;

public class SignalTests
{
    [Theory]
    [InlineData(1.0, 2.0, Quadrant.StrongBullish)]
    [InlineData(1.0, -2.0, Quadrant.WeakeningRally)]
    [InlineData(-1.0, 2.0, Quadrant.StrongBearish)]
    [InlineData(-1.0, -2.0, Quadrant.WeakeningSelloff)]
    [InlineData(0.05, 2.0, Quadrant.Neutral)]
    [InlineData(1.0, -0.1, Quadrant.Neutral)]
    [InlineData(double.NaN, 2.0, Quadrant.Unknown)]
    [InlineData(1.0, double.NaN, Quadrant.Unknown)]
    public void Quadrants_follow_the_price_OI_table_with_a_dead_band(double price, double oi, Quadrant expected)
    {
        Assert.Equal(expected, QuadrantClassifier.Classify(price, oi, deadBand: 0.1));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.0)]
    [InlineData(2.5)]
    public void Classifying_all_windows_at_once_equals_classifying_each(double deadBand)
    {
        // The engine's vectorised path against the scalar table, on values chosen to sit on and around every
        // boundary: zero of either sign, the dead band's edges, NaN and infinities. Lengths 0 to 9 cover the
        // two-at-a-time steps and the odd tail.
        double[] pool = [0.0, -0.0, deadBand, -deadBand, Math.BitIncrement(deadBand), -Math.BitIncrement(deadBand),
            Math.BitDecrement(deadBand), 1.5, -1.5, 1e-300, -1e-300, 300, -300, double.NaN, double.PositiveInfinity,
            double.NegativeInfinity, double.Epsilon, -double.Epsilon];
        var random = new Random(7);
        for (var round = 0; round < 2_000; round++)
        {
            var length = round % 10;
            var price = new double[length];
            var oi = new double[length];
            for (var i = 0; i < length; i++)
            {
                price[i] = random.Next(3) == 0 ? (random.NextDouble() - 0.5) * 8 * deadBand : pool[random.Next(pool.Length)];
                oi[i] = random.Next(3) == 0 ? (random.NextDouble() - 0.5) * 8 * deadBand : pool[random.Next(pool.Length)];
            }
            var actual = new Quadrant[length + 1];
            actual[length] = (Quadrant)99; // must stay untouched: the spans are length long
            QuadrantClassifier.ClassifyAll(price, oi, deadBand, actual.AsSpan(0, length));
            for (var i = 0; i < length; i++)
            {
                Assert.True(QuadrantClassifier.Classify(price[i], oi[i], deadBand) == actual[i],
                    $"price {price[i]:R}, OI {oi[i]:R}, dead band {deadBand:R}: expected {QuadrantClassifier.Classify(price[i], oi[i], deadBand)}, got {actual[i]}");
            }
            Assert.Equal((Quadrant)99, actual[length]);
        }
    }

    [Theory]
    [InlineData(Quadrant.StrongBullish, "strongBullish")]
    [InlineData(Quadrant.WeakeningRally, "weakeningRally")]
    [InlineData(Quadrant.StrongBearish, "strongBearish")]
    [InlineData(Quadrant.WeakeningSelloff, "weakeningSelloff")]
    [InlineData(Quadrant.Neutral, "neutral")]
    [InlineData(Quadrant.Unknown, null)]
    public void Quadrant_wire_names_match_the_protocol(Quadrant quadrant, string? wire)
    {
        Assert.Equal(wire, quadrant.ToWire());
    }

    [Fact]
    public void OI_spike_fires_once_then_respects_the_cooldown()
    {
        var h = new EngineHarness(null, BtcUsdt);
        Feed(h, T0, 6, minute => 100);
        Feed(h, T0 + 6 * 60_000L, 1, _ => 104);        // +4 % in 5m
        var events = h.Signals();
        var spike = Assert.Single(events, e => e.Kind == SignalNames.OiSpike);
        Assert.Equal("BTCUSDT", spike.Symbol);
        Assert.Equal("BTC", spike.Coin);
        Assert.Equal("5m", spike.Window);
        Assert.Equal(4.0, spike.Change!.Value, 9);
        Assert.Contains("BTCUSDT open interest +4.00 % in 5m", spike.Message, StringComparison.Ordinal);

        Feed(h, T0 + 7 * 60_000L, 1, _ => 110);        // still spiking, inside the 15 min cooldown
        Assert.DoesNotContain(h.Signals(), e => e.Kind == SignalNames.OiSpike);
        Feed(h, T0 + 22 * 60_000L, 1, _ => 110);
        Feed(h, T0 + 23 * 60_000L, 1, _ => 120);       // cooldown over, spiking again
        Assert.Single(h.Signals(), e => e.Kind == SignalNames.OiSpike);
    }

    [Fact]
    public void OI_flush_fires_on_a_sharp_drop()
    {
        var h = new EngineHarness(null, BtcUsdt);
        Feed(h, T0, 6, _ => 100);
        Feed(h, T0 + 6 * 60_000L, 1, _ => 95);
        var flush = Assert.Single(h.Signals(), e => e.Kind == SignalNames.OiFlush);
        Assert.Equal(-5.0, flush.Change!.Value, 9);
    }

    [Fact]
    public void Divergence_fires_when_price_makes_a_new_24h_high_while_OI_falls()
    {
        var h = new EngineHarness(null, BtcUsdt);
        // 25 hours of a price wandering between 59 000 and 61 000 with steady OI.
        var end = T0 + 25 * 3_600_000L;
        for (var t = T0; t < end - 3_600_000; t += 60_000)
        {
            h.Mark("BTCUSDT", t, 60_000 + (1_000 * Math.Sin(t / 3_600_000.0)));
            h.Oi("BTCUSDT", t, 100);
        }
        // The last hour: OI bleeds down 2 %, price stays inside the range.
        for (var t = end - 3_600_000; t < end; t += 60_000)
        {
            h.Mark("BTCUSDT", t, 60_000);
            h.Oi("BTCUSDT", t, 100 - (2.0 * (t - (end - 3_600_000)) / 3_600_000));
        }
        Assert.DoesNotContain(h.Signals(), e => e.Kind == SignalNames.Divergence);
        h.Mark("BTCUSDT", end, 61_500);
        var divergence = Assert.Single(h.Signals(), e => e.Kind == SignalNames.Divergence);
        Assert.Equal("1h", divergence.Window);
        Assert.True(divergence.Change < 0);
        Assert.Contains("new high", divergence.Message, StringComparison.Ordinal);

        h.Mark("BTCUSDT", end + 16 * 60_000L, 58_000);   // and a new low after the cooldown
        Assert.Contains("new low", Assert.Single(h.Signals(), e => e.Kind == SignalNames.Divergence).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Divergence_needs_a_full_24h_of_prices()
    {
        var h = new EngineHarness(null, BtcUsdt);
        for (var t = T0; t < T0 + 2 * 3_600_000L; t += 60_000)
        {
            h.Mark("BTCUSDT", t, 60_000);
            h.Oi("BTCUSDT", t, 100 - ((t - T0) / 600_000.0));
        }
        h.Mark("BTCUSDT", T0 + 2 * 3_600_000L, 70_000);
        Assert.DoesNotContain(h.Signals(), e => e.Kind == SignalNames.Divergence);
    }

    [Fact]
    public void Funding_extreme_needs_both_an_extreme_rate_and_a_large_OI_change()
    {
        var h = new EngineHarness(null, BtcUsdt);
        for (var m = 0; m <= 61; m++)
        {
            h.Mark("BTCUSDT", T0 + m * 60_000L, 60_000, 0.0001);
            h.Oi("BTCUSDT", T0 + m * 60_000L, 100 + (m * 0.05));
        }
        Assert.DoesNotContain(h.Signals(), e => e.Kind == SignalNames.FundingExtreme);
        h.Mark("BTCUSDT", T0 + 62 * 60_000L, 60_000, 0.0025);
        var fe = Assert.Single(h.Signals(), e => e.Kind == SignalNames.FundingExtreme);
        Assert.Equal(0.0025, fe.FundingRate);
        Assert.Equal("1h", fe.Window);
        Assert.Contains("+0.25 %", fe.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Coin_aggregates_fire_their_own_events_when_published()
    {
        var h = new EngineHarness(null, BtcUsdt, BtcUsdc);
        for (var m = 0; m <= 6; m++)
        {
            var t = T0 + m * 60_000L;
            h.Mark("BTCUSDT", t, 60_000);
            h.Mark("BTCUSDC", t, 60_000);
            h.Oi("BTCUSDT", t, m < 6 ? 100 : 106);
            h.Oi("BTCUSDC", t, 100);
        }
        h.Signals();   // the instrument's own spike (+6 %)
        h.Publish();   // the aggregate rose 3 % (206 / 200): exactly the threshold
        var coinSpike = Assert.Single(h.Signals());
        Assert.Equal(SignalNames.OiSpike, coinSpike.Kind);
        Assert.Null(coinSpike.Symbol);
        Assert.Equal("BTC", coinSpike.Coin);
        Assert.Equal(3.0, coinSpike.Change!.Value, 9);
    }

    private static void Feed(EngineHarness h, long from, int minutes, Func<int, double> oi)
    {
        for (var m = 0; m < minutes; m++)
        {
            var t = from + m * 60_000L;
            h.Mark("BTCUSDT", t, 60_000);
            h.Oi("BTCUSDT", t, oi(m));
        }
    }
}
