using System.Diagnostics.Metrics;
using OiStream.Core.Instruments;

namespace OiStream.Binance.Telemetry;

/// <summary>
/// What the feed measures as it happens, on the process's <c>OiStream</c> meter (the hub exports every meter of that
/// name): how old each OI reading is when it arrives, per market.
/// </summary>
public static class FeedMeter
{
    private static readonly Meter Meter = new("OiStream");

    private static readonly Histogram<double> OiAge = Meter.CreateHistogram<double>("oistream.oi.age", "s",
        "Age of an open-interest reading when the feed receives it (receive time minus the exchange's time), per market",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300] });

    /// <summary>Records a reading stamped <paramref name="exchangeTime"/> received at <paramref name="now"/> (Unix ms).</summary>
    public static void OiReceived(Market market, long exchangeTime, long now)
    {
        if (OiAge.Enabled)
        {
            OiAge.Record(Math.Max(0, now - exchangeTime) / 1000.0, new KeyValuePair<string, object?>("market", market switch
            {
                Market.UsdM => "usdm",
                Market.CoinM => "coinm",
                _ => "options",
            }));
        }
    }
}
