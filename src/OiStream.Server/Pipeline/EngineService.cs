using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Server.Replication;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The engine loop: the single reader of the merged channel and the single writer of the engine. After each drain it
/// publishes what changed, coalesced per symbol: a symbol goes out at once if its last update is at least
/// <see cref="OiStreamOptions.PublishInterval"/> old, otherwise when it is (so a mark tick once a second reaches
/// clients without waiting for a global tick). The publisher never blocks this loop: if it falls behind, the oldest
/// batch is dropped and counted, and clients see a <c>seq</c> gap and resync.
/// </summary>
public sealed partial class EngineService(MarketPipeline pipeline, MarketEngine engine, PublishChannel batches, HistoryWriter history, StatusBoard status,
    IOptions<OiStreamOptions> options, TimeProvider time, ILogger<EngineService> logger, ReplicationChannel? replication = null) : BackgroundService
{
    private readonly List<OiCandle> _candles = [];
    private readonly LoopHealth _health = status.Loops.Register("engine");
    private long _nextReport;

    private volatile bool _warm;
    // Candles handed to the history stage when the start-up history was out (-1 until then).
    private long _warmCandles = -1;

    /// <summary>
    /// True once the start-up history has been applied and published (24h figures are complete) and the history it
    /// brought is in the store (or was dropped and counted), so the history endpoints answer for it.
    /// </summary>
    public bool Ready => Volatile.Read(ref _warmCandles) is >= 0 and var mark && history.Settled >= mark;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The engine does not throw for bad data; a failure here is a bug. It is logged and counted (status: loops),
        // and the loop starts again after a pause that grows while the failure repeats, so it never spins.
        await _health.SuperviseAsync(RunAsync, time, (ex, pause) => LogLoopFailed(logger, pause.TotalSeconds, ex), stoppingToken);
        // Shutting down: the minutes still open go to the history stage as they are, so a restart loses none.
        engine.DrainCandles(_candles, flushOpen: true);
        history.Offer(_candles);
        _candles.Clear();
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = pipeline.Channel.Reader;
        var interval = options.Value.PublishInterval;
        // While symbols wait for their interval to pass, look again this often.
        var recheck = TimeSpan.FromMilliseconds(Math.Clamp(interval.TotalMilliseconds / 10, 5, 50));
        while (!stoppingToken.IsCancellationRequested)
        {
            var drained = 0;
            while (drained < 4096 && reader.TryRead(out var e))
            {
                engine.Apply(in e);
                if (e.Kind == MarketEventKind.HistoryBatch)
                {
                    _warm = true;
                }
                else if (e.Kind == MarketEventKind.Instruments)
                {
                    var catalog = engine.GetCatalog();
                    history.OfferCatalog(catalog);
                    replication?.OfferCatalog(catalog);
                }
                drained++;
            }
            Publish(interval);
            _health.Succeeded();
            if (drained == 4096)
            {
                continue; // a flood: keep draining, publishing between chunks
            }
            var wait = reader.WaitToReadAsync(stoppingToken);
            if (!wait.IsCompleted)
            {
                // Wake for the next event; while updates wait for their interval, also after a short recheck
                // (and at least once a second, so that stale flags flip without new events).
                var timeout = engine.HasPendingChanges ? recheck : TimeSpan.FromSeconds(1);
                await Task.WhenAny(wait.AsTask(), Task.Delay(timeout, time, stoppingToken));
            }
        }
    }

    private void Publish(TimeSpan interval)
    {
        var instruments = new List<InstrumentState>();
        var coins = new List<CoinState>();
        var signals = new List<SignalEvent>();
        var feeds = new List<FeedStatus>();
        engine.PublishChanges(instruments, coins, interval);
        engine.DrainSignals(signals);
        engine.DrainFeedStatus(feeds);
        foreach (var f in feeds)
        {
            status.Record(f);
        }
        if (engine.DrainCandles(_candles) > 0)
        {
            history.Offer(_candles);
            _candles.Clear();
        }
        if (_warm && Volatile.Read(ref _warmCandles) < 0 && !engine.HasPendingChanges)
        {
            // Ready only once every warmed instrument's snapshot is out: per-symbol coalescing may hold some back
            // for up to one interval after the backfill.
            Volatile.Write(ref _warmCandles, history.Offered);
        }
        Report();
        if (instruments.Count + coins.Count + signals.Count == 0)
        {
            return;
        }
        var batch = new PublishBatch(instruments, coins, signals);
        batches.Channel.Writer.TryWrite(batch);
        replication?.Channel.Writer.TryWrite(batch);
    }

    // The status board's copy of the loop's numbers, a few times a second (and at once when readiness flips).
    private void Report()
    {
        var now = time.GetTimestamp();
        var ready = Ready;
        if (now < _nextReport && ready == status.Engine.Ready)
        {
            return;
        }
        _nextReport = now + (time.TimestampFrequency / 4);
        var c = engine.Counters;
        status.Engine = new EngineMetrics(c[ApplyOutcome.Applied], c[ApplyOutcome.Replaced], c[ApplyOutcome.Late], c[ApplyOutcome.Invalid],
            c[ApplyOutcome.UnknownInstrument], c[ApplyOutcome.FromFuture], pipeline.Dropped, pipeline.Backlog, batches.Merged,
            engine.InstrumentCount, ready);
    }

    [LoggerMessage(EventId = 301, EventName = "EngineLoopFailed", Level = LogLevel.Error, Message = "The engine loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, double seconds, Exception exception);
}
