using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OiStream.Binance.Rest;
using OiStream.Core.Candles;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;
using OiStream.Server.Configuration;
using OiStream.Server.Hubs;
using OiStream.Storage;

namespace OiStream.Server.Pipeline;

/// <summary>Progress of the exchange-history import (<c>/api/v1/status</c>).</summary>
/// <param name="State"><c>waiting</c> (for the feed), <c>importing</c>, <c>done</c>, <c>off</c>.</param>
/// <param name="Coins">Coins whose instruments have been looked at in this pass.</param>
/// <param name="CoinsTotal">Coins in this pass.</param>
/// <param name="Requests">Exchange requests made so far.</param>
/// <param name="Rows">Exchange rows imported so far.</param>
/// <param name="LastError">The last failure, if any.</param>
public sealed record ImportStatus(string State, int Coins, int CoinsTotal, long Requests, long Rows, string? LastError);

/// <summary>
/// Fills the store with the exchange's five-minute history: on first start the last <see cref="StorageOptions.ImportDays"/>
/// for every instrument and coin, afterwards only holes (a hub that was down, a store that refused writes). It runs
/// while the hub is live, coins with subscribed symbols first, paced to <see cref="StorageOptions.ImportRequestsPer5Min"/>
/// on top of the weight governor, and remembers where each series' exchange history begins so a span the exchange
/// does not have (before a listing) is not asked for again. A coin's rows are the sums of its instruments' rows at each time, where every one
/// of its instruments was fetched.
/// </summary>
public sealed partial class HistoryImporter(FeedHost feeds, IHistoryStore store, HistoryWriter writer, SubscriptionRegistry registry,
    StatusBoard board, IOptions<OiStreamOptions> options, TimeProvider time, ILogger<HistoryImporter> logger) : BackgroundService
{
    private const long Five = OiCandle.FiveMinutes;
    private readonly StorageOptions _options = options.Value.Storage;
    private ImportStatus _status = new(options.Value.Storage.ImportDays == 0 ? "off" : "waiting", 0, 0, 0, 0, null);
    private long _requests;
    // An import that failed is tried again after 30 s, then less often while it keeps failing.
    private readonly LoopHealth _health = board.Loops.Register("history-import", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
    private long _rows;

    /// <summary>The import's progress.</summary>
    public ImportStatus Status => _status with { Requests = Interlocked.Read(ref _requests), Rows = Interlocked.Read(ref _rows) };

    // Every change of progress goes to the status board at once.
    private void Progress(ImportStatus status)
    {
        _status = status;
        board.Import = Status;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        board.Import = Status;
        if (_options.ImportDays == 0)
        {
            return;
        }
        using var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            // A tenth of the allowance every 30 s: the 5-minute total holds, without a burst of all of it at once.
            TokenLimit = Math.Max(1, _options.ImportRequestsPer5Min / 10),
            TokensPerPeriod = Math.Max(1, _options.ImportRequestsPer5Min / 10),
            ReplenishmentPeriod = TimeSpan.FromSeconds(30),
            QueueLimit = 1,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        var recovered = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (feeds.Feed is not { IsLive: true } feed || feeds.Rest is not { } rest)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), time, stoppingToken);
                    continue;
                }
                await ImportAsync(feed.Instruments, rest, limiter, stoppingToken);
                _health.Succeeded();
                // Look again every hour, and as soon as the store has refused writes and recovered (its hole).
                recovered = writer.Recoveries;
                var next = time.GetUtcNow() + TimeSpan.FromHours(1);
                while (time.GetUtcNow() < next && writer.Recoveries == recovered)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The exchange or the store refused: say so, wait, and try again; live data is not affected.
                Progress(_status with { State = "retrying", LastError = ex.Message });
                var pause = _health.Failed(ex, time.GetUtcNow().ToUnixTimeMilliseconds());
                LogImportFailed(logger, ex.Message);
                await Task.Delay(pause, time, stoppingToken);
            }
        }
    }

    private async Task ImportAsync(IReadOnlyList<InstrumentInfo> instruments, BinanceRestClient rest, RateLimiter limiter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var end = now - (now % Five) - Five; // the newest whole bucket is the live feed's to fill
        var window = new TimeRange(end - (_options.ImportDays * 86_400_000L) + Five, end);
        var watched = registry.Watched;
        var coins = instruments.Where(i => HistorySource.For(i) is not null)
            .GroupBy(i => i.Coin, StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(g => g.Any(i => watched.Contains(i.Symbol)))
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        Progress(_status with { State = "importing", Coins = 0, CoinsTotal = coins.Count, LastError = null });
        var done = 0;
        long imported = 0;
        foreach (var coin in coins)
        {
            imported += await ImportCoinAsync(coin.Key, [.. coin], window, rest, limiter, cancellationToken);
            Progress(_status with { Coins = ++done });
        }
        Progress(_status with { State = "done" });
        LogImported(logger, coins.Count, imported, window.From, window.To);
    }

    private async Task<long> ImportCoinAsync(string coin, List<InstrumentInfo> instruments, TimeRange window, BinanceRestClient rest, RateLimiter limiter, CancellationToken cancellationToken)
    {
        var candles = new List<OiCandle>();
        var fetched = new Dictionary<string, List<TimeRange>>(StringComparer.Ordinal);
        // Per instrument and bucket time: its coins and USD, for the coin's sums.
        var values = new Dictionary<(string Symbol, long Bucket), (double Coin, double Usd, double Price)>();
        var learned = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var info in instruments)
        {
            var key = SeriesKey.Instrument(info.Symbol);
            var source = HistorySource.For(info)!;
            var known = await store.GetImportedAsync(key, cancellationToken);
            var spans = fetched[info.Symbol] = [];
            foreach (var gap in await store.FindGapsAsync(key, window, cancellationToken))
            {
                if (known is { } k && gap.To <= k.From)
                {
                    continue; // the exchange holds nothing there (before the listing)
                }
                // A row at T closes the bucket [T − 5m, T) (OiCandle.FromExchangeRow).
                var rows = await rest.GetOpenInterestHistRangeAsync(source.Family, source.Key, source.ContractType, "5m", gap.From + Five, gap.To, cancellationToken,
                    async ct =>
                    {
                        using var lease = await limiter.AcquireAsync(1, ct);
                        Interlocked.Increment(ref _requests);
                    });
                spans.Add(gap);
                if (gap.From == window.From)
                {
                    // Asked from the start of the window: whatever came back first is where the exchange's history begins.
                    learned[info.Symbol] = rows.Count > 0 ? rows[0].Time - Five : gap.To;
                }
                foreach (var row in rows)
                {
                    var v = Valuation.FromHistoryRow(info.Market, row.SumOpenInterest, row.SumOpenInterestValue, info.ContractSize);
                    if (!(v.Coin > 0) || !double.IsFinite(v.Usd))
                    {
                        continue;
                    }
                    var candle = OiCandle.FromExchangeRow(key, row.Time, v.Coin, v.Usd, v.Price);
                    values[(info.Symbol, candle.Time)] = v;
                    candles.Add(candle);
                }
            }
        }
        candles.AddRange(CoinSums(coin, instruments, fetched, values));
        if (candles.Count > 0)
        {
            await store.WriteAsync(candles, cancellationToken);
            Interlocked.Add(ref _rows, candles.Count);
        }
        // Only once the rows are stored: a hub that dies before this asks again.
        foreach (var (symbol, from) in learned)
        {
            await store.SetImportedAsync(SeriesKey.Instrument(symbol), new TimeRange(from, window.To), cancellationToken);
        }
        return candles.Count;
    }

    // A coin's bucket is the sum of its instruments' rows, written only where every one of its instruments was fetched
    // (an instrument fetched there but without a row was not listed yet, and counts 0). Where some were not fetched,
    // the coin's bucket is held already, from the live feed or an earlier import.
    private static IEnumerable<OiCandle> CoinSums(string coin, List<InstrumentInfo> instruments, Dictionary<string, List<TimeRange>> fetched,
        Dictionary<(string Symbol, long Bucket), (double Coin, double Usd, double Price)> values)
    {
        var buckets = values.Keys.Select(k => k.Bucket).Distinct().Order();
        var reference = instruments.FirstOrDefault(i => i.Market == Market.UsdM && i.IsPerpetual) ?? instruments.FirstOrDefault(i => i.IsPerpetual);
        foreach (var bucket in buckets)
        {
            if (!instruments.All(i => fetched[i.Symbol].Any(r => bucket >= r.From && bucket < r.To)))
            {
                continue;
            }
            double sumCoin = 0, sumUsd = 0;
            foreach (var i in instruments)
            {
                if (values.TryGetValue((i.Symbol, bucket), out var v))
                {
                    sumCoin += v.Coin;
                    sumUsd += v.Usd;
                }
            }
            var price = reference is not null && values.TryGetValue((reference.Symbol, bucket), out var r) ? r.Price : double.NaN;
            yield return OiCandle.FromExchangeRow(SeriesKey.Coin(coin), bucket + Five, sumCoin, sumUsd, price);
        }
    }

    [LoggerMessage(EventId = 611, EventName = "HistoryImported", Level = LogLevel.Information, Message = "History import: {Coins} coins looked at, {Rows} rows stored for {From}..{To} (Unix ms)")]
    private static partial void LogImported(ILogger logger, int coins, long rows, long from, long to);

    [LoggerMessage(EventId = 612, EventName = "HistoryImportFailed", Level = LogLevel.Warning, Message = "History import failed, retrying in 30 s: {Problem}")]
    private static partial void LogImportFailed(ILogger logger, string problem);
}
