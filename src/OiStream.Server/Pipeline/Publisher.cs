using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Loops;
using OiStream.Core.Series;
using OiStream.Server.Configuration;
using OiStream.Server.Fanout;
using OiStream.Server.Telemetry;

namespace OiStream.Server.Pipeline;

/// <summary>
/// Broadcasts engine publications to the hub's topics through <see cref="IFanout"/> (<see cref="ConnectionFanout"/>): each update is built and
/// serialized once and offered to every member, full states to protocol v1 subscribers, deltas to delta subscribers.
/// Offering never waits on a client (a slow one is coalesced to newest states by its outbox), so this loop keeps up
/// with the engine whatever the clients do; a batch it could not read in time is merged, not lost (<see cref="PublishChannel"/>).
/// </summary>
public sealed partial class Publisher(PublishChannel batches, StatusBoard status, IFanout fanout, PublishedStates published, InstrumentFields fields,
    IOptions<OiStreamOptions> options, TimeProvider time, ILogger<Publisher> logger, OiStreamMetrics metrics) : BackgroundService
{
    private readonly Dictionary<string, InstrumentState> _overview = new(StringComparer.Ordinal);
    // Every symbol published so far: a batch that updates a quarter of them is the market's burst.
    private readonly HashSet<string> _universe = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _windows = WindowSet.Parse(options.Value.Engine.WindowNames, options.Value.Engine.SlotsPerWindow).Names;
    // Each symbol's topic names, made once (a burst publishes every symbol every second).
    private readonly Dictionary<string, (string Full, string Deltas)> _topics = new(StringComparer.Ordinal);
    private OverviewTable? _layout;

    private readonly LoopHealth _health = status.Loops.Register("publisher");

    private OverviewTable Layout => _layout ??= new OverviewTable(_windows, []);
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
                    fanout.PublishAll(new Outgoing("feed:" + feed.Feed, Outgoing.Event(HubEvents.FeedStatus, feed)));
                }
                fanout.Flush();
                var burst = false;
                // Merged batches are older than anything still in the channel.
                while (batches.TryTakeMerged(out var merged))
                {
                    SendAndFlush(merged);
                }
                while (reader.TryRead(out var batch))
                {
                    burst |= batch.Instruments.Count >= Math.Max(8, _universe.Count / 4);
                    SendAndFlush(batch);
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
                        SendOverview();
                        fanout.Flush();
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

    private void SendAndFlush(PublishBatch batch)
    {
        var started = time.GetTimestamp();
        Send(batch);
        fanout.Flush();
        metrics.BatchSent(time.GetElapsedTime(started));
        // A burst of mark prices (an OI poll's batch carries older ticks).
        if (batch.Instruments.Count >= Math.Max(8, _universe.Count / 4) && batch.Instruments.Max(s => s.PriceTime ?? 0) is > 0 and var tick)
        {
            metrics.TickAge(time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(tick));
        }
    }

    private void Send(PublishBatch batch)
    {
        var sent = 0;
        foreach (var s in batch.Instruments)
        {
            var hadPrevious = published.TryGetInstrument(s.Symbol, out var previous);
            if (hadPrevious && previous.Seq >= s.Seq)
            {
                continue; // a merged batch's state, overtaken by one sent already
            }
            // Recorded before the topics' members are read (see PublishedStates).
            published.SetInstrument(s);
            _overview[s.Symbol] = s;
            _universe.Add(s.Symbol);
            sent++;
            if (!_topics.TryGetValue(s.Symbol, out var topics))
            {
                _topics[s.Symbol] = topics = (Topics.Instrument(s.Symbol), Topics.InstrumentDeltas(s.Symbol));
            }
            // Both forms of a symbol's update coalesce under one key: its full-state topic's name.
            var full = Outgoing.Event(HubEvents.Instrument, s);
            fanout.Publish(topics.Full, new Outgoing(topics.Full, full));
            if (fanout.HasMembers(topics.Deltas))
            {
                var message = hadPrevious
                    ? Outgoing.Event(HubEvents.InstrumentDelta, new InstrumentDelta { Symbol = s.Symbol, Base = previous.Seq, Seq = s.Seq, Set = fields.Diff(previous, s) })
                    : full;
                fanout.Publish(topics.Deltas, new Outgoing(topics.Full, message, full));
            }
        }
        foreach (var c in batch.Coins)
        {
            fanout.Publish(Topics.Coin(c.Coin), new Outgoing("c:" + c.Coin, Outgoing.Event(HubEvents.Coin, c)));
        }
        foreach (var sig in batch.Signals)
        {
            // Overview subscribers watch every instrument, so they hear every signal too; a connection in several of
            // these topics hears it once.
            var message = new Outgoing(null, Outgoing.Event(HubEvents.Signal, sig));
            if (sig.Symbol is { } symbol)
            {
                fanout.Publish([Topics.Instrument(symbol), Topics.InstrumentDeltas(symbol), Topics.Overview, Topics.OverviewTable, Topics.OverviewDeltas], message);
            }
            else
            {
                fanout.Publish(Topics.Coin(sig.Coin), message);
            }
        }
        metrics.Sent("instrument", sent);
        metrics.Sent("coin", batch.Coins.Count);
        metrics.Sent("signal", batch.Signals.Count);
    }

    // The rows changed since the last overview, in three forms; a slow client that missed one gets the whole table.
    private void SendOverview()
    {
        var rows = _overview.Values.ToList();
        _overview.Clear();
        OverviewDelta? delta = null;
        if (fanout.HasMembers(Topics.OverviewDeltas))
        {
            var before = new OverviewCell[Layout.Fields.Count];
            var after = new OverviewCell[Layout.Fields.Count];
            var changed = new List<object?[]>(rows.Count);
            foreach (var row in rows)
            {
                var n = Layout.FillRow(row, after);
                var cells = new List<object?>(16) { row.Symbol, 0L };
                if (published.TryGetOverviewRow(row.Symbol, out var previous))
                {
                    Layout.FillRow(previous, before);
                    cells[1] = previous.Seq;
                }
                for (var i = 0; i < n; i++)
                {
                    if (previous is null || before[i] != after[i])
                    {
                        cells.Add((long)i);
                        cells.Add(Cell(after[i]));
                    }
                }
                changed.Add([.. cells]);
            }
            delta = new OverviewDelta { Rows = changed };
        }
        // Recorded before the topics' members are read (see PublishedStates).
        foreach (var row in rows)
        {
            published.SetOverviewRow(row);
        }
        var all = published.OverviewRows();
        var fullTable = Outgoing.Event(HubEvents.OverviewTable, new OverviewTable(_windows, all));
        fanout.Publish(Topics.Overview, new Outgoing("overview", Outgoing.Event(HubEvents.Overview, rows), Outgoing.Event(HubEvents.Overview, all)));
        fanout.Publish(Topics.OverviewTable, new Outgoing("overview-table", Outgoing.Event(HubEvents.OverviewTable, new OverviewTable(_windows, rows)), fullTable));
        if (delta is not null)
        {
            fanout.Publish(Topics.OverviewDeltas, new Outgoing("overview-table", Outgoing.Event(HubEvents.OverviewDelta, delta), fullTable));
        }
        metrics.Sent("overview");
        metrics.Sent("overviewTable");
    }

    private static object? Cell(OverviewCell cell) => cell.Kind switch
    {
        OverviewCellKind.Text => cell.Text,
        OverviewCellKind.Whole => cell.Whole,
        OverviewCellKind.Boolean => cell.Whole != 0,
        OverviewCellKind.Number => cell.Number,
        _ => null,
    };

    [LoggerMessage(EventId = 402, EventName = "PublisherLoopFailed", Level = LogLevel.Error, Message = "The publisher loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, double seconds, Exception exception);

}
