using Microsoft.Extensions.Options;
using OiStream.Cluster.Redis;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;
using StackExchange.Redis;

namespace OiStream.Server.Replication;

/// <summary>
/// A leader's side of replication: sends each of the engine's publications to Redis (the latest state of each key into
/// hashes, then the batch on the channel) and a heartbeat once a second, while this node holds the leader lease. When
/// Redis refuses, the batch is kept and sent again; what the engine publishes meanwhile waits in the
/// <see cref="ReplicationChannel"/>, merged to the newest states, so nothing but the delay is lost.
/// </summary>
public sealed partial class ReplicationWriter(ReplicationChannel batches, IMarketView market, StatusBoard status, IOptions<OiStreamOptions> options, TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<ReplicationWriter>();
    private readonly LoopHealth _health = status.Loops.Register("replication");
    private readonly string _node = options.Value.Cluster.ResolveNodeName();
    private long _messages;
    private long _bytes;
    private long _failures;
    private string? _lastError;
    private long _sentCatalog = -1;
    private long _term;
    // The whole state goes to the hashes at the start of a term and after Redis was away (a restarted Redis is empty).
    private volatile bool _storeAll = true;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var bus = await RedisReplicationBus.ConnectAsync(o.Cluster.Redis!, o.Storage.ResolveSchema(o.Simulate), _logger);
        bus.ConnectionChanged += up => _storeAll |= up;
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
        var reader = batches.Channel.Reader;
        var nextHeartbeat = time.GetTimestamp();
        PublishBatch? pending = null;
        Task<bool>? wait = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var leading = status.Cluster is { Leader: true, LeaderSince: { } since } ? since : 0;
            if (leading != _term)
            {
                _term = leading;
                _sentCatalog = -1; // a new term sends the catalog again
                _storeAll = true;
            }
            try
            {
                if (leading > 0 && _storeAll)
                {
                    _storeAll = false;
                    await StoreAllAsync(bus);
                }
                if (leading > 0 && time.GetTimestamp() >= nextHeartbeat)
                {
                    await HeartbeatAsync(bus);
                    nextHeartbeat = time.GetTimestamp() + time.TimestampFrequency;
                }
                if (pending is not null || batches.TryTakeMerged(out pending) || reader.TryRead(out pending))
                {
                    if (leading > 0)
                    {
                        await SendAsync(bus, pending);
                    }
                    pending = null; // sent, or not this node's to send (a standby publishes nothing)
                    Report(bus, "publishing");
                    _health.Succeeded();
                    continue;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Kept in pending; what comes meanwhile merges in the channel. Retried after a short pause.
                _storeAll = true;
                if (_failures++ == 0 || status.Replication is not { State: "degraded" })
                {
                    LogRefused(_logger, bus.Description, ex.Message);
                }
                _lastError = ex.Message;
                Report(bus, "degraded");
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, stoppingToken);
                continue;
            }
            Report(bus, leading > 0 ? "publishing" : "standby");
            _health.Succeeded();
            wait ??= reader.WaitToReadAsync(stoppingToken).AsTask();
            // A leader wakes for its next heartbeat; a standby sends none, so it only looks for its term now and then
            // (its heartbeat time stays in the past, which would wake it every few milliseconds).
            var due = leading > 0
                ? TimeSpan.FromTicks(Math.Max(0, (nextHeartbeat - time.GetTimestamp()) * TimeSpan.TicksPerSecond / time.TimestampFrequency))
                : TimeSpan.FromMilliseconds(250);
            await Task.WhenAny(wait, Task.Delay(due < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : due, time, stoppingToken));
            if (wait.IsCompleted)
            {
                if (!await wait)
                {
                    return;
                }
                wait = null;
            }
        }
    }

    private async Task SendAsync(RedisReplicationBus bus, PublishBatch batch)
    {
        var started = time.GetTimestamp();
        var instruments = new List<(string, byte[])>(batch.Instruments.Count);
        foreach (var s in batch.Instruments)
        {
            instruments.Add((s.Symbol, ReplicaWire.SerializeState(s)));
        }
        var coins = new List<(string, byte[])>(batch.Coins.Count);
        foreach (var c in batch.Coins)
        {
            coins.Add((c.Coin, ReplicaWire.SerializeState(c)));
        }
        var message = ReplicaWire.Batch(_node, _term, [.. instruments.Select(i => i.Item2)], [.. coins.Select(c => c.Item2)], batch.Signals,
            time.GetUtcNow().ToUnixTimeMilliseconds(), time.GetElapsedTime(started).TotalMilliseconds);
        await bus.PublishAsync(message, [new LatestEntries(ReplicaWire.InstrumentsHash, instruments), new LatestEntries(ReplicaWire.CoinsHash, coins)]);
        Count(message.Length + instruments.Sum(i => i.Item2.Length) + coins.Sum(c => c.Item2.Length));
    }

    private async Task StoreAllAsync(RedisReplicationBus bus)
    {
        var instruments = market.GetInstruments().Select(s => (s.Symbol, ReplicaWire.SerializeState(s))).ToList();
        var coins = market.GetCoins().Select(c => (c.Coin, ReplicaWire.SerializeState(c))).ToList();
        await bus.StoreAsync([new LatestEntries(ReplicaWire.InstrumentsHash, instruments), new LatestEntries(ReplicaWire.CoinsHash, coins)]);
        Count(instruments.Sum(i => i.Item2.Length) + coins.Sum(c => c.Item2.Length));
    }

    private async Task HeartbeatAsync(RedisReplicationBus bus)
    {
        var version = batches.CatalogVersion;
        if (version != _sentCatalog)
        {
            var catalog = batches.Catalog;
            await bus.ReplaceHashAsync(ReplicaWire.CatalogHash, [.. catalog.Select(i => new KeyValuePair<string, byte[]>(i.Symbol, ReplicaWire.CatalogEntry(i)))]);
            _sentCatalog = version;
        }
        var o = options.Value;
        var heartbeat = new ReplicaHeartbeat(o.Simulate ? "simulated" : "binance", o.Engine.WindowNames, _term * 1_000_000 + _sentCatalog, status.Feed,
            status.Engine.Ready, [.. status.Feeds.Values], time.GetUtcNow().ToUnixTimeMilliseconds());
        var message = ReplicaWire.Serialize(new ReplicaMessage("heartbeat", _node, _term, Heartbeat: heartbeat));
        // The kept copy expires when the leader goes quiet, so an edge that starts then does not take it for a live one.
        await bus.SetAsync(ReplicaWire.LeaderKey, message, TimeSpan.FromSeconds(10));
        await bus.PublishAsync(message, []);
        Count(message.Length * 2);
    }

    private void Count(long bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }

    private void Report(RedisReplicationBus bus, string state) =>
        status.Replication = new ReplicationStatus(state, bus.Description, _node, _term == 0 ? null : _term, Interlocked.Read(ref _messages),
            Interlocked.Read(ref _bytes), 0, _failures, null, _lastError);

    [LoggerMessage(EventId = 821, EventName = "ReplicationRefused", Level = LogLevel.Warning, Message = "{Redis} refused a publication ({Reason}); the newest states are kept and sent when it answers")]
    private static partial void LogRefused(ILogger logger, string redis, string reason);

    [LoggerMessage(EventId = 822, EventName = "ReplicationLoopFailed", Level = LogLevel.Error, Message = "The replication loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, double seconds, Exception exception);
}
