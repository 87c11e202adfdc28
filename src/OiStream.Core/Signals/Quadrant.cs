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
