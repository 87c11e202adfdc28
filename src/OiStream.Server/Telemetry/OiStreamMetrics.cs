using System.Diagnostics.Metrics;
using OiStream.Server.Hubs;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Telemetry;

/// <summary>
/// OiStream's metrics, on one <see cref="Meter"/> named <see cref="MeterName"/> (exported at <c>/metrics</c>, see
/// <see cref="TelemetrySetup"/>). Most are observed when scraped from the status board, the read model every stage
/// already records into, so nothing is counted twice and the hot paths pay nothing; the publisher records its sends
/// and batch times as they happen, and the feed its OI ages (<c>OiStream.Binance.FeedMetrics</c>).
/// </summary>
public sealed class OiStreamMetrics : IDisposable
{
    /// <summary>The name of OiStream's meter.</summary>
    public const string MeterName = "OiStream";

    private readonly Meter _meter;
    private readonly Counter<long> _messages;
    private readonly Histogram<double> _batchSeconds;
    private readonly Histogram<double> _tickAge;

    /// <summary>Creates the instruments.</summary>
    public OiStreamMetrics(IMeterFactory meters, StatusBoard board, SubscriptionRegistry registry, ByteCounter? bytes = null)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(registry);
        _meter = meters.Create(MeterName);
        _messages = _meter.CreateCounter<long>("oistream.publish.messages", "{message}", "Group sends by the publisher, by event (one per group, whatever its size)");
        _batchSeconds = _meter.CreateHistogram<double>("oistream.publish.batch.duration", "s", "Time to hand one publish batch to SignalR",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _tickAge = _meter.CreateHistogram<double>("oistream.publish.tick_age", "s",
            "Age of a publish batch's newest mark tick (exchange time) when the batch has been handed to every connection: the hub's share of tick-to-client latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5] });

        _meter.CreateObservableCounter<long>("oistream.events", () =>
        {
            var e = board.Engine;
            return (Measurement<long>[])
            [
                new Measurement<long>(e.Applied, new KeyValuePair<string, object?>("outcome", "applied")),
                new Measurement<long>(e.Replaced, new KeyValuePair<string, object?>("outcome", "replaced")),
                new Measurement<long>(e.Late, new KeyValuePair<string, object?>("outcome", "late")),
                new Measurement<long>(e.Invalid, new KeyValuePair<string, object?>("outcome", "invalid")),
                new Measurement<long>(e.UnknownInstrument, new KeyValuePair<string, object?>("outcome", "unknown_instrument")),
                new Measurement<long>(e.FromFuture, new KeyValuePair<string, object?>("outcome", "from_future")),
            ];
        }, "{event}", "Market events the engine read, by what became of them");
        _meter.CreateObservableCounter<long>("oistream.events.dropped", () =>
        {
            var e = board.Engine;
            return (Measurement<long>[]) [new Measurement<long>(e.DroppedInChannel, new KeyValuePair<string, object?>("stage", "channel"))];
        }, "{event}", "Events dropped because the engine's bounded queue was full");
        _meter.CreateObservableCounter("oistream.publish.merged", () => board.Engine.MergedPublishBatches, "{batch}", "Publish batches merged into later ones while the publisher was behind (newest states sent, nothing lost)");
        _meter.CreateObservableGauge("oistream.channel.backlog", () => board.Engine.Backlog, "{event}", "Events waiting for the engine");
        _meter.CreateObservableGauge("oistream.instruments", () => board.Engine.Instruments, "{instrument}", "Instruments tracked");
        _meter.CreateObservableGauge("oistream.ready", () => board.Ready ? 1 : 0, null, "1 once the feed is live and the start-up history is applied and stored");
        _meter.CreateObservableGauge("oistream.clients", () => registry.Connections, "{connection}", "Hub connections");
        _meter.CreateObservableGauge("oistream.watched_symbols", () => registry.Watched.Count, "{symbol}", "Symbols with at least one subscriber");
        if (bytes is not null)
        {
            _meter.CreateObservableCounter("oistream.sent", () => bytes.Sent, "By", "Bytes written to all connections (HTTP responses and WebSocket frames)");
        }
        _meter.CreateObservableCounter("oistream.fanout.coalesced", () => board.Coalesced, "{message}", "Messages to slow clients replaced by a newer state of the same thing before they were written");
        _meter.CreateObservableCounter("oistream.fanout.cut", () => board.ClientsCut, "{connection}", "Connections closed because they stayed behind");

        _meter.CreateObservableCounter("oistream.polls", () =>
        {
            var p = Ingested(board)?.Polling;
            return p is null ? [] : new[]
            {
                new Measurement<long>(p.Polls, new KeyValuePair<string, object?>("result", "ok")),
                new Measurement<long>(p.Failures, new KeyValuePair<string, object?>("result", "failed")),
            };
        }, "{request}", "Current-OI polls");
        _meter.CreateObservableGauge("oistream.weight.used", () => Weights(board, w => w.UsedThisMinute), "{weight}", "Request weight used this minute, per Binance API");
        _meter.CreateObservableGauge("oistream.weight.budget", () => Weights(board, w => w.Budget), "{weight}", "Request weight OiStream may use a minute, per Binance API");
        _meter.CreateObservableCounter("oistream.binance.rate_limited", () => Weights(board, w => w.RateLimited), "{response}", "429 answers from Binance, per API");
        _meter.CreateObservableCounter("oistream.binance.banned", () => Weights(board, w => w.Banned), "{response}", "418 answers (IP bans) from Binance, per API");
        _meter.CreateObservableCounter("oistream.stream.frames", () => Streams(board, s => s.Frames), "{frame}", "Frames received, per market-data socket");
        _meter.CreateObservableCounter("oistream.stream.connects", () => Streams(board, s => s.Connects), "{connection}", "Connections opened (1 + reconnects), per market-data socket");
        _meter.CreateObservableGauge("oistream.stream.silence", () => (Ingested(board)?.Streams ?? [])
            .Where(s => s.LastMessageAgeMs is not null)
            .Select(s => new Measurement<double>(s.LastMessageAgeMs!.Value / 1000.0, new KeyValuePair<string, object?>("feed", s.Feed))),
            "s", "Time since the last frame, per market-data socket");

        _meter.CreateObservableGauge("oistream.history.queue", () => board.History?.Queued ?? 0, "{candle}", "Candles waiting for the store");
        _meter.CreateObservableCounter("oistream.history.written", () => board.History?.Written ?? 0, "{candle}", "Candles written to the store");
        _meter.CreateObservableCounter("oistream.history.dropped", () => board.History?.Dropped ?? 0, "{candle}", "Candles dropped because the store's queue was full");
        _meter.CreateObservableGauge("oistream.cluster.leader", () => board.Cluster is { Leader: true } ? 1 : 0, null, "1 while this node holds the leader lease and ingests");
        _meter.CreateObservableCounter("oistream.replication.messages", () => board.Replication?.Messages ?? 0, "{message}", "Replication messages published to Redis (a leader) or received from it (an edge)");
        _meter.CreateObservableCounter("oistream.replication.bytes", () => board.Replication?.Bytes ?? 0, "By", "Bytes of those messages (a leader: with the states kept in Redis's hashes)");
        _meter.CreateObservableCounter("oistream.replication.failures", () => board.Replication?.Failures ?? 0, "{message}", "A leader: publications Redis refused (kept and sent later); an edge: messages it dropped and repaired by a resync");
        _meter.CreateObservableGauge("oistream.replication.degraded", () => board.Replication?.State == "degraded" ? 1 : 0, null, "1 while Redis is unreachable or, on an edge, no leader has been heard for 3 s");
        _meter.CreateObservableGauge("oistream.replication.leader_silence", () => (board.Replication?.LastHeartbeatAgeMs ?? 0) / 1000.0, "s", "An edge: time since the leader's last heartbeat");
        _meter.CreateObservableGauge("oistream.history.degraded", () => board.History?.State == "degraded" ? 1 : 0, null, "1 while the store refuses writes");

        _meter.CreateObservableCounter("oistream.loop.failures", () => board.Loops.Loops
            .Select(l => new Measurement<long>(l.Failures, new KeyValuePair<string, object?>("loop", l.Name))),
            "{failure}", "Unexpected failures of each background loop");
    }

    /// <summary>Counts one group send of <paramref name="kind"/> (instrument, coin, overview, overviewTable, signal, feedStatus).</summary>
    public void Sent(string kind, int count = 1) => _messages.Add(count, new KeyValuePair<string, object?>("event", kind));

    /// <summary>Records how long one publish batch took to hand over.</summary>
    public void BatchSent(TimeSpan elapsed) => _batchSeconds.Record(elapsed.TotalSeconds);

    /// <summary>Records how old a batch's newest mark tick was when the batch had been handed to every connection.</summary>
    public void TickAge(TimeSpan age) => _tickAge.Record(Math.Max(0, age.TotalSeconds));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    // The feed's own numbers. An edge's status shows the leader's feed as received, but its metrics leave it out, so
    // a sum over every node's metrics counts the leader's requests and frames once.
    private static FeedMetrics? Ingested(StatusBoard board) => board.Cluster is { Role: "edge" } ? null : board.Feed;

    private static IEnumerable<Measurement<long>> Weights(StatusBoard board, Func<WeightMetrics, long> value) =>
        (Ingested(board)?.Weight ?? []).Select(w => new Measurement<long>(value(w), new KeyValuePair<string, object?>("api", w.Api)));

    private static IEnumerable<Measurement<long>> Streams(StatusBoard board, Func<StreamMetrics, long> value) =>
        (Ingested(board)?.Streams ?? []).GroupBy(s => s.Feed).Select(g => new Measurement<long>(g.Sum(value), new KeyValuePair<string, object?>("feed", g.Key)));
}
