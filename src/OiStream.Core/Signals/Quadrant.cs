using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using OiStream.Contracts;

namespace OiStream.Core.Signals;

/// <summary>Price/OI quadrant of one window (design section 5).</summary>
public enum Quadrant : byte
{
    /// <summary>Price or OI change not known (window not covered).</summary>
    Unknown,

    /// <summary>Price or OI within the dead band.</summary>
    Neutral,

    /// <summary>Price rising, OI rising: new longs.</summary>
    StrongBullish,

    /// <summary>Price rising, OI falling: short covering.</summary>
    WeakeningRally,

    /// <summary>Price falling, OI rising: new shorts.</summary>
    StrongBearish,

    /// <summary>Price falling, OI falling: long liquidation.</summary>
    WeakeningSelloff,
}

/// <summary>Classifies price and OI changes into quadrants.</summary>
public static class QuadrantClassifier
{
    /// <summary>
    /// Classifies one window. Changes are in percent; <paramref name="deadBand"/> (percent) is the zone around zero
    /// within which a change counts as flat. NaN (unknown) gives <see cref="Quadrant.Unknown"/>.
    /// </summary>
    public static Quadrant Classify(double priceChange, double oiChange, double deadBand)
    {
        if (double.IsNaN(priceChange) || double.IsNaN(oiChange))
        {
            return Quadrant.Unknown;
        }
        if (Math.Abs(priceChange) <= deadBand || Math.Abs(oiChange) <= deadBand)
        {
            return Quadrant.Neutral;
        }
        return priceChange > 0
            ? (oiChange > 0 ? Quadrant.StrongBullish : Quadrant.WeakeningRally)
            : (oiChange > 0 ? Quadrant.StrongBearish : Quadrant.WeakeningSelloff);
    }

    /// <summary>
    /// Classifies every window at once: <c>destination[i] = Classify(priceChanges[i], oiChanges[i], deadBand)</c> for
    /// each <c>i</c> that all three spans have. The engine calls this for every sample.
    /// </summary>
    /// <remarks>
    /// Two windows per step with 128-bit vectors, and no branches: whether a change is inside the dead band flips
    /// from sample to sample near zero, and the branches of <see cref="Classify"/> were mispredicted often enough to
    /// cost several nanoseconds per sample. The result equals <see cref="Classify"/>'s for every input, NaN and
    /// infinities included, for a dead band that is a number ≥ 0 (what <see cref="SignalOptions"/> accepts).
    /// </remarks>
    public static void ClassifyAll(ReadOnlySpan<double> priceChanges, ReadOnlySpan<double> oiChanges, double deadBand, Span<Quadrant> destination)
    {
        var n = Math.Min(destination.Length, Math.Min(priceChanges.Length, oiChanges.Length));
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var up = Vector128.Create(deadBand);
            var down = Vector128.Create(-deadBand);
            var four = Vector128.Create(4L);
            for (; i + 2 <= n; i += 2)
            {
                var p = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(priceChanges), (nuint)i);
                var o = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(oiChanges), (nuint)i);
                // Lanes are all ones (-1 as a long) where a comparison holds; every comparison with NaN fails.
                var known = (Vector128.Equals(p, p) & Vector128.Equals(o, o)).AsInt64();
                var pUp = Vector128.GreaterThan(p, up).AsInt64();
                var oUp = Vector128.GreaterThan(o, up).AsInt64();
                var moving = (pUp | Vector128.LessThan(p, down).AsInt64()) & (oUp | Vector128.LessThan(o, down).AsInt64());
                // Outside the dead band: 4 + 2·(−1 if price up) + (−1 if OI up) = 1…4, plus 1 for "known" = 2…5, the
                // enum's StrongBullish…WeakeningSelloff; inside it: Neutral (1); unknown: 0.
                var q = (moving & (four + pUp + pUp + oUp)) - known;
                destination[i] = (Quadrant)q.GetElement(0);
                destination[i + 1] = (Quadrant)q.GetElement(1);
            }
        }
        for (; i < n; i++)
        {
            destination[i] = Classify(priceChanges[i], oiChanges[i], deadBand);
        }
    }

    /// <summary>The JSON name of a quadrant; null for <see cref="Quadrant.Unknown"/>.</summary>
    public static string? ToWire(this Quadrant quadrant) => quadrant switch
    {
        Quadrant.Neutral => SignalNames.Neutral,
        Quadrant.StrongBullish => SignalNames.StrongBullish,
        Quadrant.WeakeningRally => SignalNames.WeakeningRally,
        Quadrant.StrongBearish => SignalNames.StrongBearish,
        Quadrant.WeakeningSelloff => SignalNames.WeakeningSelloff,
        _ => null,
    };
}
