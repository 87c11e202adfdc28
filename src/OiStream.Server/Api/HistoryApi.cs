using System.Globalization;
using OiStream.Contracts;
using OiStream.Core.Candles;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Storage;

namespace OiStream.Server.Api;

/// <summary>An error: <c>{"code":…,"msg":"what is wrong and how to fix it"}</c>.</summary>
public sealed record ErrorResponse(int Code, string Msg);

/// <summary>One row of the Binance-shaped history (<c>openInterestHist</c>'s fields).</summary>
public sealed record HistoryRowResponse(string Symbol, string SumOpenInterest, string SumOpenInterestValue, long Timestamp);

/// <summary>One CoinGlass-shaped OI candle (open interest in coins; <c>time</c> is the bucket start, Unix ms).</summary>
public sealed record OhlcCandleResponse(long Time, double Open, double High, double Low, double Close);

/// <summary>CoinGlass's envelope: <c>{"code":"0","msg":"success","data":[…]}</c>.</summary>
public sealed record CoinGlassResponse<T>(string Code, string Msg, T Data);

/// <summary>
/// History from OiStream's own store (never a call to the exchange per request): the Binance-shaped
/// <c>/open-interest/history</c>, and the CoinGlass-shaped OI candles per instrument and per coin aggregate.
/// </summary>
public static class HistoryApi
{
    private static readonly Dictionary<string, long> Intervals = new(StringComparer.Ordinal)
    {
        ["1m"] = 60_000, ["5m"] = 300_000, ["15m"] = 900_000, ["30m"] = 1_800_000, ["1h"] = 3_600_000, ["2h"] = 7_200_000,
        ["4h"] = 14_400_000, ["6h"] = 21_600_000, ["12h"] = 43_200_000, ["1d"] = 86_400_000,
    };

