using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>Health of one data feed (e.g. <c>usdm-rest</c>, <c>usdm-ws</c>).</summary>
[DataContract]
public sealed record FeedStatus
{
    /// <summary>Feed name.</summary>
    [DataMember(Name = "feed")]
    public required string Feed { get; init; }

    /// <summary><c>connected</c>, <c>stale</c>, <c>rateLimited</c>, <c>disconnected</c> or <c>recovered</c>.</summary>
    [DataMember(Name = "state")]
    public required string State { get; init; }

    /// <summary>What happened, for people.</summary>
    [DataMember(Name = "message")]
    public string? Message { get; init; }

    /// <summary>Local time (Unix ms) of the change.</summary>
    [DataMember(Name = "time")]
    public long Time { get; init; }

    /// <summary><c>binance</c> or <c>simulated</c>.</summary>
    [DataMember(Name = "source")]
    public required string Source { get; init; }
}
