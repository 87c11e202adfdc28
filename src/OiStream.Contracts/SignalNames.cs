namespace OiStream.Contracts;

/// <summary>Wire names of quadrants and signal events (design section 5).</summary>
public static class SignalNames
{
    /// <summary>Price and OI rising: new longs.</summary>
    public const string StrongBullish = "strongBullish";

    /// <summary>Price rising, OI falling: short covering.</summary>
    public const string WeakeningRally = "weakeningRally";

    /// <summary>Price falling, OI rising: new shorts.</summary>
    public const string StrongBearish = "strongBearish";

    /// <summary>Price and OI falling: long liquidation.</summary>
    public const string WeakeningSelloff = "weakeningSelloff";

    /// <summary>Price or OI within the dead band.</summary>
    public const string Neutral = "neutral";

    /// <summary>OI up sharply in a short window.</summary>
    public const string OiSpike = "oiSpike";

    /// <summary>OI down sharply in a short window (liquidations).</summary>
    public const string OiFlush = "oiFlush";

    /// <summary>Price at a new 24h high or low while OI falls.</summary>
    public const string Divergence = "divergence";

    /// <summary>Large OI change together with an extreme funding rate.</summary>
    public const string FundingExtreme = "fundingExtreme";
}
