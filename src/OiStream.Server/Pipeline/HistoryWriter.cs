using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Storage;

namespace OiStream.Server.Pipeline;

/// <summary>What the history stage reports about itself (<c>/api/v1/status</c>, <c>feedStatus</c> "history").</summary>
/// <param name="State"><c>ok</c>, or <c>degraded</c> while the store refuses writes.</param>
/// <param name="Store">Where history lives.</param>
/// <param name="Queued">Candles waiting for the store.</param>
/// <param name="Written">Candles written since start.</param>
/// <param name="Dropped">Candles dropped because the queue was full (a hole in history, refilled from the exchange where it can be).</param>
/// <param name="LastError">The store's last refusal, while degraded.</param>
/// <param name="DegradedSince">When the store last started refusing writes (Unix ms), or null.</param>
/// <param name="LastGap">The last span whose candles were dropped: [from, to] Unix ms, or null.</param>
public sealed record HistoryStatus(string State, string Store, int Queued, long Written, long Dropped, string? LastError, long? DegradedSince, long[]? LastGap);

/// <summary>
/// The history stage: takes the engine's finished candles through a bounded queue and writes them to the
/// <see cref="IHistoryStore"/> in batches, one transaction each, on its own thread. The engine never waits for it:
/// when the store is slow, full or read-only, candles wait in the queue up to
/// <see cref="StorageOptions.QueueCapacity"/>, then are dropped and counted, and the stage reports itself degraded
/// until a write succeeds again. It also enforces retention, in short transactions between batches.
/// </summary>
public sealed partial class HistoryWriter : BackgroundService
{
    private const int MaxBatch = 20_000;

    private readonly IHistoryStore _store;
    private readonly StatusBoard _status;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HistoryWriter> _logger;
    private readonly string _source;
    private readonly Channel<OiCandle> _queue;
    private readonly List<OiCandle> _batch = [];
    private readonly LoopHealth _health;
    private long _offered;
    private long _written;
    private long _dropped;
    private long _gapFrom = long.MaxValue;
    private long _gapTo = long.MinValue;
    private string? _lastError;
    private long? _degradedSince;
    private long _nextRetention;
    private long _recoveries;
    // The engine's latest instrument list, until it is saved with the next batch.
    private IReadOnlyList<InstrumentInfo>? _catalog;

    /// <summary>How many times the store has come back after refusing writes (each may have left a hole to refill).</summary>
    public long Recoveries => Interlocked.Read(ref _recoveries);

