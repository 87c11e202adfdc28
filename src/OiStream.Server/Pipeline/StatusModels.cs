namespace OiStream.Server.Pipeline;

/// <summary>One market-data socket, as the feed reports it.</summary>
public sealed record StreamMetrics(string Feed, long Connects, long Frames, long MalformedFrames, long WatchdogTrips, long? LastMessageAgeMs, long Dropped);

/// <summary>The OI poller, as the feed reports it.</summary>
public sealed record PollingMetrics(long Polls, long Failures, long Dropped);

/// <summary>Weight used on one Binance API.</summary>
public sealed record WeightMetrics(string Api, int Limit, int Budget, int UsedThisMinute, long Requests, long RateLimited, long Banned, long? BannedUntil);

/// <summary>The ingestion stage's numbers, refreshed every second by the feed host.</summary>
/// <param name="Live">Discovery and backfill are done and live data flows.</param>
/// <param name="ServingStored">Binance could not be reached at start: the store's instruments and history are served (stale) until it can.</param>
/// <param name="Streams">Each market-data socket.</param>
/// <param name="Polling">The OI poller.</param>
/// <param name="Weight">Weight used per Binance API.</param>
/// <param name="Venues">Each pushing venue (Bybit, OKX) that is enabled.</param>
public sealed record FeedMetrics(bool Live, bool ServingStored, IReadOnlyList<StreamMetrics> Streams, PollingMetrics? Polling, IReadOnlyList<WeightMetrics>? Weight,
    IReadOnlyList<VenueMetrics>? Venues = null)
{
    /// <summary>Before the feed has started.</summary>
    public static FeedMetrics Starting { get; } = new(false, false, [], null, null);
}

/// <summary>
/// One pushing venue: whether it is live, its instruments, its REST requests and refusals (a 403 ban or a 429) and
/// until when its REST is blocked, its REST snapshots (seed and fallback), the events it wrote or lost, and the history
/// rows it started from: fetched from the venue, and read back from the store.
/// </summary>
public sealed record VenueMetrics(string Exchange, bool Live, int Instruments, long Requests, long Refused, long? BlockedUntil, long Polls, long PollFailures,
    long Events, long Dropped, int BackfilledRows, int HeldRows);

/// <summary>What happened to the events the engine read, and whether its start-up history is complete.</summary>
public sealed record EngineMetrics(long Applied, long Replaced, long Late, long Invalid, long UnknownInstrument, long FromFuture,
    long DroppedInChannel, int Backlog, long MergedPublishBatches, int Instruments, bool Ready)
{
    /// <summary>Before the engine loop has run.</summary>
    public static EngineMetrics Starting { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);
}

/// <summary>
/// One background loop in <c>/api/v1/status</c>: its unexpected failures since start, whether the last pass failed
/// (it is pausing before the next), and the last failure's type, message and time (Unix ms).
/// </summary>
public sealed record LoopStatus(string Name, long Failures, bool Failing, string? LastError, long? LastFailureAt);
