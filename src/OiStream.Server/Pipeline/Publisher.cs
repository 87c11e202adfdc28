using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Loops;
using OiStream.Core.Series;
using OiStream.Server.Configuration;
using OiStream.Server.Hubs;
using OiStream.Server.Telemetry;

namespace OiStream.Server.Pipeline;

/// <summary>
/// Broadcasts engine publications to SignalR groups through <see cref="IHubContext{THub, T}"/>. SignalR serializes
/// each group message once per protocol. A batch's sends are issued together and awaited with a time limit, so a
/// slow or dead client delays nobody else's updates.
/// </summary>
public sealed partial class Publisher(PublishChannel batches, StatusBoard status, IHubContext<OiHub, IOiClient> hub, IOptions<OiStreamOptions> options,
    TimeProvider time, ILogger<Publisher> logger, OiStreamMetrics metrics) : BackgroundService
{
    private readonly Dictionary<string, InstrumentState> _overview = new(StringComparer.Ordinal);
    // Every symbol published so far: a batch that updates a quarter of them is the market's burst.
    private readonly HashSet<string> _universe = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _windows = WindowSet.Parse(options.Value.Engine.WindowNames, options.Value.Engine.SlotsPerWindow).Names;

    private readonly LoopHealth _health = status.Loops.Register("publisher");

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => _health.SuperviseAsync(PublishAsync, time, (ex, pause) => LogLoopFailed(logger, pause.TotalSeconds, ex), stoppingToken);

    private async Task PublishAsync(CancellationToken stoppingToken)
    {
        var reader = batches.Channel.Reader;
        var overviewEvery = options.Value.OverviewInterval;
        var onBurst = options.Value.OverviewAlignment == OverviewAlignment.Burst;
        // Mark prices arrive in one burst a second. Aligned to it, an overview goes out right after the first burst
        // published once three quarters of the interval have passed (a burst is a second apart, give or take its
        // jitter), and a quarter past the interval only when no burst comes. On a grid, at a fixed phase (not "interval
        // after the last send": a deadline that drifted by the send time missed every other burst).
        var nextOverview = time.GetUtcNow() + overviewEvery;
        var lastOverview = DateTimeOffset.MinValue;
        try
        {
            var changes = status.Changes.Reader;
            Task<bool>? batchWait = null;
            Task<bool>? statusWait = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                // A wait that did not finish carries over to the next round rather than being asked for again.
                batchWait ??= reader.WaitToReadAsync(stoppingToken).AsTask();
                statusWait ??= changes.WaitToReadAsync(stoppingToken).AsTask();
                if (!batchWait.IsCompleted && !statusWait.IsCompleted)
                {
                    // Wake for a batch, a status change, or (while rows wait for the overview) its deadline.
                    if (_overview.Count == 0)
                    {
                        await Task.WhenAny(batchWait, statusWait);
                    }
                    else if (nextOverview - time.GetUtcNow() is { Ticks: > 0 } due)
                    {
                        await Task.WhenAny(batchWait, statusWait, Task.Delay(due, time, stoppingToken));
                    }
                }
                if (batchWait.IsCompleted)
                {
                    if (!await batchWait)
                    {
                        return; // the engine completed its channel
                    }
                    batchWait = null;
                }
                if (statusWait.IsCompleted)
                {
                    await statusWait;
                    statusWait = null;
                }
                while (changes.TryRead(out var feed))
                {
                    metrics.Sent("feedStatus");
                    await Bounded(hub.Clients.All.feedStatus(feed), stoppingToken);
                }
                var burst = false;
                while (reader.TryRead(out var batch))
                {
                    await SendAsync(batch, stoppingToken);
                    burst |= batch.Instruments.Count >= Math.Max(8, _universe.Count / 4);
                }
                var now = time.GetUtcNow();
                if (onBurst && burst && now - lastOverview >= overviewEvery * 0.75)
                {
                    nextOverview = now; // send now; the fallback deadline follows from here
                }
                if (now >= nextOverview)
                {
                    lastOverview = now;
                    if (_overview.Count > 0)
                    {
                        var rows = _overview.Values.ToList();
                        _overview.Clear();
                        metrics.Sent("overview");
                        metrics.Sent("overviewTable");
                        await Bounded(Task.WhenAll(
                            hub.Clients.Group(OiHub.OverviewGroup).overview(rows),
                            hub.Clients.Group(OiHub.OverviewTableGroup).overviewTable(new OverviewTable(_windows, rows))), stoppingToken);
                    }
                    // Aligned to bursts, the deadline is a fallback: a little over an interval, so the next burst comes first.
                    nextOverview += onBurst ? overviewEvery * 1.25 : overviewEvery;
                    if (nextOverview <= now)
                    {
                        nextOverview = now + overviewEvery; // fell behind (a slow send): skip the missed slots
                    }
                }
                _health.Succeeded();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task SendAsync(PublishBatch batch, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var sends = new List<Task>(batch.Instruments.Count + batch.Coins.Count + batch.Signals.Count);
        foreach (var s in batch.Instruments)
        {
            sends.Add(hub.Clients.Group(OiHub.InstrumentGroup(s.Symbol)).instrument(s));
            _overview[s.Symbol] = s;
            _universe.Add(s.Symbol);
        }
        foreach (var c in batch.Coins)
        {
            sends.Add(hub.Clients.Group(OiHub.CoinGroup(c.Coin)).coin(c));
        }
        foreach (var sig in batch.Signals)
        {
            // Overview subscribers watch every instrument, so they hear every signal too. A connection in both groups
            // receives it twice (SignalR does not merge groups); the OiStream clients drop the repeat.
            sends.Add(sig.Symbol is { } symbol
                ? hub.Clients.Groups(OiHub.InstrumentGroup(symbol), OiHub.OverviewGroup, OiHub.OverviewTableGroup).signal(sig)
                : hub.Clients.Group(OiHub.CoinGroup(sig.Coin)).signal(sig));
        }
        await Bounded(Task.WhenAll(sends), cancellationToken);
        metrics.BatchSent(time.GetElapsedTime(started));
        metrics.Sent("instrument", batch.Instruments.Count);
        metrics.Sent("coin", batch.Coins.Count);
        metrics.Sent("signal", batch.Signals.Count);
    }

    private async Task Bounded(Task sends, CancellationToken cancellationToken)
    {
        try
        {
            await sends.WaitAsync(TimeSpan.FromSeconds(1), time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Some client could not take its messages in time: move on; its sends complete or fail on their own.
            status.CountSlowBroadcast();
            _ = sends.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSendFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 402, EventName = "PublisherLoopFailed", Level = LogLevel.Error, Message = "The publisher loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, double seconds, Exception exception);

    [LoggerMessage(EventId = 401, EventName = "BroadcastFailed", Level = LogLevel.Warning, Message = "A broadcast failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);
}
