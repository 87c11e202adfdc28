using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Binance.Rest;
using OiStream.Binance.Telemetry;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Core.Loops;

namespace OiStream.Binance.Polling;

/// <summary>
/// Polls current OI (USDⓈ-M and COIN-M: REST only; options: REST beside the stream), spending the weight budget
/// where it matters. Instruments with subscribers are polled every <see cref="BinanceOptions.HotOiInterval"/>, the 20
/// largest by USD value twice as often as the rest, and every instrument at least every
/// <see cref="BinanceOptions.MaxOiAge"/>. The schedule is planned inside the budget (90 % of the governor's share,
/// one weight per poll): if it does not fit, the "largest" boost goes first, then the other instruments' interval
/// stretches evenly, and subscribed symbols keep theirs; so the governor rarely has to hold a request back, and the
/// instruments users look at stay fresh. Each API has its own workers, so a ban on one does not stall the others.
/// </summary>
public sealed partial class OpenInterestPoller(BinanceRestClient rest, BinanceOptions options, ChannelWriter<MarketEvent> writer, TimeProvider time, ILogger<OpenInterestPoller> logger,
    LoopHealth? health = null)
{
    private const int LargestCount = 20;
    private readonly object _gate = new();
    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private HashSet<string> _hot = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<ApiFamily, Plan> _plans = [];
    // One health state per API (null: healthy), shared by its workers: health is the API's, not a worker's.
    private readonly Dictionary<ApiFamily, string?> _health = [];
    private long _polls;
    private long _failures;
    private long _dropped;

    /// <summary>Raised when polling of an API starts failing or recovers.</summary>
    public event Action<FeedStatus>? StatusChanged;

    /// <summary>Successful polls so far.</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>The workers' unexpected failures (not Binance's refusals, which are <see cref="Failures"/> and the APIs' health).</summary>
    public LoopHealth Health { get; } = health ?? new LoopHealth("poller");

    /// <summary>Failed polls so far (rate limits, errors, timeouts).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Readings the channel refused (full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Sets what to poll. Known instruments keep their schedule.</summary>
    public void SetInstruments(IEnumerable<InstrumentInfo> instruments)
    {
        lock (_gate)
        {
            var keep = new HashSet<string>(StringComparer.Ordinal);
            foreach (var info in instruments)
            {
                keep.Add(info.Symbol);
                if (!_items.ContainsKey(info.Symbol))
                {
                    _items[info.Symbol] = new Item(info);
                }
            }
            foreach (var gone in _items.Keys.Where(k => !keep.Contains(k)).ToList())
            {
                _items.Remove(gone);
            }
            Reclassify();
        }
    }

    /// <summary>Sets the USD value of instruments, which decides the "largest OI" class.</summary>
    public void SetValues(IEnumerable<KeyValuePair<string, double>> usdValues)
    {
        lock (_gate)
        {
            foreach (var (symbol, usd) in usdValues)
            {
                if (_items.TryGetValue(symbol, out var item))
                {
                    item.Usd = usd;
                }
            }
            Reclassify();
        }
    }

    /// <summary>Symbols with subscribers: polled first and most often.</summary>
    public void SetHotSymbols(IEnumerable<string> symbols)
    {
        lock (_gate)
        {
            _hot = new HashSet<string>(symbols, StringComparer.OrdinalIgnoreCase);
            var now = Now();
            foreach (var item in _items.Values)
            {
                var hot = _hot.Contains(item.Info.Symbol);
                if (hot && !item.Hot)
                {
                    item.NextDue = now; // a new subscriber should not wait for the old schedule
                }
                item.Hot = hot;
            }
            _plans.Clear();
        }
    }

    /// <summary>The intervals the schedule uses now for one API (subscribed, largest, others).</summary>
    public (TimeSpan Hot, TimeSpan Largest, TimeSpan Others) Intervals(ApiFamily family)
    {
        lock (_gate)
        {
            var plan = PlanFor(family);
            return (TimeSpan.FromMilliseconds(plan.Hot), TimeSpan.FromMilliseconds(plan.Largest), TimeSpan.FromMilliseconds(plan.Others));
        }
    }

    /// <summary>Exchange time (Unix ms) of the newest OI reading of a symbol, or null.</summary>
    public long? LastOiTime(string symbol)
    {
        lock (_gate)
        {
            return _items.TryGetValue(symbol, out var item) && item.LastTime > 0 ? item.LastTime : null;
        }
    }

    /// <summary>Polls until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        var workers = new List<Task>();
        var families = new[] { (ApiFamily.UsdM, options.PollConcurrency), (ApiFamily.CoinM, Math.Max(1, options.PollConcurrency / 2)), (ApiFamily.Options, 1) };
        foreach (var (family, count) in families)
        {
            for (var i = 0; i < count; i++)
            {
                workers.Add(WorkAsync(family, cancellationToken));
            }
        }
        return Task.WhenAll(workers);
    }

    // One worker: each pass polls the most urgent due instrument. Expected failures (Binance refused, the network,
    // a bad body) are the API's health; anything else is a fault of this code or of the channel's reader, counted in
    // Health and paced by its growing pause, and the worker goes on.
    private async Task WorkAsync(ApiFamily family, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan pause;
            try
            {
                await PassAsync(family, cancellationToken);
                continue;
            }
            catch (Exception ex) when (LoopHealth.IsStop(ex, cancellationToken))
            {
                return;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failures);
                pause = Health.Failed(ex, Now());
                LogUnexpected(logger, family.ToString(), pause.TotalSeconds, ex);
            }
            try
            {
                await Task.Delay(pause, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PassAsync(ApiFamily family, CancellationToken cancellationToken)
    {
        var item = TakeDue(family, out var waitMs);
        if (item is null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(waitMs, 10, 250)), time, cancellationToken);
            return;
        }

        var started = Now();
        try
        {
            await PollAsync(item, cancellationToken);
            Interlocked.Increment(ref _polls);
            SetHealth(family, null, "Polling works again");
            Reschedule(item, started, failed: false);
            Health.Succeeded();
        }
        catch (BinanceApiException ex) when (ex.Code == -4108 || ex.Code == -1121)
        {
            // Delisted or delivering since discovery: stop asking until the next instrument list.
            Interlocked.Increment(ref _failures);
            LogDropped(logger, item.Info.Symbol, ex.Message);
            lock (_gate)
            {
                _items.Remove(item.Info.Symbol);
            }
        }
        catch (Exception ex) when (!LoopHealth.IsStop(ex, cancellationToken) && ex is BinanceApiException or HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            Interlocked.Increment(ref _failures);
            var state = ex is BinanceApiException { IsRateLimited: true } ? "rateLimited" : "disconnected";
            if (SetHealth(family, state, ex.Message))
            {
                LogPollFailed(logger, family.ToString(), ex.Message);
            }
            Reschedule(item, started, failed: true);
        }
        catch (Exception ex) when (!LoopHealth.IsStop(ex, cancellationToken))
        {
            // The worker counts and paces it; the instrument must not stay in flight for ever.
            Reschedule(item, started, failed: true);
            throw;
        }
    }

    private async Task PollAsync(Item item, CancellationToken cancellationToken)
    {
        var info = item.Info;
        MarketEvent e;
        if (info.Market == Market.Options)
        {
            var dash = info.Symbol.IndexOf('-', StringComparison.Ordinal);
            var readings = await rest.GetOptionsOpenInterestAsync(info.Coin, info.Symbol[(dash + 1)..], cancellationToken);
            if (readings.Count == 0)
            {
                return;
            }
            e = MarketEvent.OpenInterest(info.Symbol, readings.Max(r => r.Time), readings.Sum(r => r.OpenInterest), readings.Sum(r => r.OpenInterestUsd));
        }
        else
        {
            var family = info.Market == Market.UsdM ? ApiFamily.UsdM : ApiFamily.CoinM;
            var r = await rest.GetOpenInterestAsync(family, info.Symbol, cancellationToken);
            e = MarketEvent.OpenInterest(info.Symbol, r.Time, r.OpenInterest);
        }
        lock (_gate)
        {
            item.LastTime = Math.Max(item.LastTime, e.Time);
        }
        FeedMeter.OiReceived(info.Market, e.Time, Now());
        if (!writer.TryWrite(e))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private Item? TakeDue(ApiFamily family, out long waitMs)
    {
        var now = Now();
        lock (_gate)
        {
            // Among the due, subscribed symbols first, then the longest overdue; if none is due, the next to become due.
            Item? best = null;
            foreach (var item in _items.Values)
            {
                if (item.Family != family || item.InFlight)
                {
                    continue;
                }
                if (best is null || Before(item, best, now))
                {
                    best = item;
                }
            }
            if (best is null || best.NextDue > now)
            {
                waitMs = best is null ? 250 : best.NextDue - now;
                return null;
            }
            best.InFlight = true;
            waitMs = 0;
            return best;
        }
    }

    private static bool Before(Item a, Item b, long now)
    {
        var aDue = a.NextDue <= now;
        var bDue = b.NextDue <= now;
        if (aDue != bDue)
        {
            return aDue;
        }
        if (aDue && a.Hot != b.Hot)
        {
            return a.Hot;
        }
        return a.NextDue < b.NextDue;
    }

    private void Reschedule(Item item, long started, bool failed)
    {
        lock (_gate)
        {
            item.InFlight = false;
            var plan = PlanFor(item.Family);
            var interval = item.Hot ? plan.Hot
                : item.Info.Market == Market.Options ? plan.Others * 3
                : item.Largest ? plan.Largest
                : plan.Others;
            item.Failures = failed ? item.Failures + 1 : 0;
            var backoff = failed ? Math.Min(30_000, 1_000 * Math.Pow(2, item.Failures - 1)) : 0;
            item.NextDue = started + (long)Math.Max(interval, backoff);
        }
    }

    // Plans one API's intervals (ms) so that the expected polls per second fit in 90 % of its budget.
    private Plan PlanFor(ApiFamily family)
    {
        var budget = rest.Governor.GetUsage(family).Budget;
        if (_plans.TryGetValue(family, out var cached) && cached.Budget == budget)
        {
            return cached;
        }
        var items = _items.Values.Where(i => i.Family == family).ToList();
        var hot = items.Count(i => i.Hot);
        var largest = items.Count(i => !i.Hot && i.Largest);
        var others = items.Count - hot - largest;
        // Plan to 90 %: a schedule right at the budget makes the governor pause at minute ends, which ages everything.
        var rate = budget * 0.90 / 60_000.0; // polls per millisecond
        double h = options.HotOiInterval.TotalMilliseconds, m = options.MaxOiAge.TotalMilliseconds;
        double l = m / 2, o = m;
        if ((hot / h) + (largest / l) + (others / o) > rate)
        {
            l = m; // first give up the boost of the largest
            var left = rate - (hot / h);
            if (left <= 0)
            {
                // Even the subscribed symbols alone do not fit: give them half the budget.
                h = hot / (rate / 2);
                left = rate / 2;
            }
            o = Math.Max(m, (largest + others) / left);
            l = o;
            LogStretched(logger, family.ToString(), largest + others, o / 1000, m / 1000);
        }
        var plan = new Plan(budget, (long)h, (long)l, (long)o);
        _plans[family] = plan;
        return plan;
    }

    private sealed record Plan(int Budget, long Hot, long Largest, long Others);

    private void Reclassify()
    {
        _plans.Clear();
        var largest = _items.Values.Where(i => i.Info.Market != Market.Options && i.Usd > 0).OrderByDescending(i => i.Usd).Take(LargestCount).ToHashSet();
        foreach (var item in _items.Values)
        {
            item.Largest = largest.Contains(item);
            item.Hot = _hot.Contains(item.Info.Symbol);
        }
    }

    // Records an API's health and reports it when it changes: failing → recovered, or one kind of failure → another.
    private bool SetHealth(ApiFamily family, string? state, string message)
    {
        lock (_gate)
        {
            var current = _health.GetValueOrDefault(family);
            if (current == state)
            {
                return false;
            }
            _health[family] = state;
        }
        Raise(family, state ?? "recovered", message);
        return true;
    }

    private void Raise(ApiFamily family, string state, string message)
    {
        var feed = family switch { ApiFamily.UsdM => "usdm-rest", ApiFamily.CoinM => "coinm-rest", _ => "options-rest" };
        StatusChanged?.Invoke(new FeedStatus { Feed = feed, State = state, Message = message, Time = Now(), Source = "binance" });
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 101, EventName = "PollFailed", Level = LogLevel.Warning, Message = "Polling {Family} failed: {Problem}")]
    private static partial void LogPollFailed(ILogger logger, string family, string problem);

    [LoggerMessage(EventId = 103, EventName = "PollScheduleStretched", Level = LogLevel.Warning, Message = "The {Family} weight budget cannot poll {Count} instruments every {Wanted:0.#} s: polling them every {Actual:0.#} s (raise BudgetShare, lower MaxOiAge demands, or track fewer symbols)")]
    private static partial void LogStretched(ILogger logger, string family, int count, double actual, double wanted);

    [LoggerMessage(EventId = 104, EventName = "PollerFailed", Level = LogLevel.Error, Message = "A {Api} poll worker failed unexpectedly; it goes on in {Seconds:0.#} s")]
    private static partial void LogUnexpected(ILogger logger, string api, double seconds, Exception exception);

    [LoggerMessage(EventId = 102, EventName = "InstrumentDropped", Level = LogLevel.Information, Message = "Stopped polling {Symbol}: {Problem}")]
    private static partial void LogDropped(ILogger logger, string symbol, string problem);

    private sealed class Item(InstrumentInfo info)
    {
        public InstrumentInfo Info { get; } = info;

        public ApiFamily Family { get; } = info.Market switch { Market.UsdM => ApiFamily.UsdM, Market.CoinM => ApiFamily.CoinM, _ => ApiFamily.Options };

        public long NextDue { get; set; }

        public long LastTime { get; set; }

        public bool InFlight { get; set; }

        public bool Hot { get; set; }

        public bool Largest { get; set; }

        public double Usd { get; set; }

        public int Failures { get; set; }
    }
}