    /// <summary>Creates the stage.</summary>
    public HistoryWriter(IHistoryStore store, StatusBoard status, IOptions<OiStreamOptions> options, TimeProvider time, ILogger<HistoryWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _status = status;
        // A store that refuses is retried after half a second, then less often, at most every 15 s.
        _health = status.Loops.Register("history-writer", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15));
        _options = options.Value.Storage;
        _source = options.Value.Simulate ? "simulated" : "binance";
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<OiCandle>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: a full queue refuses, and the refusal is counted
            SingleReader = true,
            SingleWriter = true,
        });
    }

    /// <summary>The stage's current state.</summary>
    public HistoryStatus Status => new(_degradedSince is null ? "ok" : "degraded", _store.Description, _queue.Reader.Count + _batch.Count,
        Interlocked.Read(ref _written), Interlocked.Read(ref _dropped), _lastError, _degradedSince,
        Interlocked.Read(ref _dropped) > 0 ? [_gapFrom, _gapTo] : null);

    /// <summary>Candles handed over so far (engine loop).</summary>
    public long Offered => Interlocked.Read(ref _offered);

    /// <summary>Candles written or dropped so far: once this reaches an earlier <see cref="Offered"/>, those are settled.</summary>
    public long Settled => Interlocked.Read(ref _written) + Interlocked.Read(ref _dropped);

    /// <summary>Hands finished candles over; never blocks. Called by the engine loop.</summary>
    public void Offer(List<OiCandle> candles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        Interlocked.Add(ref _offered, candles.Count);
        foreach (var c in candles)
        {
            if (!_queue.Writer.TryWrite(c))
            {
                Interlocked.Increment(ref _dropped);
                _gapFrom = Math.Min(_gapFrom, c.Time);
                _gapTo = Math.Max(_gapTo, c.End);
            }
        }
    }

    /// <summary>
    /// Hands the engine's instrument list over (engine loop, when it changes); it is saved with the next batch of
    /// candles, so that a restart while the exchange cannot be reached knows what the history describes.
    /// </summary>
    public void OfferCatalog(IReadOnlyList<InstrumentInfo> instruments) => Volatile.Write(ref _catalog, instruments);

    /// <summary>Opens the store before anything else starts: a store that cannot be used stops the hub with its reason.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.OpenAsync(_source, cancellationToken);
        LogOpened(_logger, _store.Description);
        _status.Record(Feed("connected", $"history in {_store.Description}"));
        _status.History = Status;
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_batch.Count == 0 && !await reader.WaitToReadAsync(stoppingToken))
                {
                    return;
                }
                await WriteOnceAsync(stoppingToken);
                _health.Succeeded();
                await EnforceRetentionAsync(stoppingToken);
                _status.History = Status;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store refused (full, read-only, locked, gone): keep the batch, report, back off, try again.
                var retry = _health.Failed(ex, Now());
                var first = _degradedSince is null;
                if (first)
                {
                    LogDegraded(_logger, _store.Description, ex.Message);
                }
                _lastError = ex.Message;
                _status.Record(Feed("degraded", $"history cannot be written to {_store.Description}: {ex.Message} Live data goes on; {Status.Queued} candles wait, {Status.Dropped} dropped."));
                // The state flips after the status board has the news (see the recovery).
                _degradedSince ??= Now();
                _status.History = Status;
                try
                {
                    await Task.Delay(retry, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task WriteOnceAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _catalog) is { } catalog)
        {
            await _store.SaveInstrumentsAsync(catalog, cancellationToken);
            Interlocked.CompareExchange(ref _catalog, null, catalog);
        }
        while (_batch.Count < MaxBatch && _queue.Reader.TryRead(out var c))
        {
            _batch.Add(c);
        }
        if (_batch.Count == 0)
        {
            return;
        }
        await _store.WriteAsync(_batch, cancellationToken);
        Interlocked.Add(ref _written, _batch.Count);
        _batch.Clear();
        if (_degradedSince is { } since)
        {
            // Reported before the state flips, so whoever sees "ok" also finds the recovery on the status board.
            LogRecovered(_logger, _store.Description, Now() - since, Interlocked.Read(ref _dropped));
            var gap = Interlocked.Read(ref _dropped) > 0 ? $" Candles from {_gapFrom} to {_gapTo} (Unix ms) were dropped while it was down." : "";
            _status.Record(Feed("connected", $"history writes to {_store.Description} again.{gap}"));
            _degradedSince = null;
            _lastError = null;
            _status.History = Status;
            Interlocked.Increment(ref _recoveries);
        }
    }

    private async Task EnforceRetentionAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        if (now < _nextRetention)
        {
            return;
        }
        _nextRetention = now + (long)TimeSpan.FromHours(1).TotalMilliseconds;
        var minutes = await _store.DeleteOlderThanAsync(OiCandle.OneMinute, now - (long)_options.MinuteRetention.TotalMilliseconds, cancellationToken);
        long fives = 0;
        if (_options.FiveMinuteRetention is { } keep)
        {
            fives = await _store.DeleteOlderThanAsync(OiCandle.FiveMinutes, now - (long)keep.TotalMilliseconds, cancellationToken);
        }
        if (minutes + fives > 0)
        {
            LogRetention(_logger, minutes, fives);
        }
    }

    /// <summary>Writes what is still queued, then closes the store (after the engine loop has handed over its last candles).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            _queue.Writer.TryComplete();
            while (_batch.Count > 0 || _queue.Reader.Count > 0 || Volatile.Read(ref _catalog) is not null)
            {
                await WriteOnceAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDegraded(_logger, _store.Description, ex.Message);
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }

    private FeedStatus Feed(string state, string message) => new() { Feed = "history", State = state, Message = message, Time = Now(), Source = _source };

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 601, EventName = "HistoryOpened", Level = LogLevel.Information, Message = "History store: {Store}")]
    private static partial void LogOpened(ILogger logger, string store);

    [LoggerMessage(EventId = 602, EventName = "HistoryDegraded", Level = LogLevel.Error, Message = "History cannot be written to {Store}: {Problem} Live data goes on; candles queue, then are dropped and counted")]
    private static partial void LogDegraded(ILogger logger, string store, string problem);

    [LoggerMessage(EventId = 603, EventName = "HistoryRecovered", Level = LogLevel.Warning, Message = "History writes to {Store} again after {DownMs} ms; {Dropped} candles dropped in all")]
    private static partial void LogRecovered(ILogger logger, string store, long downMs, long dropped);

    [LoggerMessage(EventId = 604, EventName = "HistoryRetention", Level = LogLevel.Information, Message = "Retention removed {Minutes} one-minute and {Fives} five-minute candles")]
    private static partial void LogRetention(ILogger logger, long minutes, long fives);
}
