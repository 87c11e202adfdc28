using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Bybit.Streams;
using OiStream.Bybit.Wire;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Feeds;

namespace OiStream.Bybit;

/// <summary>
/// The Bybit source: linear (USDT, USDC) and inverse contracts from <c>/v5/market/instruments-info</c>, five-minute OI
/// history from <c>/v5/market/open-interest</c> valued with <c>/v5/market/mark-price-kline</c>, the REST tickers as
/// seed and fallback, and the <c>tickers.{symbol}</c> stream (a snapshot, then deltas of changed fields) on one socket
/// per category. Open interest is single-sided (<c>singleOpenInterest</c>, or half of <c>openInterest</c>): linear in
/// coins, inverse in USD (1 USD a contract).
/// </summary>
public sealed partial class BybitFeed : PushFeed
{
    /// <summary>Bybit's IP limit: 600 requests in any 5 s, for all REST.</summary>
    public const int RequestsPer5s = 600;

    private const int TopicsPerRequest = 100;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BanPause = TimeSpan.FromMinutes(10);
    private Dictionary<string, (string Id, bool Inverse)> _symbols = new(StringComparer.Ordinal);

    /// <summary>Creates the feed.</summary>
    public BybitFeed(VenueOptions options, HttpClient http, ChannelWriter<MarketEvent> writer, TimeProvider time, ILogger<BybitFeed> logger, IHistorySeed? seed = null)
        : base(ExchangeIds.Bybit, options, http, writer, time, logger, seed)
    {
    }

    /// <summary>Instruments per page of <c>instruments-info</c> (Bybit: 1 to 1000).</summary>
    public int PageSize { get; init; } = 1000;

    private long _orphanDeltas;
    private long _rejectedTopics;

    /// <summary>Frames whose delta came before any snapshot (after a reconnect): ignored.</summary>
    public long OrphanDeltas => Interlocked.Read(ref _orphanDeltas);

