namespace OiStream.Cluster;

/// <summary>
/// The right to be the one node that ingests (polls and streams the exchange, runs the engine, writes history):
/// Binance's request weight is counted per IP address, so two ingesters would spend one budget twice.
/// </summary>
public interface ILeaderLease : IAsyncDisposable
{
    /// <summary>What holds the lease, for messages (e.g. <c>PostgreSQL advisory lock 123 on 127.0.0.1:5432/oistream</c>).</summary>
    string Description { get; }

    /// <summary>Whether this node holds the lease now.</summary>
    bool IsHeld { get; }

    /// <summary>
    /// Waits until this node holds the lease. The token returned is cancelled when it loses it (the lease's connection
    /// fails, or it cannot confirm the lease in time): from then on, the node must stop acting as the leader.
    /// </summary>
    Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Gives the lease up (a standby takes it at its next attempt); nothing when it is not held.</summary>
    Task ReleaseAsync();
}
