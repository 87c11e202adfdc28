using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Binance.Polling;
using OiStream.Binance.Rest;
using OiStream.Binance.Streams;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;
using Polly;
using Polly.Retry;

namespace OiStream.Binance;

/// <summary>
/// The Binance source: discovers instruments on the three markets, backfills history, then keeps OI (polling) and
/// mark prices (streams) flowing. It writes <see cref="MarketEvent"/>s into the channel it is given and knows nothing
/// of the engine or the hub. Until discovery succeeds it retries with backoff and reports <c>disconnected</c>.
/// </summary>
public sealed partial class BinanceFeed
{
    private readonly BinanceRestClient _rest;
    private readonly BinanceOptions _options;
    private readonly ChannelWriter<MarketEvent> _writer;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    // Replaced whole when the feed (re)starts, so status can read it while that happens.
    private volatile IReadOnlyList<MarketStreamClient> _streams = [];
    private volatile SymbolTable _symbols = new([]);
    private readonly IHistorySeed? _seed;
    private IReadOnlyList<InstrumentInfo> _instruments = [];
    private readonly LoopMonitor _loops;
    private static readonly Backoff DiscoveryBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

    /// <summary>Creates the feed; with <paramref name="seed"/>, history already held is loaded from it and only what follows is fetched.</summary>
    public BinanceFeed(BinanceRestClient rest, BinanceOptions options, ChannelWriter<MarketEvent> writer, TimeProvider time, ILoggerFactory loggers,
        IHistorySeed? seed = null, LoopMonitor? loops = null)
    {
        _seed = seed;
        _loops = loops ?? new LoopMonitor();
        ArgumentNullException.ThrowIfNull(loggers);
        _rest = rest;
        _options = options;
        _writer = writer;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<BinanceFeed>();
        Poller = new OpenInterestPoller(rest, options, writer, time, loggers.CreateLogger<OpenInterestPoller>(), _loops.Register("poller"));
        Poller.StatusChanged += Report;
    }

    /// <summary>The OI poller (hot symbols, data age).</summary>
    public OpenInterestPoller Poller { get; }

    /// <summary>The stream connections.</summary>
    public IReadOnlyList<MarketStreamClient> Streams => _streams;

    /// <summary>The instruments discovered.</summary>
    public IReadOnlyList<InstrumentInfo> Instruments => _instruments;

    /// <summary>History rows backfilled at start.</summary>
    public int BackfilledRows { get; private set; }

    /// <summary>Set once discovery and backfill are done and live data flows.</summary>
    public bool IsLive { get; private set; }

    /// <summary>
    /// Set while Binance cannot be reached at start and the engine serves the instruments and history the store held
    /// instead (stale, and said to be); cleared once discovery succeeds.
    /// </summary>
    public bool ServingStored { get; private set; }

    /// <summary>Runs the feed until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Run again after a failure (see FeedHost): start from discovery, with no stream of the last run left over.
        IsLive = false;
        HistorySeed? held = null;
        IReadOnlyList<InstrumentInfo> discovered;
        try
        {
            discovered = await DiscoverAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ReportUnreachable(ex, DiscoveryBackoff.Delay(1));
            held = await ServeStoredAsync(cancellationToken);
            discovered = await DiscoverWithRetryAsync(cancellationToken);
        }
        // Instruments served from the store that Binance no longer lists go; the rest are updated in place.
        var gone = _instruments.Select(i => i.Symbol).Except(discovered.Select(i => i.Symbol), StringComparer.Ordinal).ToList();
        _instruments = discovered;
        _symbols = new SymbolTable(_instruments.Select(i => i.Symbol));
        await _writer.WriteAsync(MarketEvent.Instruments(new InstrumentListChange(_instruments, gone.Count > 0 ? gone : null)), cancellationToken);
        ServingStored = false;

        held ??= await LoadHeldAsync(cancellationToken);
        var history = await BackfillAsync(held.HeldUntil, cancellationToken);
        BackfilledRows = history.Count;
        await _writer.WriteAsync(MarketEvent.HistoryBatch(history), cancellationToken);
        await SeedMarksAsync(cancellationToken);

