using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;

namespace OiStream.Feeds;

/// <summary>
/// The run of a venue that pushes open interest (Bybit, OKX): discover its contracts (retrying with backoff while it
/// cannot be reached), backfill history, seed the current state over REST, then follow its sockets; while a socket is
/// down the venue's REST snapshot is polled instead, so its OI keeps moving. A venue knows nothing of the engine or of
/// the other venues: it writes <see cref="MarketEvent"/>s into its channel, and its failures stay its own.
/// </summary>
public abstract partial class PushFeed
{
    private static readonly Backoff DiscoveryBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    private readonly ChannelWriter<MarketEvent> _writer;
    private readonly HttpClient _http;
    private readonly IHistorySeed? _seed;
    private volatile IReadOnlyList<WatchedSocket> _sockets = [];
    private long _polls;
    private long _pollFailures;
    private long _events;
    private long _dropped;
    private bool _fallingBack;
    private volatile bool _banned;

    /// <summary>Creates the feed; with <paramref name="seed"/>, history already held (OiStream's store) warms the engine and only what follows it is fetched.</summary>
    protected PushFeed(string exchange, VenueOptions options, HttpClient http, ChannelWriter<MarketEvent> writer, TimeProvider time, ILogger logger, IHistorySeed? seed = null)
    {
        _seed = seed;
        ArgumentNullException.ThrowIfNull(options);
        Exchange = exchange;
        Options = options;
        _http = http;
        _writer = writer;
        Time = time;
        Logger = logger;
        Limiter = new RequestLimiter(time);
    }

    /// <summary><c>bybit</c> or <c>okx</c>.</summary>
    public string Exchange { get; }

    /// <summary>The venue's settings.</summary>
    protected VenueOptions Options { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The venue's logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>The venue's REST budget.</summary>
    public RequestLimiter Limiter { get; }

    /// <summary>The instruments tracked (OiStream ids).</summary>
    public IReadOnlyList<InstrumentInfo> Instruments { get; private set; } = [];

    /// <summary>Set once discovery, history and the REST seed are done and the sockets run.</summary>
    public bool IsLive { get; private set; }

    /// <summary>The venue's sockets.</summary>
    public IReadOnlyList<WatchedSocket> Sockets => _sockets;

    /// <summary>REST snapshots taken (the seed and each fallback poll).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>REST snapshots that failed.</summary>
    public long PollFailures => Interlocked.Read(ref _pollFailures);

    /// <summary>Events the channel refused (full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events written.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>History rows fetched from the venue at start.</summary>
    public int BackfilledRows { get; private set; }

    /// <summary>History rows read back from OiStream's store at start.</summary>
    public int HeldRows { get; private set; }

    /// <summary>Runs the feed until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        IsLive = false;
        var discovered = await DiscoverWithRetryAsync(cancellationToken);
        var gone = Instruments.Select(i => i.Symbol).Except(discovered.Select(i => i.Symbol), StringComparer.Ordinal).ToList();
        Instruments = discovered;
        await _writer.WriteAsync(MarketEvent.Instruments(new InstrumentListChange(discovered, gone.Count > 0 ? gone : null)), cancellationToken);

        var held = await LoadHeldAsync(discovered, cancellationToken);
        List<MarketEvent> history;
        try
        {
            history = await BackfillAsync(held, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Without history the long windows fill as time passes: slower, not wrong.
            LogBackfillFailed(Logger, Exchange, ex.Message);
            history = [];
        }
        BackfilledRows = history.Count;
        await _writer.WriteAsync(MarketEvent.HistoryBatch(history), cancellationToken);
        await PollOnceAsync(cancellationToken);

        var sockets = BuildSockets();
        foreach (var socket in sockets)
        {
            socket.StatusChanged += Report;
        }
        _sockets = sockets;
        IsLive = true;
        await Task.WhenAll([.. sockets.Select(s => s.RunAsync(cancellationToken)), FallbackAsync(cancellationToken)]);
    }

    /// <summary>The venue's contracts, as OiStream instruments (ids with the venue's prefix), filtered by <see cref="VenueOptions.Symbols"/>.</summary>
    protected abstract Task<IReadOnlyList<InstrumentInfo>> DiscoverAsync(CancellationToken cancellationToken);

    /// <summary>
    /// History rows (<see cref="MarketEventKind.History"/>) of every instrument over <see cref="VenueOptions.Backfill"/>,
    /// from the end of what <paramref name="heldUntil"/> says the store holds of it (by id) where that is later.
    /// </summary>
    protected abstract Task<List<MarketEvent>> BackfillAsync(IReadOnlyDictionary<string, long> heldUntil, CancellationToken cancellationToken);

    /// <summary>Where an instrument's history fetch starts: <see cref="VenueOptions.Backfill"/> ago, or the end of what is held; null when nothing is missing.</summary>
    protected long? BackfillFrom(IReadOnlyDictionary<string, long> heldUntil, string id, long now)
    {
        ArgumentNullException.ThrowIfNull(heldUntil);
        var from = Math.Max(now - (long)Options.Backfill.TotalMilliseconds, heldUntil.GetValueOrDefault(id));
        return now - from < 300_000 ? null : from;
    }

    // History the store holds warms the engine first (a restart asks the venue only for the gap); without the store,
    // the venue's own history still covers every window: slower, not wrong.
    private async Task<IReadOnlyDictionary<string, long>> LoadHeldAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken)
    {
        if (_seed is null)
        {
            return new Dictionary<string, long>();
        }
        try
        {
            var held = await _seed.LoadAsync(instruments, cancellationToken);
            if (held.Rows.Count > 0)
            {
                await _writer.WriteAsync(MarketEvent.HistoryBatch(held.Rows, fromExchange: false), cancellationToken);
            }
            HeldRows = held.Rows.Count;
            return held.HeldUntil;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogBackfillFailed(Logger, Exchange, "held history: " + ex.Message);
            return new Dictionary<string, long>();
        }
    }

