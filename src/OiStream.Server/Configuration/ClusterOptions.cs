namespace OiStream.Server.Configuration;

/// <summary>How this hub takes part in a cluster (<c>OiStream:Cluster</c>).</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// <c>standalone</c> (the default: one process ingests and serves), <c>ingest</c> (ingests only while it holds
    /// the leader lease, so several can run as standbys of one another; needs the PostgreSQL store, whose server holds
    /// the lease; with <see cref="Redis"/> its leader also publishes to the edges) or <c>edge</c> (serves clients from
    /// the leader's publications through <see cref="Redis"/>, and history from the shared store).
    /// </summary>
    public string Role { get; set; } = "standalone";

    /// <summary>How often a standby tries for the lease, and the leader confirms it (default 1 s).</summary>
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The Redis server the leader publishes to and the edges follow (StackExchange.Redis configuration, e.g.
    /// <c>127.0.0.1:6379</c>). Required for <c>edge</c>; optional for <c>ingest</c> (without it, no edge can follow).
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>A name for this node in status pages and logs (default: host name and process id).</summary>
    public string? NodeName { get; set; }

    /// <summary>Whether <see cref="Role"/> is <c>ingest</c>.</summary>
    public bool IsIngest => string.Equals(Role, "ingest", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <see cref="Role"/> is <c>edge</c>.</summary>
    public bool IsEdge => string.Equals(Role, "edge", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <see cref="Role"/> is <c>standalone</c>.</summary>
    public bool IsStandalone => string.Equals(Role, "standalone", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether this node publishes to Redis (when it leads) or follows it.</summary>
    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis) && (IsIngest || IsEdge);

    /// <summary>This node's name: <see cref="NodeName"/>, or the host name and process id.</summary>
    public string ResolveNodeName() => string.IsNullOrWhiteSpace(NodeName) ? $"{Environment.MachineName}:{Environment.ProcessId}" : NodeName;
}
