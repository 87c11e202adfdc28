namespace OiStream.Core.Signals;

/// <summary>Thresholds of quadrants and signal events (design section 5). Percentages are in percent (1.5 = 1.5 %).</summary>
public sealed class SignalOptions
{
    /// <summary>Changes within ±this percent count as flat (quadrant <c>neutral</c>; OI "falling" for divergence must exceed it).</summary>
    public double DeadBandPercent { get; set; } = 0.1;

    /// <summary>Window of <c>oiSpike</c>.</summary>
    public string SpikeWindow { get; set; } = "5m";

    /// <summary><c>oiSpike</c> fires when OI rises by at least this percent over <see cref="SpikeWindow"/>.</summary>
    public double SpikePercent { get; set; } = 3.0;

    /// <summary>Window of <c>oiFlush</c>.</summary>
    public string FlushWindow { get; set; } = "5m";

    /// <summary><c>oiFlush</c> fires when OI falls by at least this percent over <see cref="FlushWindow"/>.</summary>
    public double FlushPercent { get; set; } = 3.0;

    /// <summary>Window over which OI must be falling for <c>divergence</c> (the price extreme is always over 24h).</summary>
    public string DivergenceWindow { get; set; } = "1h";

    /// <summary>Length of the high/low look-back of <c>divergence</c>.</summary>
    public string DivergenceHighLowWindow { get; set; } = "24h";

    /// <summary><c>fundingExtreme</c> needs |funding rate| at least this (0.001 = 0.1 % per funding interval).</summary>
    public double FundingRateExtreme { get; set; } = 0.001;

    /// <summary>Window of the OI change that must accompany an extreme funding rate.</summary>
    public string FundingWindow { get; set; } = "1h";

    /// <summary><c>fundingExtreme</c> needs |OI change| over <see cref="FundingWindow"/> of at least this percent.</summary>
    public double FundingOiPercent { get; set; } = 2.0;

    /// <summary>After an event fires for an instrument or coin, the same kind stays quiet for this long (exchange time).</summary>
    public TimeSpan EventCooldown { get; set; } = TimeSpan.FromMinutes(15);
}
