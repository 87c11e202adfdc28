using OiStream.Core.Series;
using OiStream.Core.Signals;

namespace OiStream.Core.Engine;

/// <summary>Settings of the <see cref="MarketEngine"/>.</summary>
public sealed class EngineOptions
{
    /// <summary>
    /// Change windows; whole minutes, hours or days. Empty (the default) means 5m, 15m, 30m, 1h, 4h, 24h: a default list
    /// here would be appended to by configuration (<c>OiStream:Engine:Windows:0=10m</c>), not replaced.
    /// </summary>
    public IList<string> Windows { get; set; } = [];

    /// <summary>The windows in force: <see cref="Windows"/>, or protocol v1's defaults when none are set.</summary>
    public IReadOnlyList<string> WindowNames => Windows.Count > 0 ? [.. Windows] : WindowSet.DefaultWindowNames;

    /// <summary>Buckets per window: the time resolution of window <c>w</c> is <c>w / SlotsPerWindow</c>.</summary>
    public int SlotsPerWindow { get; set; } = WindowSet.DefaultSlotsPerWindow;

    /// <summary>An OI value older than this is reported as <c>stale</c>.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Samples whose exchange time is further ahead of the local clock than this are rejected.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary><c>binance</c>, or <c>simulated</c> when the data comes from the simulator.</summary>
    public string Source { get; set; } = "binance";

    /// <summary>Quadrant and event thresholds.</summary>
    public SignalOptions Signals { get; set; } = new();
}
