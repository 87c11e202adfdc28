using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace OiStream.Cluster.Redis;

/// <summary>
/// The Redis side of a cluster's replication: the leader publishes each of its engine's publications on one pub/sub
/// channel and keeps the latest state of every key in hashes; an edge node subscribes to the channel and reads the
/// hashes once to start (and again after each reconnect, for what it missed). Payloads are opaque bytes here: the hub
/// decides what they hold. Keys live under <c>oistream:{scope}:</c>, so deployments sharing one Redis stay apart.
/// </summary>
/// <remarks>
/// Commands fail at once while Redis is unreachable (no backlog): the leader's writer then keeps the newest states and
/// sends them when Redis is back, and an edge says it is degraded. StackExchange.Redis reconnects by itself and
/// restores the subscription; <see cref="ConnectionChanged"/> reports both ways.
/// </remarks>
public sealed partial class RedisReplicationBus : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly ILogger _logger;

    private RedisReplicationBus(ConnectionMultiplexer redis, string scope, ILogger logger)
    {
        _redis = redis;
        _prefix = "oistream:" + scope + ":";
        _logger = logger;
        Channel = RedisChannel.Literal(_prefix + "updates");
        Description = $"redis {string.Join(",", redis.GetEndPoints().Select(e => e.ToString()))} {_prefix}*";
        _redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogLost(_logger, Description, e.Exception?.Message ?? e.FailureType.ToString());
                ConnectionChanged?.Invoke(false);
            }
        };
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogRestored(_logger, Description);
                ConnectionChanged?.Invoke(true);
            }
        };
    }

    /// <summary>The channel every publication goes out on.</summary>
    public RedisChannel Channel { get; }

    /// <summary>Server and key prefix, for status pages and messages (never a password).</summary>
    public string Description { get; }

    /// <summary>Whether the connection to Redis is up now.</summary>
    public bool IsConnected => _redis.IsConnected;

    /// <summary>Raised with false when the connection to Redis drops and with true when it is back (on a pool thread).</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>
    /// Connects to Redis. An unreachable server is not an error here: the connection keeps trying in the background
    /// and <see cref="IsConnected"/> says when it is up.
    /// </summary>
    /// <param name="configuration">StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379</c> or <c>host:6379,password=…</c>.</param>
    /// <param name="scope">What the keys are scoped by (the store's schema: one deployment).</param>
    /// <param name="logger">Where connection changes are logged.</param>
    /// <exception cref="ArgumentException">The configuration string cannot be parsed; the message says what to use.</exception>
    public static async Task<RedisReplicationBus> ConnectAsync(string configuration, string scope, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        ArgumentNullException.ThrowIfNull(logger);
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"OiStream:Cluster:Redis cannot be read ({ex.Message}); use host:port, e.g. 127.0.0.1:6379.", ex);
        }
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ClientName = "oistream";
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 2000;
        options.AsyncTimeout = 2000;
        options.ReconnectRetryPolicy = new LinearRetry(500);
        var redis = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        return new RedisReplicationBus(redis, scope, logger);
    }

    /// <summary>
    /// Stores the latest state of each given field, then publishes <paramref name="message"/>, in that order on one
    /// connection (an edge that reads the hashes after it subscribed sees every state at least once).
    /// </summary>
    /// <exception cref="RedisException">Redis is unreachable or refused; nothing is to be assumed stored.</exception>
    public async Task PublishAsync(ReadOnlyMemory<byte> message, IReadOnlyList<LatestEntries> latest)
    {
        ArgumentNullException.ThrowIfNull(latest);
        var db = _redis.GetDatabase();
        var pending = new List<Task>(latest.Count + 1);
        foreach (var entries in latest)
        {
            if (entries.Entries.Count > 0)
            {
                pending.Add(db.HashSetAsync(_prefix + entries.Hash, [.. entries.Entries.Select(e => new HashEntry(e.Field, e.Value))]));
            }
        }
        pending.Add(_redis.GetSubscriber().PublishAsync(Channel, message));
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>Stores the latest state of each given field, publishing nothing (a leader's whole state, at its start or after Redis was away).</summary>
    /// <exception cref="RedisException">Redis is unreachable or refused.</exception>
    public async Task StoreAsync(IReadOnlyList<LatestEntries> latest)
    {
        ArgumentNullException.ThrowIfNull(latest);
        var db = _redis.GetDatabase();
        await Task.WhenAll(latest.Where(e => e.Entries.Count > 0)
            .Select(e => db.HashSetAsync(_prefix + e.Hash, [.. e.Entries.Select(x => new HashEntry(x.Field, x.Value))]))).ConfigureAwait(false);
    }

    /// <summary>Subscribes to the channel; messages arrive in order on the returned queue.</summary>
    public async Task<ChannelMessageQueue> SubscribeAsync() =>
        await _redis.GetSubscriber().SubscribeAsync(Channel).ConfigureAwait(false);

    /// <summary>Every field of one of the hashes <see cref="PublishAsync"/> keeps.</summary>
    /// <exception cref="RedisException">Redis is unreachable.</exception>
    public async Task<IReadOnlyList<KeyValuePair<string, byte[]>>> ReadHashAsync(string hash)
    {
        var entries = await _redis.GetDatabase().HashGetAllAsync(_prefix + hash).ConfigureAwait(false);
        return [.. entries.Select(e => new KeyValuePair<string, byte[]>(e.Name!, (byte[])e.Value!))];
    }

    /// <summary>Replaces a hash whole (a list that may shrink, such as the instrument catalog).</summary>
    /// <exception cref="RedisException">Redis is unreachable.</exception>
    public async Task ReplaceHashAsync(string hash, IReadOnlyList<KeyValuePair<string, byte[]>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var tx = _redis.GetDatabase().CreateTransaction();
        _ = tx.KeyDeleteAsync(_prefix + hash);
        if (entries.Count > 0)
        {
            _ = tx.HashSetAsync(_prefix + hash, [.. entries.Select(e => new HashEntry(e.Key, e.Value))]);
        }
        await tx.ExecuteAsync().ConfigureAwait(false);
    }

    /// <summary>Sets a key that expires unless set again (the leader's heartbeat).</summary>
    /// <exception cref="RedisException">Redis is unreachable.</exception>
    public Task SetAsync(string key, byte[] value, TimeSpan expiry) =>
        _redis.GetDatabase().StringSetAsync(_prefix + key, value, expiry);

    /// <summary>A key's value, or null when it is not set (or expired).</summary>
    /// <exception cref="RedisException">Redis is unreachable.</exception>
    public async Task<byte[]?> GetAsync(string key) =>
        await _redis.GetDatabase().StringGetAsync(_prefix + key).ConfigureAwait(false) is { HasValue: true } v ? (byte[])v! : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);

    [LoggerMessage(EventId = 811, EventName = "RedisLost", Level = LogLevel.Warning, Message = "Lost the connection to {Redis}: {Reason}; reconnecting")]
    private static partial void LogLost(ILogger logger, string redis, string reason);

    [LoggerMessage(EventId = 812, EventName = "RedisRestored", Level = LogLevel.Information, Message = "Connected to {Redis} again")]
    private static partial void LogRestored(ILogger logger, string redis);
}

/// <summary>Fields to set in one hash: each key's latest state.</summary>
/// <param name="Hash">The hash's name under the bus's prefix (<c>instruments</c>, <c>coins</c>).</param>
/// <param name="Entries">Field and value pairs.</param>
public sealed record LatestEntries(string Hash, IReadOnlyList<(string Field, byte[] Value)> Entries);
