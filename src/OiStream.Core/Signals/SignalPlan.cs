using OiStream.Core.Series;

namespace OiStream.Core.Signals;

/// <summary><see cref="SignalOptions"/> resolved against a <see cref="WindowSet"/>: window names become indices, once.</summary>
internal sealed class SignalPlan
{
    public SignalPlan(SignalOptions options, WindowSet windows)
    {
        Options = options;
        DeadBand = Check(options.DeadBandPercent, "DeadBandPercent", 0, 100);
        Spike = Check(options.SpikePercent, "SpikePercent", 0, 10_000);
        Flush = Check(options.FlushPercent, "FlushPercent", 0, 100);
        FundingRate = Check(options.FundingRateExtreme, "FundingRateExtreme", 0, 1);
        FundingOi = Check(options.FundingOiPercent, "FundingOiPercent", 0, 10_000);
        SpikeWindow = Resolve(windows, options.SpikeWindow, "SpikeWindow");
        FlushWindow = Resolve(windows, options.FlushWindow, "FlushWindow");
        DivergenceWindow = Resolve(windows, options.DivergenceWindow, "DivergenceWindow");
        FundingWindow = Resolve(windows, options.FundingWindow, "FundingWindow");
        HighLowWindowMs = WindowSet.ParseDuration(options.DivergenceHighLowWindow);
        CooldownMs = (long)options.EventCooldown.TotalMilliseconds;
        if (CooldownMs < 0)
        {
            throw new ArgumentException($"Signals:EventCooldown {options.EventCooldown} is negative; use 0 or more, e.g. 00:15:00.");
        }
        Windows = windows;
    }

    public SignalOptions Options { get; }

    public WindowSet Windows { get; }

    public double DeadBand { get; }

    public double Spike { get; }

    public double Flush { get; }

    public double FundingRate { get; }

    public double FundingOi { get; }

    public int SpikeWindow { get; }

    public int FlushWindow { get; }

    public int DivergenceWindow { get; }

    public int FundingWindow { get; }

    public long HighLowWindowMs { get; }

    public long CooldownMs { get; }

    private static double Check(double value, string key, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            throw new ArgumentException($"Signals:{key} is {value}; use a number from {min} to {max}.");
        }
        return value;
    }

    private static int Resolve(WindowSet windows, string name, string key)
    {
        if (!windows.TryGetIndex(name, out var index))
        {
            throw new ArgumentException(
                $"Signals:{key} is '{name}', which is not one of the configured windows ({string.Join(", ", windows.Names)}); pick one of those.");
        }
        return index;
    }
}
