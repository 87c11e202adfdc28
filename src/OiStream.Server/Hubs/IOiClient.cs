using OiStream.Contracts;

namespace OiStream.Server.Hubs;

/// <summary>Server → client events of protocol v1 (design section 6). Method names are the wire names.</summary>
public interface IOiClient
{
    /// <summary>A subscribed instrument changed (at most one per symbol per publish interval).</summary>
    Task Instrument(InstrumentState state);

    /// <summary>A subscribed coin aggregate changed.</summary>
    Task Coin(CoinState state);

    /// <summary>Changed rows for overview subscribers, batched.</summary>
    Task Overview(IReadOnlyList<InstrumentState> rows);

    /// <summary>A signal event for a subscribed symbol or coin.</summary>
    Task Signal(SignalEvent signal);

    /// <summary>A feed connected, went stale, was rate-limited, recovered.</summary>
    Task FeedStatus(FeedStatus status);
}
