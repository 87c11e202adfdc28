using System.Collections.Concurrent;
using System.Threading.Channels;
using OiStream.Contracts;
using OiStream.Core.Loops;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The status stage's read model: the latest status of every feed and stage (Binance feeds from the engine, the
/// history store from its writer) and each stage's latest numbers, as immutable records that <c>/api/v1/status</c>
/// and <c>/readyz</c> read; and the queue of changes the publisher sends as <c>feedStatus</c>. Stages record into it;
/// none reads another stage through it.
/// </summary>
public sealed class StatusBoard
{
    private readonly ConcurrentDictionary<string, FeedStatus> _feeds = new(StringComparer.Ordinal);
    private long _droppedChanges;
    private volatile FeedMetrics _feed = FeedMetrics.Starting;
    private volatile ClusterStatus? _cluster;
    private volatile ReplicationStatus? _replication;
    private volatile EngineMetrics _engine = EngineMetrics.Starting;
    private volatile HistoryStatus? _history;
    private volatile ImportStatus? _import;
    private long _coalesced;
    private long _clientsCut;

    /// <summary>The background loops of every stage, with their unexpected failures (each stage registers its own).</summary>
    public LoopMonitor Loops { get; } = new();

    /// <summary>The ingestion stage's latest numbers.</summary>
    public FeedMetrics Feed { get => _feed; set => _feed = value ?? FeedMetrics.Starting; }

    /// <summary>The engine loop's latest numbers.</summary>
    public EngineMetrics Engine { get => _engine; set => _engine = value ?? EngineMetrics.Starting; }

    /// <summary>The history writer's latest state.</summary>
    public HistoryStatus? History { get => _history; set => _history = value; }

    /// <summary>The history import's latest progress.</summary>
    public ImportStatus? Import { get => _import; set => _import = value; }

    /// <summary>This node's part in a cluster, or null when it runs standalone.</summary>
    public ClusterStatus? Cluster { get => _cluster; set => _cluster = value; }

    /// <summary>How the leader's publications travel to or from Redis on this node; null when they do not.</summary>
    public ReplicationStatus? Replication { get => _replication; set => _replication = value; }

    /// <summary>Messages to slow clients replaced by a newer state of the same thing before they were written.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>Connections closed because they stayed behind.</summary>
    public long ClientsCut => Interlocked.Read(ref _clientsCut);

    /// <summary>Counts a coalesced message (fan-out).</summary>
    public void CountCoalesced() => Interlocked.Increment(ref _coalesced);

    /// <summary>Counts a connection closed for staying behind (fan-out).</summary>
    public void CountClientCut() => Interlocked.Increment(ref _clientsCut);

    /// <summary>
    /// Ready: the engine has applied, published and stored its start-up history, and the feed is live or (Binance out
    /// of reach at start) serves what the store held.
    /// </summary>
    public bool Ready => (Feed.Live || Feed.ServingStored) && Engine is { Ready: true, Instruments: > 0 };

    /// <summary>Latest status per feed.</summary>
    public IReadOnlyDictionary<string, FeedStatus> Feeds => _feeds;

    /// <summary>Changes waiting to be broadcast; when nobody drains them the oldest go (the board keeps the latest anyway).</summary>
    public Channel<FeedStatus> Changes { get; } = Channel.CreateBounded<FeedStatus>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Changes that were never broadcast because the queue was full.</summary>
    public long DroppedChanges => Interlocked.Read(ref _droppedChanges);

    /// <summary>Records a status change and queues it for broadcast.</summary>
    public void Record(FeedStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        _feeds[status.Feed] = status;
        if (Changes.Reader.Count >= 1024)
        {
            Interlocked.Increment(ref _droppedChanges);
        }
        Changes.Writer.TryWrite(status);
    }
}

/// <summary>
/// This node's part in a cluster: its role, whether it holds the leader lease (and so ingests), the lease, and since
/// when it leads (Unix ms).
/// </summary>
public sealed record ClusterStatus(string Role, bool Leader, string Lease, long? LeaderSince)
{
    /// <summary>The replication through Redis, when this node publishes (a leader) or follows (an edge).</summary>
    public ReplicationStatus? Replication { get; init; }
}

/// <summary>
/// The replication of the leader's publications through Redis, as this node sees it.
/// </summary>
/// <param name="State"><c>publishing</c> (a leader), <c>following</c> (an edge), <c>degraded</c> (Redis unreachable or no leader heard from) or <c>connecting</c>.</param>
/// <param name="Redis">The Redis server and key prefix.</param>
/// <param name="LeaderNode">The node whose publications arrive (an edge) or this node (a leader).</param>
/// <param name="LeaderTerm">When that leader's term began (Unix ms).</param>
/// <param name="Messages">Messages published (a leader) or received (an edge).</param>
/// <param name="Bytes">Their bytes.</param>
/// <param name="Resyncs">Times an edge read the whole state again (its start, a reconnect, a message it had to drop).</param>
/// <param name="Failures">Publications Redis refused (a leader: they were kept and sent later, newest states merged).</param>
/// <param name="LastHeartbeatAgeMs">An edge: how long ago the leader was last heard.</param>
/// <param name="LastError">The last failure's message.</param>
public sealed record ReplicationStatus(string State, string Redis, string? LeaderNode, long? LeaderTerm, long Messages, long Bytes, long Resyncs,
    long Failures, long? LastHeartbeatAgeMs, string? LastError)
{
    /// <summary>An edge: the last batch received, and where its time went.</summary>
    public ReplicaBatchTiming? LastBatch { get; init; }
}

/// <summary>
/// The last batch an edge received: its instruments and bytes, the leader's time to encode it, the edge's time to
/// decode it, and the time between (the leader's send to the edge's receipt: Redis and the network; the two clocks'
/// difference included).
/// </summary>
public sealed record ReplicaBatchTiming(int Instruments, int Bytes, double EncodeMs, double DecodeMs, long TransitMs);
