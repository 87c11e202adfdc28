namespace OiStream.Server.Configuration;

/// <summary>How this hub takes part in a cluster (<c>OiStream:Cluster</c>).</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// <c>standalone</c> (the default: one process ingests and serves) or <c>ingest</c> (ingests only while it holds
    /// the leader lease, so several can run as standbys of one another; needs the PostgreSQL store, whose server holds
    /// the lease).
    /// </summary>
    public string Role { get; set; } = "standalone";

    /// <summary>How often a standby tries for the lease, and the leader confirms it (default 1 s).</summary>
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether <see cref="Role"/> is <c>ingest</c>.</summary>
    public bool IsIngest => string.Equals(Role, "ingest", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <see cref="Role"/> is <c>standalone</c>.</summary>
    public bool IsStandalone => string.Equals(Role, "standalone", StringComparison.OrdinalIgnoreCase);
}
