using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OiStream.Cluster.Redis;
using OiStream.Contracts;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;
using StackExchange.Redis;

namespace OiStream.Server.Replication;

/// <summary>
/// An edge node's source: follows the leader's publications through Redis into the <see cref="ReplicaState"/> (which
/// the hub and REST read) and hands what is new to the local publisher, so the edge's clients get the leader's states
/// with the leader's <c>seq</c>. It reads the kept states whole at start, after every reconnect and after a message it
/// had to drop, and takes only states newer than those it holds; so a client sees a state at most once and, apart from
/// the delay, misses nothing but the signals sent while Redis was away.
/// </summary>
public sealed partial class ReplicaFollower(ReplicaState replica, PublishChannel batches, StatusBoard status, IOptions<OiStreamOptions> options,
    TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    /// <summary>How long the leader may be silent before the edge says it has no leader.</summary>
    public static readonly TimeSpan LeaderSilence = TimeSpan.FromSeconds(3);

    private readonly ILogger _logger = loggers.CreateLogger<ReplicaFollower>();
    private readonly LoopHealth _health = status.Loops.Register("replica");
    // Messages wait here between Redis's delivery thread and this loop; a flood this loop cannot take is dropped,
    // counted, and repaired by reading the kept states again.
    private Channel<byte[]> _inbox = null!;
    private volatile bool _resync = true;
    private volatile bool _connected;
    private bool _loaded;
    private string? _leader;
    private long _term;
    private long _lastHeartbeat;
    private long _catalogVersion = -1;
    private long _messages;
    private long _bytes;
    private long _resyncs;
    private long _dropped;
    private string? _lastError;
    private string _clusterState = "";
    private ReplicaHeartbeat? _heartbeat;
    private ReplicaBatchTiming? _lastBatch;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        _inbox = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                _resync = true;
            });
        Report("connecting", "connecting to Redis");
        var bus = await RedisReplicationBus.ConnectAsync(o.Cluster.Redis!, o.Storage.ResolveSchema(o.Simulate), _logger);
        status.Cluster = new ClusterStatus("edge", false, bus.Description, null);
        bus.ConnectionChanged += up =>
        {
            _connected = up;
            _resync |= up; // what was published while Redis was away is in the kept states
            _inbox.Writer.TryWrite([]); // wake the loop
        };
        _connected = bus.IsConnected;
        try
        {
            await _health.SuperviseAsync(ct => RunAsync(bus, ct), time, (ex, pause) => LogLoopFailed(_logger, pause.TotalSeconds, ex), stoppingToken);
        }
        finally
        {
            await bus.DisposeAsync();
        }
    }

    private async Task RunAsync(RedisReplicationBus bus, CancellationToken stoppingToken)
    {
        ChannelMessageQueue? queue = null;
        var reader = _inbox.Reader;
        var nextCheck = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (queue is null && bus.IsConnected)
                {
                    queue = await bus.SubscribeAsync();
                    queue.OnMessage(m => _inbox.Writer.TryWrite((byte[])m.Message!));
                    _resync = true;
                }
                if (queue is not null && _resync && bus.IsConnected)
                {
                    _resync = false;
                    await LoadAsync(bus);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _lastError = ex.Message;
                _resync = true;
            }
            var handled = 0;
            while (handled < 1024 && reader.TryRead(out var payload))
            {
                if (payload.Length > 0)
                {
                    Apply(payload, fromChannel: true);
                }
                handled++;
            }
            if (time.GetTimestamp() >= nextCheck || handled == 0)
            {
                Check(bus);
                nextCheck = time.GetTimestamp() + (time.TimestampFrequency / 2);
            }
            _health.Succeeded();
            if (handled == 1024)
            {
                continue;
            }
            if (!reader.TryPeek(out _))
            {
                // Wake for a message, or to look at the leader's silence and Redis again.
                var pause = queue is null || _resync ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromMilliseconds(500);
                await Task.WhenAny(reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(pause, time, stoppingToken));
            }
        }
    }

    // The kept states, whole: the start, a reconnect, or a dropped message. Only what is newer than held goes out.
    private async Task LoadAsync(RedisReplicationBus bus)
    {
        var instruments = await bus.ReadHashAsync(ReplicaWire.InstrumentsHash);
        var coins = await bus.ReadHashAsync(ReplicaWire.CoinsHash);
        var leader = await bus.GetAsync(ReplicaWire.LeaderKey);
        await LoadCatalogAsync(bus);
        var fresh = new List<InstrumentState>();
        foreach (var (_, value) in instruments)
        {
            if (ReplicaWire.ReadState<InstrumentState>(value) is { } s && replica.Offer(s))
            {
                fresh.Add(s);
            }
        }
        var freshCoins = new List<CoinState>();
        foreach (var (_, value) in coins)
        {
            if (ReplicaWire.ReadState<CoinState>(value) is { } c && replica.Offer(c))
            {
                freshCoins.Add(c);
            }
        }
        if (fresh.Count + freshCoins.Count > 0)
        {
            batches.Channel.Writer.TryWrite(new PublishBatch(fresh, freshCoins, []));
        }
        if (leader is not null)
        {
            Apply(leader, fromChannel: false);
        }
        _resyncs++;
        _loaded = true;
        LogLoaded(_logger, instruments.Count, coins.Count, fresh.Count, bus.Description);
    }

    private async Task LoadCatalogAsync(RedisReplicationBus bus)
    {
        var entries = await bus.ReadHashAsync(ReplicaWire.CatalogHash);
        var catalog = new List<InstrumentInfo>(entries.Count);
        foreach (var (_, value) in entries)
        {
            if (ReplicaWire.ReadCatalogEntry(value) is { } info)
            {
                catalog.Add(info);
            }
        }
        replica.SetCatalog(catalog);
    }

    private void Apply(byte[] payload, bool fromChannel)
    {
        if (fromChannel)
        {
            _messages++;
            _bytes += payload.Length;
        }
        var decoding = time.GetTimestamp();
        if (ReplicaWire.Read(payload, out var error) is not { } message)
        {
            _lastError = $"unreadable replication message: {error}";
            LogUnreadable(_logger, error ?? "");
            return;
        }
        if (message.Term < _term)
        {
            return; // a deposed leader's late word
        }
        if (message.Node != _leader || message.Term != _term)
        {
            _leader = message.Node;
            _term = message.Term;
            LogLeader(_logger, message.Node, message.Term);
        }
        if (message.Type == "heartbeat" && message.Heartbeat is { } hb)
        {
            // A kept heartbeat read at a resync may be seconds old: its age counts.
            var age = fromChannel ? 0 : Math.Clamp(time.GetUtcNow().ToUnixTimeMilliseconds() - hb.SentAt, 0, 60_000);
            _lastHeartbeat = time.GetTimestamp() - (age * time.TimestampFrequency / 1000);
            _heartbeat = hb;
            if (hb.CatalogVersion != _catalogVersion)
            {
                _catalogVersion = hb.CatalogVersion;
                _resync = true; // the catalog is read with the kept states
            }
            foreach (var feed in hb.Feeds)
            {
                // The leader's own cluster line is about its lease; the edge says its own.
                if (feed.Feed != "cluster" && (!status.Feeds.TryGetValue(feed.Feed, out var held) || held != feed))
                {
                    status.Record(feed);
                }
            }
            return;
        }
        if (fromChannel)
        {
            var decodeMs = time.GetElapsedTime(decoding).TotalMilliseconds;
            _lastBatch = new ReplicaBatchTiming(message.Instruments?.Count ?? 0, payload.Length, message.EncodeMs, Math.Round(decodeMs, 3),
                time.GetUtcNow().ToUnixTimeMilliseconds() - message.SentAt - (long)decodeMs);
        }
        var instruments = new List<InstrumentState>(message.Instruments?.Count ?? 0);
        foreach (var s in message.Instruments ?? [])
        {
            if (replica.Offer(s))
            {
                instruments.Add(s);
            }
        }
        var coins = new List<CoinState>(message.Coins?.Count ?? 0);
        foreach (var c in message.Coins ?? [])
        {
            if (replica.Offer(c))
            {
                coins.Add(c);
            }
        }
        var signals = message.Signals ?? [];
        if (instruments.Count + coins.Count + signals.Count > 0)
        {
            batches.Channel.Writer.TryWrite(new PublishBatch(instruments, coins, signals));
        }
    }

    // The edge's own line in status and feedStatus: following a live leader, or degraded and why.
    private void Check(RedisReplicationBus bus)
    {
        var silent = _lastHeartbeat == 0 ? (TimeSpan?)null : time.GetElapsedTime(_lastHeartbeat);
        string state, message;
        if (!_connected)
        {
            (state, message) = ("degraded", $"Redis ({bus.Description}) is unreachable; serving the last states received, resuming when it is back");
        }
        else if (!_loaded)
        {
            (state, message) = ("connecting", $"reading the leader's states from {bus.Description}");
        }
        else if (silent is null || silent > LeaderSilence)
        {
            (state, message) = ("degraded", silent is null
                ? "no leader publishes yet (no ingest node holds the lease, or none has Redis set)"
                : $"no word from the leader {_leader} for {silent.Value.TotalSeconds:0} s; a standby takes over when its lease expires");
        }
        else
        {
            (state, message) = ("following", $"following the leader {_leader} through {bus.Description}");
        }
        // Said again when the state or the leader changes (not for every second of a silence).
        var key = state + " " + _leader;
        if (key != _clusterState)
        {
            _clusterState = key;
            status.Record(new FeedStatus
            {
                Feed = "cluster", State = state, Message = message, Time = time.GetUtcNow().ToUnixTimeMilliseconds(), Source = replica.Source,
            });
        }
        var hb = _heartbeat;
        var live = state == "following" && hb is { Feed.Live: true };
        status.Feed = hb is null
            ? FeedMetrics.Starting with { ServingStored = _loaded && replica.InstrumentCount > 0 }
            : hb.Feed with { Live = live, ServingStored = !live && replica.InstrumentCount > 0 };
        status.Engine = EngineMetrics.Starting with { Instruments = replica.InstrumentCount, Ready = _loaded && replica.InstrumentCount > 0 };
        status.Cluster = new ClusterStatus("edge", false, bus.Description, _term == 0 ? null : _term);
        status.Replication = new ReplicationStatus(state == "following" ? "following" : state, bus.Description, _leader, _term == 0 ? null : _term,
            _messages, _bytes, _resyncs, Interlocked.Read(ref _dropped), silent is null ? null : (long)silent.Value.TotalMilliseconds, _lastError)
        {
            LastBatch = _lastBatch,
        };
    }

    private void Report(string state, string message) => status.Record(new FeedStatus
    {
        Feed = "cluster", State = state, Message = message, Time = time.GetUtcNow().ToUnixTimeMilliseconds(), Source = replica.Source,
    });

    [LoggerMessage(EventId = 831, EventName = "ReplicaLoaded", Level = LogLevel.Information, Message = "Read the kept states: {Instruments} instruments, {Coins} coins ({Fresh} newer than held) from {Redis}")]
    private static partial void LogLoaded(ILogger logger, int instruments, int coins, int fresh, string redis);

    [LoggerMessage(EventId = 832, EventName = "ReplicaLeader", Level = LogLevel.Information, Message = "Following the leader {Node} (term {Term})")]
    private static partial void LogLeader(ILogger logger, string node, long term);

    [LoggerMessage(EventId = 833, EventName = "ReplicaUnreadable", Level = LogLevel.Warning, Message = "Skipped an unreadable replication message: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 834, EventName = "ReplicaLoopFailed", Level = LogLevel.Error, Message = "The replica loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, double seconds, Exception exception);
}