    /// <summary>Subscriptions Bybit refused (unknown or delisted symbols).</summary>
    public long RejectedTopics => Interlocked.Read(ref _rejectedTopics);

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<InstrumentInfo>> DiscoverAsync(CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(Options.Symbols, StringComparer.OrdinalIgnoreCase);
        var list = new List<InstrumentInfo>();
        var symbols = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (var category in new[] { "linear", "inverse" })
        {
            string? cursor = null;
            do
            {
                var path = $"/v5/market/instruments-info?category={category}&limit={PageSize}" + (string.IsNullOrEmpty(cursor) ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                var page = Parse<BybitInstrumentPage>(await GetAsync(path, "all", RequestsPer5s, Window, BanPause, cancellationToken), "instruments-info");
                foreach (var i in page.List)
                {
                    if (i.Status != "Trading" || (wanted.Count > 0 && !wanted.Contains(i.Symbol)))
                    {
                        continue;
                    }
                    var id = ExchangeIds.Id(ExchangeIds.Bybit, i.Symbol);
                    // Linear quantities are base coins (valued like USDⓈ-M); inverse ones are USD, 1 a contract (like COIN-M).
                    list.Add(new InstrumentInfo(id, i.IsInverse ? Market.CoinM : Market.UsdM, i.BaseCoin, i.IsPerpetual ? "PERPETUAL" : "FUTURES", 1,
                        i.IsInverse ? "USD" : i.SettleCoin));
                    symbols[i.Symbol] = (id, i.IsInverse);
                }
                cursor = page.NextPageCursor;
            }
            while (!string.IsNullOrEmpty(cursor));
        }
        _symbols = symbols;
        return list;
    }

    /// <inheritdoc />
    protected override async Task<List<MarketEvent>> BackfillAsync(IReadOnlyDictionary<string, long> heldUntil, CancellationToken cancellationToken)
    {
        var rows = new List<MarketEvent>();
        var to = Now();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(_symbols.Select(async pair =>
        {
            var (symbol, (id, inverse)) = (pair.Key, pair.Value);
            if (BackfillFrom(heldUntil, id, to) is not { } from)
            {
                return;
            }
            await gate.WaitAsync(cancellationToken);
            try
            {
                var category = inverse ? "inverse" : "linear";
                var oi = await PagesAsync(category, symbol, from, to, cancellationToken);
                var marks = await MarksAsync(category, symbol, from, to, cancellationToken);
                lock (rows)
                {
                    foreach (var (time, single) in oi)
                    {
                        if (!marks.TryGetValue(time, out var mark) || mark <= 0)
                        {
                            continue; // a row is valued with the mark of its own five minutes, or not used
                        }
                        // History rows: linear (coins, USD); inverse (USD contracts, coins).
                        rows.Add(inverse
                            ? MarketEvent.History(id, time, single, single / mark)
                            : MarketEvent.History(id, time, single, single * mark));
                    }
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogHistoryFailed(Logger, pair.Key, ex.Message);
            }
            finally
            {
                gate.Release();
            }
        }));
        return rows;
    }

    private async Task<List<(long Time, double Single)>> PagesAsync(string category, string symbol, long from, long to, CancellationToken cancellationToken)
    {
        var result = new List<(long, double)>();
        string? cursor = null;
        do
        {
            // The cursor comes percent-encoded already and goes back unchanged.
            var path = $"/v5/market/open-interest?category={category}&symbol={symbol}&intervalTime=5min&startTime={from}&endTime={to}&limit=200"
                + (string.IsNullOrEmpty(cursor) ? "" : "&cursor=" + cursor);
            var page = Parse<BybitOpenInterestPage>(await GetAsync(path, "all", RequestsPer5s, Window, BanPause, cancellationToken), "open-interest");
            foreach (var row in page.List)
            {
                if (row.Time is { } t && row.SingleSide is { } single && t >= from)
                {
                    result.Add((t, (double)single));
                }
            }
            cursor = page.List.Count > 0 && page.List[^1].Time > from ? page.NextPageCursor : null;
        }
        while (!string.IsNullOrEmpty(cursor));
        return result;
    }

    private async Task<Dictionary<long, double>> MarksAsync(string category, string symbol, long from, long to, CancellationToken cancellationToken)
    {
        var marks = new Dictionary<long, double>();
        for (var end = to; end > from;)
        {
            var path = $"/v5/market/mark-price-kline?category={category}&symbol={symbol}&interval=5&start={from}&end={end}&limit=200";
            var page = Parse<BybitKlinePage>(await GetAsync(path, "all", RequestsPer5s, Window, BanPause, cancellationToken), "mark-price-kline");
            if (page.List.Count == 0)
            {
                break;
            }
            var oldest = long.MaxValue;
            foreach (var k in page.List)
            {
                if (k.Count >= 5 && BybitJson.Millis(k[0]) is { } t && BybitJson.Number(k[4]) is { } close)
                {
                    marks[t] = (double)close;
                    oldest = Math.Min(oldest, t);
                }
            }
            end = oldest - 1;
        }
        return marks;
    }

    /// <inheritdoc />
    protected override async Task PollAsync(CancellationToken cancellationToken)
    {
        foreach (var category in new[] { "linear", "inverse" })
        {
            var page = Parse<BybitTickerPage>(await GetAsync($"/v5/market/tickers?category={category}", "all", RequestsPer5s, Window, BanPause, cancellationToken), "tickers");
            var now = Now();
            foreach (var data in page.List)
            {
                Emit(new TickerUpdate(BybitTicker.From(data), true, true, now));
            }
        }
    }

    /// <inheritdoc />
    protected override IReadOnlyList<WatchedSocket> BuildSockets()
    {
        var sockets = new List<WatchedSocket>();
        foreach (var (category, inverse) in new[] { ("linear", false), ("inverse", true) })
        {
            var topics = _symbols.Where(s => s.Value.Inverse == inverse).Select(s => "tickers." + s.Key).ToList();
            if (topics.Count == 0)
            {
                continue;
            }
            var book = new TickerBook();
            var plan = new SocketPlan($"bybit-{category}-ws", new Uri(Options.Stream!.AbsoluteUri.TrimEnd('/') + "/" + category), ExchangeIds.Bybit,
                "{\"op\":\"ping\"}", TimeSpan.FromSeconds(20), Options.StreamSilence, Options.ReconnectMin, Options.ReconnectMax);
            var socket = new WatchedSocket(plan, () => [.. topics.Chunk(TopicsPerRequest).Select((chunk, n) =>
                JsonSerializer.Serialize(new { req_id = n.ToString(CultureInfo.InvariantCulture), op = "subscribe", args = chunk }))],
                text => OnFrame(book, text), Time, Logger);
            // A new connection starts with snapshots: deltas held from the last one no longer apply.
            socket.Reconnected += book.Clear;
            sockets.Add(socket);
        }
        return sockets;
    }

    // True for a ticker frame (market data); false for an acknowledgement or a pong.
    private bool OnFrame(TickerBook book, string text)
    {
        if (text.Contains("\"op\"", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.TryGetProperty("success", out var ok) && ok.ValueKind == JsonValueKind.False)
            {
                Interlocked.Increment(ref _rejectedTopics);
                LogRefused(Logger, root.TryGetProperty("ret_msg", out var m) ? m.GetString() ?? "" : text);
            }
            return false;
        }
        var before = book.OrphanDeltas;
        var update = book.Apply(text);
        if (update is not null)
        {
            Emit(update);
        }
        Interlocked.Add(ref _orphanDeltas, book.OrphanDeltas - before);
        return update is not null;
    }

    private void Emit(TickerUpdate update)
    {
        if (!_symbols.TryGetValue(update.Ticker.Symbol, out var known))
        {
            return;
        }
        if (update.OpenInterestChanged)
        {
            var oi = BybitOpenInterest.From(update.Ticker, known.Inverse);
            // The engine values linear OI from coins, inverse OI from USD contracts.
            if ((known.Inverse ? oi.Usd : oi.Coin) is { } value)
            {
                Write(MarketEvent.OpenInterest(known.Id, update.Time, (double)value));
            }
        }
        if (update.MarkPriceChanged && update.Ticker.MarkPrice is { } mark)
        {
            Write(MarketEvent.MarkPrice(known.Id, update.Time, (double)mark, update.Ticker.FundingRate is { } f ? (double)f : double.NaN));
        }
    }

    private static T Parse<T>(string body, string what) =>
        (JsonSerializer.Deserialize<BybitResponse<T>>(body, BybitJson.Options) ?? throw new JsonException($"Bybit sent an empty answer to {what}.")).EnsureSuccess(what);

    [LoggerMessage(EventId = 1011, EventName = "BybitHistoryFailed", Level = LogLevel.Warning, Message = "Bybit history of {Symbol} failed: {Problem}")]
    private static partial void LogHistoryFailed(ILogger logger, string symbol, string problem);

    [LoggerMessage(EventId = 1012, EventName = "BybitSubscriptionRefused", Level = LogLevel.Warning, Message = "Bybit refused a subscription: {Message}")]
    private static partial void LogRefused(ILogger logger, string message);
}
