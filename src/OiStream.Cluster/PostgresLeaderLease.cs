using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OiStream.Cluster;

/// <summary>
/// A leader lease on PostgreSQL: a session advisory lock (<c>pg_try_advisory_lock</c>) held by a connection of its
/// own. PostgreSQL releases it when that session ends: at once when the holder's process dies (its socket closes),
/// within the session's TCP keep-alive (about 10 s) when the holder's machine or network goes. The holder confirms its
/// session every <see cref="CheckInterval"/> and gives up the moment it cannot, so two nodes never both act as leader
/// for longer than the check takes.
/// </summary>
public sealed partial class PostgresLeaderLease : ILeaderLease
{
    private readonly string _connectionString;
    private readonly long _key;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _session;
    private CancellationTokenSource? _lost;
    private Task? _watch;

    /// <summary>Creates the lease; nothing is contacted until <see cref="AcquireAsync"/>.</summary>
    /// <param name="connectionString">The PostgreSQL server every contender uses (the shared history store's).</param>
    /// <param name="name">What the lease is for: contenders with the same name contend for one lock (e.g. the store's schema).</param>
    /// <param name="logger">Where acquiring and losing are logged.</param>
    public PostgresLeaderLease(string connectionString, string name, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // A session of its own, never handed back to a pool (the lock belongs to the session), that notices a dead
            // server within seconds.
            Pooling = false,
            KeepAlive = 1,
            Timeout = 5,
            CommandTimeout = 5,
            ApplicationName = "oistream-lease",
        };
        _connectionString = builder.ConnectionString;
        _key = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("oistream-leader:" + name)), 0);
        _logger = logger;
        Description = $"PostgreSQL advisory lock {_key} on {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }

    /// <summary>How often a contender tries for the lease, and the holder confirms it (default 1 s).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public bool IsHeld => _lost is { IsCancellationRequested: false };

    /// <inheritdoc />
    public async Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (IsHeld)
                {
                    return _lost!.Token;
                }
                _session ??= await OpenSessionAsync(cancellationToken);
                await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _session);
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _key });
                if (await cmd.ExecuteScalarAsync(cancellationToken) is true)
                {
                    _lost?.Dispose();
                    _lost = new CancellationTokenSource();
                    var session = _session;
                    _watch = WatchAsync(session, _lost);
                    LogAcquired(_logger, Description);
                    return _lost.Token;
                }
                failures = 0;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // The server is down or restarting: try again, and say so now and then rather than at every attempt.
                if (failures++ % 30 == 0)
                {
                    LogUnreachable(_logger, Description, ex.Message);
                }
                await DropSessionAsync();
            }
            finally
            {
                _gate.Release();
            }
            await Task.Delay(CheckInterval, cancellationToken);
        }
    }

    private async Task<NpgsqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var session = new NpgsqlConnection(_connectionString);
        try
        {
            await session.OpenAsync(cancellationToken);
            // The server's side of the keep-alive: a holder whose machine vanished loses the lock in about 10 s.
            await using var cmd = new NpgsqlCommand("SET tcp_keepalives_idle = 4; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3", session);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    // The holder's side: a query on the lock's session every interval; the first that fails or does not answer in time
    // ends the lease here (PostgreSQL ends it there when the session goes).
    private async Task WatchAsync(NpgsqlConnection session, CancellationTokenSource lost)
    {
        try
        {
            while (!lost.IsCancellationRequested)
            {
                await Task.Delay(CheckInterval, lost.Token);
                await _gate.WaitAsync(lost.Token);
                try
                {
                    await using var cmd = new NpgsqlCommand("SELECT 1", session) { CommandTimeout = Math.Max(1, (int)Math.Ceiling(CheckInterval.TotalSeconds * 2)) };
                    await cmd.ExecuteScalarAsync(lost.Token);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            return; // released
        }
        catch (Exception ex)
        {
            LogLost(_logger, Description, ex.Message);
            await lost.CancelAsync();
            await _gate.WaitAsync();
            try
            {
                await DropSessionAsync();
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private async Task DropSessionAsync()
    {
        if (_session is { } s)
        {
            _session = null;
            await s.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async Task ReleaseAsync()
    {
        var lost = _lost;
        if (lost is null)
        {
            return;
        }
        await lost.CancelAsync();
        if (_watch is { } w)
        {
            await w;
        }
        await _gate.WaitAsync();
        try
        {
            if (_session is { } s)
            {
                try
                {
                    await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", s);
                    cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _key });
                    await cmd.ExecuteScalarAsync();
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // The session is gone, and the lock with it.
                }
                await DropSessionAsync();
            }
            _lost = null;
            LogReleased(_logger, Description);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await _gate.WaitAsync();
        try
        {
            await DropSessionAsync();
        }
        finally
        {
            _gate.Release();
        }
        _lost?.Dispose();
    }

    [LoggerMessage(EventId = 801, EventName = "LeaseAcquired", Level = LogLevel.Warning, Message = "This node is the leader now ({Lease}): it ingests")]
    private static partial void LogAcquired(ILogger logger, string lease);

    [LoggerMessage(EventId = 802, EventName = "LeaseLost", Level = LogLevel.Error, Message = "This node lost the leader lease ({Lease}): {Reason}. It stops ingesting and contends again")]
    private static partial void LogLost(ILogger logger, string lease, string reason);

    [LoggerMessage(EventId = 803, EventName = "LeaseUnreachable", Level = LogLevel.Warning, Message = "The leader lease cannot be reached ({Lease}): {Reason}. Trying again every second")]
    private static partial void LogUnreachable(ILogger logger, string lease, string reason);

    [LoggerMessage(EventId = 804, EventName = "LeaseReleased", Level = LogLevel.Information, Message = "This node gave up the leader lease ({Lease})")]
    private static partial void LogReleased(ILogger logger, string lease);
}
