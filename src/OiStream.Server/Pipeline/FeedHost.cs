using Microsoft.Extensions.Options;
using OiStream.Binance;
using OiStream.Binance.Rest;
using OiStream.Bybit;
using OiStream.Cluster;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Feeds;
using OiStream.Okx;
using OiStream.Server.Configuration;
using OiStream.Server.Hubs;
using OiStream.Simulator;

namespace OiStream.Server.Pipeline;

/// <summary>
/// Runs the sources: Binance, Bybit and OKX, each enabled under <c>OiStream:Exchanges</c>, each supervised on its own
/// so that one venue's failure never disturbs another's. With <c>--simulate</c> it first starts the built-in
/// simulator (all three venues' wire faces on one loopback port) and points every adapter at it, so the real HTTP and
/// WebSocket code paths run. Without it, it connects to the venues; when one cannot be reached the feed says so (log,
/// <c>feedStatus</c>, <c>/api/v1/status</c>) and keeps retrying, and no simulated data is ever shown.
/// </summary>
public sealed partial class FeedHost(MarketPipeline pipeline, SubscriptionRegistry registry, IHttpClientFactory http, IHistorySeed seed,
    StatusBoard status, IOptions<OiStreamOptions> options, TimeProvider time, ILoggerFactory loggers, ILeaderLease? lease = null, MarketEngine? engine = null) : BackgroundService
{
    private SimulatorServer? _simulator;
    private VenueOptions? _bybit;
    private VenueOptions? _okx;
    private readonly LoopHealth _reportLoop = status.Loops.Register("feed-status");
    private readonly LoopHealth _feedLoop = status.Loops.Register("feed");
    // One loop account per venue, kept across terms of a cluster's leader.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LoopHealth> _venueLoops = new(StringComparer.Ordinal);

    /// <summary>The running Binance feed, once started (null when Binance is disabled).</summary>
    public BinanceFeed? Feed { get; private set; }

    /// <summary>The running Bybit and OKX feeds.</summary>
    public IReadOnlyList<PushFeed> Venues { get; private set; } = [];

    /// <summary>The governor of the feed's REST client.</summary>
    public WeightGovernor? Governor { get; private set; }

    /// <summary>The REST client (also used for history older than memory).</summary>
    public BinanceRestClient? Rest { get; private set; }

    /// <summary>The simulator's address in simulate mode.</summary>
    public Uri? SimulatorUri => _simulator?.BaseUri;

    /// <summary>The simulator's Bybit face in simulate mode (its faults and counters).</summary>
    public Simulator.Venues.BybitSimulator? SimulatorBybit => _simulator?.Bybit;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var binance = o.Binance;
        var bybit = o.Exchanges.Bybit;
        var okx = o.Exchanges.Okx;
        if (o.Simulate)
        {
            _simulator = await SimulatorServer.StartAsync(o.Simulator, 0, stoppingToken);
            binance = binance.PointedAt(_simulator.BaseUri, _simulator.WebSocketUri);
            bybit = bybit.PointedAt(_simulator.BaseUri, new Uri(_simulator.WebSocketUri, "/v5/public"));
            okx = okx.PointedAt(_simulator.BaseUri, new Uri(_simulator.WebSocketUri, "/ws/v5/public"));
            LogSimulating(loggers.CreateLogger<FeedHost>(), _simulator.BaseUri);
        }
        _bybit = bybit;
        _okx = okx;
        Governor = new WeightGovernor(binance, time);
        Rest = new BinanceRestClient(http.CreateClient("binance"), binance, Governor);
        registry.WatchedChanged += watched => Feed?.Poller.SetHotSymbols(watched);
        var logger = loggers.CreateLogger<FeedHost>();
        await Task.WhenAll(
            lease is null
                ? RunFeedAsync(binance, logger, stoppingToken)
                : status.Loops.Register("lease").SuperviseAsync(ct => LeadAsync(lease, binance, logger, ct), time,
                    (ex, pause) => LogLoopFailed(logger, "lease", pause.TotalSeconds, ex), stoppingToken),
            _reportLoop.SuperviseAsync(ReportAsync, time, (ex, pause) => LogLoopFailed(logger, "feed-status", pause.TotalSeconds, ex), stoppingToken));
    }

    // The feed's own loops (poller, streams) survive their failures; a failure of the feed itself (while it discovers
    // and backfills) starts it again from discovery after a growing pause. Either way the hub lives on. Each run is a
    // new feed: after a lost lease, the next term starts from the store and the exchange, like a start.
    private Task RunFeedAsync(Binance.BinanceOptions binance, ILogger logger, CancellationToken cancellationToken)
    {
        var runs = new List<Task>();
        var exchanges = options.Value.Exchanges;
        if (exchanges.Binance.Enabled)
        {
            var feed = new BinanceFeed(Rest!, binance, pipeline.Channel.Writer, time, loggers, seed, status.Loops);
            feed.Poller.SetHotSymbols(registry.Watched);
            Feed = feed;
            runs.Add(_feedLoop.SuperviseAsync(feed.RunAsync, time, (ex, pause) => LogLoopFailed(logger, "feed", pause.TotalSeconds, ex), cancellationToken));
        }
        var venues = new List<PushFeed>();
        if (exchanges.Bybit.Enabled)
        {
            venues.Add(new BybitFeed(_bybit!, http.CreateClient("bybit"), pipeline.Channel.Writer, time, loggers.CreateLogger<BybitFeed>(), seed));
        }
        if (exchanges.Okx.Enabled)
        {
            venues.Add(new OkxFeed(_okx!, http.CreateClient("okx"), pipeline.Channel.Writer, time, loggers.CreateLogger<OkxFeed>(), seed));
        }
        Venues = venues;
        foreach (var venue in venues)
        {
            var loop = _venueLoops.GetOrAdd(venue.Exchange, name => status.Loops.Register(name + "-feed"));
            runs.Add(loop.SuperviseAsync(venue.RunAsync, time, (ex, pause) => LogLoopFailed(logger, venue.Exchange + "-feed", pause.TotalSeconds, ex), cancellationToken));
        }
        return Task.WhenAll(runs);
    }

    // An ingest node of a cluster: it runs the feed only while it holds the leader lease, and waits as a standby
    // otherwise; a lost lease stops the feed at once (another node may hold it by then).
    private async Task LeadAsync(ILeaderLease leaderLease, Binance.BinanceOptions binance, ILogger logger, CancellationToken stoppingToken)
    {
        status.Cluster = new ClusterStatus("ingest", false, leaderLease.Description, null);
        status.Record(ClusterFeed("standby", $"waiting for the leader lease ({leaderLease.Description}); another node ingests"));
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken lost;
            try
            {
                lost = await leaderLease.AcquireAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            var since = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (engine is not null)
            {
                // Above every seq an earlier leader can have published (a thousand per millisecond of its term), so
                // seq keeps rising for every client across the change: edges take the new leader's states, and a
                // delta's base is the state the client holds.
                engine.SeqFloor = Math.Max(engine.SeqFloor, since * 1000);
            }
            status.Cluster = new ClusterStatus("ingest", true, leaderLease.Description, since);
            status.Record(ClusterFeed("leader", $"this node holds the leader lease ({leaderLease.Description}) and ingests"));
            using (var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lost))
            {
                await RunFeedAsync(binance, logger, term.Token);
            }
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            Feed = null;
            Venues = [];
            status.Cluster = new ClusterStatus("ingest", false, leaderLease.Description, null);
            status.Record(ClusterFeed("standby", $"the leader lease was lost ({leaderLease.Description}); ingest stopped, contending again"));
        }
    }

    private FeedStatus ClusterFeed(string state, string message) => new()
    {
        Feed = "cluster", State = state, Message = message, Time = time.GetUtcNow().ToUnixTimeMilliseconds(), Source = options.Value.Simulate ? "simulated" : "binance",
    };

    // The status board's copy of the feed's numbers, once a second.
    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            status.Feed = Snapshot();
            _reportLoop.Succeeded();
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
        }
    }

    private FeedMetrics Snapshot()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var venues = Venues;
        if (Feed is not { } feed)
        {
            // A standby has no feed of its own; a hub without Binance reports its other venues.
            return venues.Count == 0 ? FeedMetrics.Starting : new FeedMetrics(venues.All(v => v.IsLive), false, VenueStreams(venues, now), null, null, VenueNumbers(venues, now));
        }
        var g = Governor!;
        return new FeedMetrics(
            feed.IsLive,
            feed.ServingStored,
            [.. feed.Streams.Select(s => new StreamMetrics(s.Name, s.Connects, s.Frames, s.MalformedFrames, s.WatchdogTrips,
                s.LastMessageAt == 0 ? null : now - s.LastMessageAt, s.Dropped)), .. VenueStreams(venues, now)],
            new PollingMetrics(feed.Poller.Polls, feed.Poller.Failures, feed.Poller.Dropped),
            [.. Enum.GetValues<ApiFamily>().Select(family => (family, usage: g.GetUsage(family))).Select(x => new WeightMetrics(
                x.family.ToString(), x.usage.Limit, x.usage.Budget, Math.Max(x.usage.UsedThisMinute, x.usage.ServerUsed), x.usage.Requests,
                x.usage.RateLimited, x.usage.Banned, x.usage.BannedUntil > now ? x.usage.BannedUntil : null))],
            VenueNumbers(venues, now));
    }

    private static List<StreamMetrics> VenueStreams(IReadOnlyList<PushFeed> venues, long now) =>
        [.. venues.SelectMany(v => v.Sockets).Select(s => new StreamMetrics(s.Name, s.Connects, s.Frames, s.MalformedFrames, s.WatchdogTrips,
            s.LastMessageAt == 0 ? null : now - s.LastMessageAt, 0))];

    private static List<VenueMetrics> VenueNumbers(IReadOnlyList<PushFeed> venues, long now) =>
        [.. venues.Select(v => new VenueMetrics(v.Exchange, v.IsLive, v.Instruments.Count, v.Limiter.Requests, v.Limiter.Refused,
            v.Limiter.BlockedUntil > now ? v.Limiter.BlockedUntil : null, v.Polls, v.PollFailures, v.Events, v.Dropped, v.BackfilledRows, v.HeldRows))];

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (lease is not null)
        {
            // A standby takes over at its next attempt instead of waiting for this session to time out.
            await lease.ReleaseAsync();
        }
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 502, EventName = "FeedLoopFailed", Level = LogLevel.Error, Message = "The {Loop} loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, string loop, double seconds, Exception exception);

    [LoggerMessage(EventId = 501, EventName = "Simulating", Level = LogLevel.Warning, Message = "SIMULATE mode: data comes from the built-in simulator of Binance, Bybit and OKX at {Uri}; every payload says source \"simulated\"")]
    private static partial void LogSimulating(ILogger logger, Uri uri);
}
