namespace OiStream.Simulator.Market;

/// <summary>
/// The live state every simulated futures contract has, on any venue. Written by the market's clock under the market
/// lock, read by request handlers under the same lock.
/// </summary>
public abstract class SimContract
{
    /// <summary>Open interest in the venue's own unit (see the venue's contract type).</summary>
    public double OpenInterest { get; internal set; }

    /// <summary>Exchange time of the OI value (ms).</summary>
    public long OiTime { get; internal set; }

    /// <summary>Current mark price.</summary>
    public double MarkPrice { get; internal set; }

    /// <summary>Current index price.</summary>
    public double IndexPrice { get; internal set; }

    /// <summary>Funding rate; NaN for dated contracts.</summary>
    public double FundingRate { get; internal set; }

    /// <summary>Exchange time of the mark price (ms).</summary>
    public long PriceTime { get; internal set; }
}
