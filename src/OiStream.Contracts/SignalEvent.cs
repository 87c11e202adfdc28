using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>A signal event (design section 5) for an instrument or a coin aggregate.</summary>
[DataContract]
public sealed record SignalEvent
{
    /// <summary><c>oiSpike</c>, <c>oiFlush</c>, <c>divergence</c> or <c>fundingExtreme</c> (<see cref="SignalNames"/>).</summary>
    [DataMember(Name = "kind")]
    public required string Kind { get; init; }

    /// <summary>The instrument's symbol, or null for a coin aggregate's event.</summary>
    [DataMember(Name = "symbol")]
    public string? Symbol { get; init; }

    /// <summary>The coin.</summary>
    [DataMember(Name = "coin")]
    public required string Coin { get; init; }

    /// <summary>The window the condition was measured over, e.g. <c>5m</c>.</summary>
    [DataMember(Name = "window")]
    public required string Window { get; init; }

    /// <summary>OI change (coin quantity) in percent over <see cref="Window"/>.</summary>
    [DataMember(Name = "change")]
    public double? Change { get; init; }

    /// <summary>Mark price change in percent over <see cref="Window"/>.</summary>
    [DataMember(Name = "priceChange")]
    public double? PriceChange { get; init; }

    /// <summary>Funding rate at the time (for <c>fundingExtreme</c>).</summary>
    [DataMember(Name = "fundingRate")]
    public double? FundingRate { get; init; }

    /// <summary>Exchange time (Unix ms) of the sample that fired the event.</summary>
    [DataMember(Name = "time")]
    public long Time { get; init; }

    /// <summary>A sentence for people, e.g. "BTCUSDT OI +3.2 % in 5m (spike)".</summary>
    [DataMember(Name = "message")]
    public required string Message { get; init; }

    /// <summary><c>binance</c> or <c>simulated</c>.</summary>
    [DataMember(Name = "source")]
    public required string Source { get; init; }
}