    /// <summary>One REST snapshot of every instrument's OI and mark price, written as events.</summary>
    protected abstract Task PollAsync(CancellationToken cancellationToken);

    /// <summary>The venue's sockets (not yet running).</summary>
    protected abstract IReadOnlyList<WatchedSocket> BuildSockets();

    /// <summary>Writes an event; false (and counted) when the channel is full.</summary>
    protected bool Write(in MarketEvent e)
    {
        if (_writer.TryWrite(e))
        {
            Interlocked.Increment(ref _events);
            return true;
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Reports a change of health of part of the feed (<c>bybit-discovery</c>, <c>okx-rest</c>, …).</summary>
    protected void Report(string feed, string state, string message) =>
        Report(new FeedStatus { Feed = feed, State = state, Message = message, Time = Now(), Source = Exchange });

    private void Report(FeedStatus status) => _writer.TryWrite(MarketEvent.Feed(status));

    /// <summary>Unix ms now.</summary>
    protected long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// GETs <paramref name="path"/> from the venue's REST base within the budget (<paramref name="limit"/> per
    /// <paramref name="window"/> under <paramref name="key"/>). A 403 (Bybit's ban) blocks every request for
    /// <paramref name="banPause"/>; a 429 for two windows. Returns the body of a success.
    /// </summary>
    protected async Task<string> GetAsync(string path, string key, int limit, TimeSpan window, TimeSpan banPause, CancellationToken cancellationToken)
    {
        await Limiter.WaitAsync(key, Math.Max(1, limit * Options.BudgetPercent / 100), window, cancellationToken);
        var uri = new Uri(Options.Rest!, path);
        using var response = await _http.GetAsync(uri, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            Limiter.Block(Now() + (long)banPause.TotalMilliseconds);
            _banned = true;
            Report(Exchange + "-limit", "banned", $"{Exchange} refused {path.Split('?')[0]} with HTTP 403 (an IP ban); no REST request until {DateTimeOffset.FromUnixTimeMilliseconds(Limiter.BlockedUntil):HH:mm:ss} UTC");
        }
        else if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Limiter.Block(Now() + (long)(2 * window.TotalMilliseconds));
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new VenueHttpException(Exchange, path.Split('?')[0], response.StatusCode, body);
        }
        if (_banned)
        {
            _banned = false;
            Report(Exchange + "-limit", "ok", $"{Exchange} answers REST requests again");
        }
        return body;
    }

    private async Task<IReadOnlyList<InstrumentInfo>> DiscoverWithRetryAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var found = await DiscoverAsync(cancellationToken);
                Report(Exchange + "-discovery", "connected", $"{found.Count} instruments");
                LogDiscovered(Logger, Exchange, found.Count);
                return found;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var delay = DiscoveryBackoff.Delay(attempt);
                var message = $"Cannot reach {Exchange} ({Options.Rest?.Host}): {ex.Message} Retrying in {delay.TotalSeconds:0} s.";
                Report(Exchange + "-discovery", "disconnected", message);
                LogUnreachable(Logger, message);
                await Task.Delay(delay, Time, cancellationToken);
            }
        }
    }

    private async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            Interlocked.Increment(ref _polls);
            await PollAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _pollFailures);
            LogPollFailed(Logger, Exchange, ex.Message);
        }
    }

    // While any socket is down or silent, the REST snapshot keeps the venue's OI and marks moving.
    private async Task FallbackAsync(CancellationToken cancellationToken)
    {
        var started = Now();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.FallbackPoll, Time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var down = _sockets.Where(s => !s.IsFlowing).Select(s => s.Name).ToList();
            if (down.Count > 0 && Now() - started > Options.FallbackPoll.TotalMilliseconds * 2)
            {
                if (!_fallingBack)
                {
                    _fallingBack = true;
                    Report(Exchange + "-rest", "fallback", $"{string.Join(", ", down)} down: polling {Exchange}'s REST snapshot every {Options.FallbackPoll.TotalSeconds:0.#} s until the stream is back");
                }
                await PollOnceAsync(cancellationToken);
            }
            else if (_fallingBack && down.Count == 0)
            {
                _fallingBack = false;
                Report(Exchange + "-rest", "idle", "Every stream flows again; REST polling stopped");
            }
        }
    }

    [LoggerMessage(EventId = 1001, EventName = "VenueDiscovered", Level = LogLevel.Information, Message = "{Exchange}: discovered {Count} instruments")]
    private static partial void LogDiscovered(ILogger logger, string exchange, int count);

    [LoggerMessage(EventId = 1002, EventName = "VenueUnreachable", Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogUnreachable(ILogger logger, string message);

    [LoggerMessage(EventId = 1003, EventName = "VenueBackfillFailed", Level = LogLevel.Warning, Message = "{Exchange}: history backfill failed: {Problem}")]
    private static partial void LogBackfillFailed(ILogger logger, string exchange, string problem);

    [LoggerMessage(EventId = 1004, EventName = "VenuePollFailed", Level = LogLevel.Warning, Message = "{Exchange}: REST snapshot failed: {Problem}")]
    private static partial void LogPollFailed(ILogger logger, string exchange, string problem);
}