        Poller.SetInstruments(_instruments);
        BuildStreams();
        IsLive = true;
        var tasks = new List<Task> { Poller.RunAsync(cancellationToken) };
        tasks.AddRange(_streams.Select(s => s.RunAsync(cancellationToken)));
        await Task.WhenAll(tasks);
    }

    // Discovery until it succeeds: Polly's retry with the shared backoff (1 s, 2 s, 4 s … a minute), saying each time
    // that Binance cannot be reached and when the next try is.
    private async Task<IReadOnlyList<InstrumentInfo>> DiscoverWithRetryAsync(CancellationToken cancellationToken)
    {
        var retry = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DiscoveryBackoff.Delay(args.AttemptNumber + 1)),
                OnRetry = args =>
                {
                    ReportUnreachable(args.Outcome.Exception, args.RetryDelay);
                    return default;
                },
            })
            .Build();
        return await retry.ExecuteAsync(async ct => await DiscoverAsync(ct), cancellationToken);
    }

    private void ReportUnreachable(Exception? ex, TimeSpan retryIn)
    {
        var serving = ServingStored ? $" Serving the {_instruments.Count} instruments and the history the store holds meanwhile (stale)." : "";
        var message = $"Cannot reach Binance ({_options.UsdmRest.Host}): {ex?.Message}. Retrying in {retryIn.TotalSeconds:0} s.{serving}";
        Report(new FeedStatus { Feed = "discovery", State = "disconnected", Message = message, Time = Now(), Source = "binance" });
        LogUnreachable(_logger, message);
    }

    // Binance is out of reach at start: the instruments tracked when the store was last written, warmed from it, so
    // the hub answers with what it held (stale, and said to be) instead of nothing. Nothing is invented: without a
    // stored list the engine stays empty.
    private async Task<HistorySeed?> ServeStoredAsync(CancellationToken cancellationToken)
    {
        if (_seed is null)
        {
            return null;
        }
        List<InstrumentInfo> stored;
        try
        {
            stored = Wanted(await _seed.LoadInstrumentsAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogBackfillFailed(_logger, "stored instruments", ex.Message);
            return null;
        }
        if (stored.Count == 0)
        {
            return null;
        }
        _instruments = stored;
        _symbols = new SymbolTable(stored.Select(i => i.Symbol));
        await _writer.WriteAsync(MarketEvent.Instruments(new InstrumentListChange(stored)), cancellationToken);
        var held = await LoadHeldAsync(cancellationToken, always: true);
        ServingStored = true;
        LogServingStored(_logger, stored.Count, held.Rows.Count);
        return held;
    }

    // The instruments this configuration tracks: its markets, and its symbols when it names some.
    private List<InstrumentInfo> Wanted(IEnumerable<InstrumentInfo> all)
    {
        var wanted = new HashSet<string>(_options.Symbols, StringComparer.OrdinalIgnoreCase);
        // The store lists every venue's instruments; Binance's are the bare symbols.
        return [.. all.Where(i => i.Exchange == ExchangeIds.Binance
            && (i.Market switch { Market.UsdM => _options.UsdM, Market.CoinM => _options.CoinM, _ => _options.Options })
            && (wanted.Count == 0 || wanted.Contains(i.Symbol)))];
    }

    private async Task<IReadOnlyList<InstrumentInfo>> DiscoverAsync(CancellationToken cancellationToken)
    {
        var all = new List<InstrumentInfo>();
        if (_options.UsdM)
        {
            all.AddRange(await _rest.GetFuturesInstrumentsAsync(ApiFamily.UsdM, cancellationToken));
        }
        if (_options.CoinM)
        {
            all.AddRange(await _rest.GetFuturesInstrumentsAsync(ApiFamily.CoinM, cancellationToken));
        }
        if (_options.Options)
        {
            all.AddRange(await _rest.GetOptionExpiriesAsync(cancellationToken));
        }
        all = Wanted(all);
        Report(new FeedStatus { Feed = "discovery", State = "connected", Message = $"{all.Count} instruments", Time = Now(), Source = "binance" });
        LogDiscovered(_logger, all.Count);
        return all;
    }

    // History held already (OiStream's store) warms the engine first; the exchange is asked only for what follows it.
    private async Task<HistorySeed> LoadHeldAsync(CancellationToken cancellationToken, bool always = false)
    {
        if (_seed is null)
        {
            return HistorySeed.Empty;
        }
        try
        {
            var held = await _seed.LoadAsync(_instruments, cancellationToken);
            // Served alone (Binance out of reach), even an empty batch completes the engine's start-up.
            if (held.Rows.Count > 0 || always)
            {
                await _writer.WriteAsync(MarketEvent.HistoryBatch(held.Rows, fromExchange: false), cancellationToken);
            }
            LogSeeded(_logger, held.Rows.Count, held.HeldUntil.Count);
            return held;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Without the store the exchange's 30 days still warm every window: slower, not wrong.
            LogBackfillFailed(_logger, "held history", ex.Message);
            return HistorySeed.Empty;
        }
    }

    private async Task<List<MarketEvent>> BackfillAsync(IReadOnlyDictionary<string, long> heldUntil, CancellationToken cancellationToken)
    {
        var rows = new List<MarketEvent>();
        var now = Now();
        var backfillFrom = now - (long)_options.Backfill.TotalMilliseconds;
        var jobs = _instruments.Select(i => (Source: HistorySource.For(i), i.Symbol)).Where(j => j.Source is not null)
            .Select(j => (j.Source!.Family, j.Source.Key, j.Source.ContractType, j.Symbol)).ToList();

        var values = new List<KeyValuePair<string, double>>();
        using var gate = new SemaphoreSlim(4);
        var tasks = jobs.Select(async job =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                // Only the part not held: a hub that was down three hours asks for three hours.
                var from = heldUntil.TryGetValue(job.Symbol, out var until) ? Math.Max(until, backfillFrom) : backfillFrom;
                if (now - from < 300_000)
                {
                    return;
                }
                // The most recent rows (which rows a bare startTime returns is not documented), then only those after `from`.
                var limit = (int)Math.Clamp(((now - from) / 300_000) + 1, 1, 500);
                var hist = (await _rest.GetOpenInterestHistAsync(job.Family, job.Key, job.ContractType, "5m", limit, null, null, cancellationToken))
                    .Where(h => h.Time >= from).ToList();
                lock (rows)
                {
                    rows.AddRange(hist.Select(h => MarketEvent.History(job.Symbol, h.Time, h.SumOpenInterest, h.SumOpenInterestValue)));
                    if (hist.Count > 0)
                    {
                        var last = hist[^1];
                        var info = _instruments.First(x => x.Symbol == job.Symbol);
                        values.Add(new(job.Symbol, info.Market == Market.UsdM ? last.SumOpenInterestValue : last.SumOpenInterest * info.ContractSize));
                    }
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // One missing history is not fatal: that instrument's long windows stay null until they fill.
                LogBackfillFailed(_logger, job.Symbol, ex.Message);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        Poller.SetValues(values);
        return rows;
    }

    private async Task SeedMarksAsync(CancellationToken cancellationToken)
    {
        foreach (var family in new[] { (ApiFamily.UsdM, _options.UsdM), (ApiFamily.CoinM, _options.CoinM) })
        {
            if (!family.Item2)
            {
                continue;
            }
            try
            {
                foreach (var m in await _rest.GetPremiumIndexAsync(family.Item1, cancellationToken))
                {
                    if (_symbols.TryGet(m.Symbol.AsSpan(), out var symbol))
                    {
                        _writer.TryWrite(MarketEvent.MarkPrice(symbol, m.Time, m.MarkPrice, m.FundingRate));
                    }
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogBackfillFailed(_logger, family.Item1.ToString() + " premiumIndex", ex.Message);
            }
        }
    }

    private void BuildStreams()
    {
        var clients = new List<MarketStreamClient>();
        if (_options.UsdM && _instruments.Any(i => i.Market == Market.UsdM))
        {
            Add("usdm-ws", _options.UsdmStream, ["!markPrice@arr@1s"]);
        }
        if (_options.CoinM)
        {
            var pairs = _instruments.Where(i => i.Market == Market.CoinM)
                .Select(i => i.Symbol[..i.Symbol.IndexOf('_', StringComparison.Ordinal)].ToLowerInvariant() + "@markPrice@1s")
                .Distinct().ToList();
            foreach (var chunk in pairs.Chunk(MarketStreamClient.MaxStreamsPerConnection))
            {
                Add("coinm-ws", _options.CoinmStream, chunk);
            }
        }
        if (_options.Options)
        {
            var streams = _instruments.Where(i => i.Market == Market.Options)
                .Select(i => $"{i.Coin.ToLowerInvariant()}usdt@openInterest@{i.Symbol[(i.Symbol.IndexOf('-', StringComparison.Ordinal) + 1)..]}")
                .ToList();
            foreach (var chunk in streams.Chunk(200))
            {
                // Options OI is pushed every 60 s: silence shorter than that is normal on this stream.
                Add("options-ws", _options.OptionsStream, chunk, TimeSpan.FromSeconds(Math.Max(75, _options.StreamWatchdog.TotalSeconds)));
            }
        }
        _streams = clients;

        void Add(string name, Uri uri, IReadOnlyList<string> streams, TimeSpan? watchdog = null)
        {
            var client = new MarketStreamClient(name, uri, streams, () => _symbols, _writer, _options, _time, _loggers.CreateLogger<MarketStreamClient>(), watchdog,
                _loops.Register(name));
            client.StatusChanged += Report;
            clients.Add(client);
        }
    }

    private void Report(FeedStatus status) => _writer.TryWrite(MarketEvent.Feed(status));

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1, EventName = "InstrumentsDiscovered", Level = LogLevel.Information, Message = "Discovered {Count} instruments")]
    private static partial void LogDiscovered(ILogger logger, int count);

    [LoggerMessage(EventId = 2, EventName = "BinanceUnreachable", Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogUnreachable(ILogger logger, string message);

    [LoggerMessage(EventId = 3, EventName = "BackfillFailed", Level = LogLevel.Warning, Message = "Backfill of {What} failed: {Problem}")]
    private static partial void LogBackfillFailed(ILogger logger, string what, string problem);

    [LoggerMessage(EventId = 5, EventName = "ServingStored", Level = LogLevel.Warning, Message = "Binance cannot be reached: serving the {Instruments} instruments the store lists, warmed from {Rows} stored rows, until it can")]
    private static partial void LogServingStored(ILogger logger, int instruments, int rows);

    [LoggerMessage(EventId = 4, EventName = "HistorySeeded", Level = LogLevel.Information, Message = "Warmed from {Rows} stored rows of {Symbols} instruments; fetching only what follows them")]
    private static partial void LogSeeded(ILogger logger, int rows, int symbols);
}