    /// <summary>Maps the history endpoints under <paramref name="api"/> (<c>/api/v1</c>).</summary>
    public static RouteGroupBuilder MapHistoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/open-interest/history", BinanceHistoryAsync);
        api.MapGet("/open-interest/ohlc-history", (HttpContext c, MarketEngine e, IHistoryStore s, CancellationToken t) => OhlcAsync(c, e, s, SeriesKind.Instrument, t));
        api.MapGet("/open-interest/aggregated-history", (HttpContext c, MarketEngine e, IHistoryStore s, CancellationToken t) => OhlcAsync(c, e, s, SeriesKind.Coin, t));
        api.MapGet("/open-interest/held", HeldAsync);
        return api;
    }

    private static IResult Error(int status, int code, string msg) => Results.Json(new ErrorResponse(code, msg), statusCode: status);

    /// <summary>The parsed common query: series, interval, limit, range.</summary>
    private sealed record Query(SeriesKey Series, string Market, double ContractSize, long Interval, int Limit, long? Start, long? End);

    private static async Task<IResult> BinanceHistoryAsync(HttpContext context, MarketEngine engine, IHistoryStore store, CancellationToken cancellationToken)
    {
        // Binance's periods start at 5m; instruments and coins both answer.
        if (Validate(context, engine, null, "period", "5m", 30, 500, minInterval: 300_000, out var q) is { } error)
        {
            return error;
        }
        // A row at `timestamp` reports the value at that moment: the close of the bucket that ends there.
        var to = (q.End ?? Now()) - q.Interval;
        var from = q.Start is { } s ? s - q.Interval : long.MinValue / 2;
        var candles = await store.ReadAsync(q.Series, q.Interval, from, to, q.Limit, q.Start is not null, cancellationToken);
        var rows = new List<HistoryRowResponse>(candles.Count);
        foreach (var c in candles)
        {
            // Binance's units: USDⓈ-M (coins, USD), COIN-M (contracts, coins); options and coins (coins, USD).
            var (oi, value) = q.Market switch
            {
                "coinm" => (c.CloseUsd / q.ContractSize, c.Close),
                _ => (c.Close, c.CloseUsd),
            };
            rows.Add(new HistoryRowResponse(q.Series.Name, Format(oi), Format(value), c.End));
        }
        return TypedResults.Ok(rows);
    }

    private static async Task<IResult> OhlcAsync(HttpContext context, MarketEngine engine, IHistoryStore store, SeriesKind kind, CancellationToken cancellationToken)
    {
        if (Validate(context, engine, kind, "interval", "1h", 500, 4500, minInterval: 60_000, out var q) is { } error)
        {
            return error;
        }
        var to = q.End ?? Now();
        var from = q.Start ?? long.MinValue / 2;
        var candles = await store.ReadAsync(q.Series, q.Interval, from, to, q.Limit, q.Start is not null, cancellationToken);
        var data = candles.Select(c => new OhlcCandleResponse(c.Time, Round(c.Open), Round(c.High), Round(c.Low), Round(c.Close))).ToList();
        return TypedResults.Ok(new CoinGlassResponse<List<OhlcCandleResponse>>("0", "success", data));
    }

    private static async Task<IResult> HeldAsync(HttpContext context, MarketEngine engine, IHistoryStore store, CancellationToken cancellationToken)
    {
        string? symbol = context.Request.Query["symbol"];
        if (Resolve(engine, symbol, null) is not { } series)
        {
            return Error(string.IsNullOrWhiteSpace(symbol) ? 400 : 404, -1121, $"Unknown or missing 'symbol' '{symbol}': give an instrument (BTCUSDT) or a coin (BTC).");
        }
        var extent = await store.GetExtentAsync(series.Key, cancellationToken);
        return TypedResults.Ok(new HeldResponse(series.Key.Name, series.Key.Kind == SeriesKind.Coin ? "coin" : "instrument", extent?.Oldest, extent is { } e ? e.Newest + 60_000 : null));
    }

    /// <summary>What the store holds for one series: [from, to) in Unix ms, null when nothing.</summary>
    public sealed record HeldResponse(string Symbol, string Kind, long? From, long? To);

    private static (SeriesKey Key, string Market, double ContractSize)? Resolve(MarketEngine engine, string? symbol, SeriesKind? kind)
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return null;
        }
        if (kind is null or SeriesKind.Instrument && engine.TryGetInfo(symbol, out var info))
        {
            // COIN-M rows are given back in contracts, worth ContractSize USD each.
            return (SeriesKey.Instrument(info.Symbol), info.Market.ToWire(), info.ContractSize);
        }
        if (kind is null or SeriesKind.Coin && engine.TryGetCoin(symbol, out var coin))
        {
            return (SeriesKey.Coin(coin.Coin), "coin", 1);
        }
        return null;
    }

    private static IResult? Validate(HttpContext context, MarketEngine engine, SeriesKind? kind, string intervalName, string defaultInterval, int defaultLimit, int maxLimit, long minInterval, out Query query)
    {
        query = null!;
        var q = context.Request.Query;
        string? symbol = q["symbol"];
        var example = kind == SeriesKind.Coin ? "BTC" : "BTCUSDT";
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return Error(400, -1102, $"Parameter 'symbol' is required, e.g. ?symbol={example}&{intervalName}={defaultInterval}.");
        }
        if (Resolve(engine, symbol, kind) is not { } series)
        {
            return Error(404, -1121, kind == SeriesKind.Coin
                ? $"Unknown coin '{symbol}': use a base asset such as BTC (GET /api/v1/coins lists them)."
                : $"Unknown symbol '{symbol}'. GET /api/v1/instruments lists the tracked instruments{(kind is null ? " (a coin such as BTC works too)" : "; for a coin use /api/v1/open-interest/aggregated-history")}.");
        }
        var name = q[intervalName].ToString() is { Length: > 0 } p ? p : defaultInterval;
        var allowed = Intervals.Where(kv => kv.Value >= minInterval).Select(kv => kv.Key).ToList();
        if (!Intervals.TryGetValue(name, out var step) || step < minInterval)
        {
            return Error(400, -1130, $"Parameter '{intervalName}' is '{name}'; use one of {string.Join(", ", allowed)}.");
        }
        var limit = defaultLimit;
        if (q.ContainsKey("limit") && (!int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
        {
            return Error(400, -1130, $"Parameter 'limit' is '{q["limit"]}'; use a whole number from 1 to {maxLimit} (default {defaultLimit}).");
        }
        long? start = null, end = null;
        foreach (var (key, set) in new (string, Action<long>)[] { ("startTime", v => start = v), ("endTime", v => end = v) })
        {
            if (!q.ContainsKey(key))
            {
                continue;
            }
            if (!long.TryParse(q[key], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                return Error(400, -1130, $"Parameter '{key}' is '{q[key]}'; use Unix milliseconds, e.g. 1763712000000.");
            }
            set(v);
        }
        if (start > end)
        {
            return Error(400, -1130, "Parameter 'startTime' is after 'endTime'; swap them.");
        }
        query = new Query(series.Key, series.Market, series.ContractSize, step, limit, start, end);
        return null;
    }

    private static string Format(double v) => double.IsFinite(v) ? v.ToString("0.########", CultureInfo.InvariantCulture) : "";

    private static double Round(double v) => Math.Round(v, 8);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
