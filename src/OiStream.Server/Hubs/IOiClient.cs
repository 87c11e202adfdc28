using OiStream.Contracts;

namespace OiStream.Server.Hubs;

/// <summary>Server → client events of protocol v1 (design section 6), sent by the publisher through <see cref="Fanout.ConnectionFanout"/>.</summary>
/// <remarks>
/// A typed hub sends each method's C# name as the event name, and protocol v1 names its events in lower camel case
/// (<c>instrument</c>, <c>feedStatus</c>); .NET clients match handler names case-sensitively. So these methods carry the
/// wire names exactly, against the usual C# casing.
/// </remarks>
#pragma warning disable IDE1006, CA1707 // wire names of the public protocol
public interface IOiClient
{
    /// <summary>A subscribed instrument changed (on average at most one per symbol per publish interval, two back to back at most).</summary>
    Task instrument(InstrumentState state);

    /// <summary>What changed in an instrument subscribed with <c>SubscribeDeltas</c>.</summary>
    Task instrumentDelta(InstrumentDelta delta);

    /// <summary>A subscribed coin aggregate changed.</summary>
    Task coin(CoinState state);

    /// <summary>Changed rows for overview subscribers, batched.</summary>
    Task overview(IReadOnlyList<InstrumentState> rows);

    /// <summary>The same batch as <see cref="overview"/>, in table form, for <c>SubscribeOverviewTable</c> subscribers.</summary>
    Task overviewTable(OverviewTable table);

    /// <summary>The same batch as row deltas, for <c>SubscribeOverviewDeltas</c> subscribers.</summary>
    Task overviewDelta(OverviewDelta delta);

    /// <summary>A signal event for a subscribed symbol or coin.</summary>
    Task signal(SignalEvent signal);

    /// <summary>A feed connected, went stale, was rate-limited, recovered.</summary>
    Task feedStatus(FeedStatus status);
}
#pragma warning restore IDE1006, CA1707
