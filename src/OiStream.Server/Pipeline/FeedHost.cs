using Microsoft.Extensions.Options;
using OiStream.Binance;
using OiStream.Binance.Rest;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Server.Hubs;
using OiStream.Simulator;

namespace OiStream.Server.Pipeline;

/// <summary>
/// Runs the Binance source. With <c>--simulate</c> it first starts the built-in simulator on a loopback port and
/// points the adapter at it, so the real HTTP and WebSocket code paths run. Without it, it connects to Binance; when
/// Binance cannot be reached the feed says so (log, <c>feedStatus</c>, <c>/api/v1/status</c>) and keeps retrying,
/// and no simulated data is ever shown.
/// </summary>
public sealed partial class FeedHost(MarketPipeline pipeline, SubscriptionRegistry registry, IHttpClientFactory http, IHistorySeed seed,
    StatusBoard status, IOptions<OiStreamOptions> options, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private SimulatorServer? _simulator;
    private readonly LoopHealth _reportLoop = status.Loops.Register("feed-status");

    /// <summary>The running feed, once started.</summary>
    public BinanceFeed? Feed { get; private set; }

    /// <summary>The governor of the feed's REST client.</summary>
    public WeightGovernor? Governor { get; private set; }

    /// <summary>The REST client (also used for history older than memory).</summary>
    public BinanceRestClient? Rest { get; private set; }

    /// <summary>The simulator's address in simulate mode.</summary>
    public Uri? SimulatorUri => _simulator?.BaseUri;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var binance = o.Binance;
        if (o.Simulate)
        {
            _simulator = await SimulatorServer.StartAsync(o.Simulator, 0, stoppingToken);
            binance = binance.PointedAt(_simulator.BaseUri, _simulator.WebSocketUri);
            LogSimulating(loggers.CreateLogger<FeedHost>(), _simulator.BaseUri);
        }
        Governor = new WeightGovernor(binance, time);
        Rest = new BinanceRestClient(http.CreateClient("binance"), binance, Governor);
        Feed = new BinanceFeed(Rest, binance, pipeline.Channel.Writer, time, loggers, seed, status.Loops);
        registry.WatchedChanged += watched => Feed.Poller.SetHotSymbols(watched);
        Feed.Poller.SetHotSymbols(registry.Watched);
        // The feed's own loops (poller, streams) survive their failures; a failure of the feed itself (while it
        // discovers and backfills) starts it again from discovery after a growing pause. Either way the hub lives on.
        var logger = loggers.CreateLogger<FeedHost>();
        await Task.WhenAll(
            status.Loops.Register("feed").SuperviseAsync(Feed.RunAsync, time, (ex, pause) => LogLoopFailed(logger, "feed", pause.TotalSeconds, ex), stoppingToken),
            _reportLoop.SuperviseAsync(ReportAsync, time, (ex, pause) => LogLoopFailed(logger, "feed-status", pause.TotalSeconds, ex), stoppingToken));
    }

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
        var feed = Feed!;
        var g = Governor!;
        return new FeedMetrics(
            feed.IsLive,
            feed.ServingStored,
            [.. feed.Streams.Select(s => new StreamMetrics(s.Name, s.Connects, s.Frames, s.MalformedFrames, s.WatchdogTrips,
                s.LastMessageAt == 0 ? null : now - s.LastMessageAt, s.Dropped))],
            new PollingMetrics(feed.Poller.Polls, feed.Poller.Failures, feed.Poller.Dropped),
            [.. Enum.GetValues<ApiFamily>().Select(family => (family, usage: g.GetUsage(family))).Select(x => new WeightMetrics(
                x.family.ToString(), x.usage.Limit, x.usage.Budget, Math.Max(x.usage.UsedThisMinute, x.usage.ServerUsed), x.usage.Requests,
                x.usage.RateLimited, x.usage.Banned, x.usage.BannedUntil > now ? x.usage.BannedUntil : null))]);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 502, EventName = "FeedLoopFailed", Level = LogLevel.Error, Message = "The {Loop} loop failed; it starts again in {Seconds:0.#} s")]
    private static partial void LogLoopFailed(ILogger logger, string loop, double seconds, Exception exception);

    [LoggerMessage(EventId = 501, EventName = "Simulating", Level = LogLevel.Warning, Message = "SIMULATE mode: data comes from the built-in Binance simulator at {Uri}; every payload says source \"simulated\"")]
    private static partial void LogSimulating(ILogger logger, Uri uri);
}
