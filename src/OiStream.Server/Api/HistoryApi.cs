using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
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

/// <summary>The query of the Binance-shaped history (every value as text, so a bad one gets an answer that names it).</summary>
public sealed record BinanceHistoryQuery(
    [property: FromQuery(Name = "symbol")] [property: Description("An instrument (BTCUSDT, BTCUSD_PERP, BTC-261225) or a coin (BTC).")] string? Symbol,
    [property: FromQuery(Name = "period")] [property: Description("5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h or 1d (default 5m).")] string? Period,
    [property: FromQuery(Name = "limit")] [property: Description("Rows, 1 to 500 (default 30).")] string? Limit,
    [property: FromQuery(Name = "startTime")] [property: Description("Unix ms: rows from here on (oldest first).")] string? StartTime,
    [property: FromQuery(Name = "endTime")] [property: Description("Unix ms: rows up to here (default now).")] string? EndTime);

/// <summary>The query of the OI candles.</summary>
public sealed record CandleQuery(
    [property: FromQuery(Name = "symbol")] [property: Description("An instrument (ohlc-history) or a coin (aggregated-history).")] string? Symbol,
    [property: FromQuery(Name = "interval")] [property: Description("1m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h or 1d (default 1h).")] string? Interval,
    [property: FromQuery(Name = "limit")] [property: Description("Candles, 1 to 4500 (default 500).")] string? Limit,
    [property: FromQuery(Name = "startTime")] [property: Description("Unix ms: candles from here on.")] string? StartTime,
    [property: FromQuery(Name = "endTime")] [property: Description("Unix ms: candles up to here (default now).")] string? EndTime);

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
        api.MapGet("/open-interest/history", BinanceHistoryAsync)
            .WithName("History").WithSummary("Binance-compatible openInterestHist rows of an instrument or a coin, from OiStream's store.");
        api.MapGet("/open-interest/ohlc-history", ([AsParameters] CandleQuery q, IMarketView e, IHistoryStore s, CancellationToken t) => OhlcAsync(q, e, s, SeriesKind.Instrument, t))
            .WithName("OhlcHistory").WithSummary("CoinGlass-shaped OI candles (open interest in coins) of an instrument.");
        api.MapGet("/open-interest/aggregated-history", ([AsParameters] CandleQuery q, IMarketView e, IHistoryStore s, CancellationToken t) => OhlcAsync(q, e, s, SeriesKind.Coin, t))
            .WithName("AggregatedHistory").WithSummary("CoinGlass-shaped OI candles of a coin aggregate.");
        api.MapGet("/open-interest/held", HeldAsync)
            .WithName("Held").WithSummary("The span of history the store holds for an instrument or a coin.");
        return api;
    }

    // A refused query: 404 for a symbol that is not tracked, 400 for anything else.
    private sealed record Refusal(bool NotFound, ErrorResponse Body)
    {
        public static Refusal Bad(int code, string msg) => new(false, new ErrorResponse(code, msg));

        public static Refusal Unknown(int code, string msg) => new(true, new ErrorResponse(code, msg));
    }

    private static Results<Ok<T>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>> Answer<T>(Refusal refusal) =>
        refusal.NotFound ? TypedResults.NotFound(refusal.Body) : TypedResults.BadRequest(refusal.Body);

    /// <summary>The parsed common query: series, interval, limit, range.</summary>
    private sealed record Query(SeriesKey Series, string Market, double ContractSize, long Interval, int Limit, long? Start, long? End);

    private static async Task<Results<Ok<List<HistoryRowResponse>>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>>> BinanceHistoryAsync(
        [AsParameters] BinanceHistoryQuery query, IMarketView engine, IHistoryStore store, CancellationToken cancellationToken)
    {
        // Binance's periods start at 5m; instruments and coins both answer.
        if (Validate(engine, null, query.Symbol, "period", query.Period, "5m", query.Limit, 30, 500, query.StartTime, query.EndTime, minInterval: 300_000, out var q) is { } error)
        {
            return Answer<List<HistoryRowResponse>>(error);
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

    private static async Task<Results<Ok<CoinGlassResponse<List<OhlcCandleResponse>>>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>>> OhlcAsync(
        CandleQuery query, IMarketView engine, IHistoryStore store, SeriesKind kind, CancellationToken cancellationToken)
    {
        if (Validate(engine, kind, query.Symbol, "interval", query.Interval, "1h", query.Limit, 500, 4500, query.StartTime, query.EndTime, minInterval: 60_000, out var q) is { } error)
        {
            return Answer<CoinGlassResponse<List<OhlcCandleResponse>>>(error);
        }
        var to = q.End ?? Now();
        var from = q.Start ?? long.MinValue / 2;
        var candles = await store.ReadAsync(q.Series, q.Interval, from, to, q.Limit, q.Start is not null, cancellationToken);
        var data = candles.Select(c => new OhlcCandleResponse(c.Time, Round(c.Open), Round(c.High), Round(c.Low), Round(c.Close))).ToList();
        return TypedResults.Ok(new CoinGlassResponse<List<OhlcCandleResponse>>("0", "success", data));
    }

    private static async Task<Results<Ok<HeldResponse>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>>> HeldAsync(
        [FromQuery(Name = "symbol")] string? symbol, IMarketView engine, IHistoryStore store, CancellationToken cancellationToken)
    {
        if (Resolve(engine, symbol, null) is not { } series)
        {
            var refusal = new ErrorResponse(-1121, $"Unknown or missing 'symbol' '{symbol}': give an instrument (BTCUSDT) or a coin (BTC).");
            return string.IsNullOrWhiteSpace(symbol) ? TypedResults.BadRequest(refusal) : TypedResults.NotFound(refusal);
        }
        var extent = await store.GetExtentAsync(series.Key, cancellationToken);
        return TypedResults.Ok(new HeldResponse(series.Key.Name, series.Key.Kind == SeriesKind.Coin ? "coin" : "instrument", extent?.Oldest, extent is { } e ? e.Newest + 60_000 : null));
    }

    /// <summary>What the store holds for one series: [from, to) in Unix ms, null when nothing.</summary>
    public sealed record HeldResponse(string Symbol, string Kind, long? From, long? To);

    private static (SeriesKey Key, string Market, double ContractSize)? Resolve(IMarketView engine, string? symbol, SeriesKind? kind)
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

    private static Refusal? Validate(IMarketView engine, SeriesKind? kind, string? symbol, string intervalName, string? interval, string defaultInterval,
        string? limitText, int defaultLimit, int maxLimit, string? startText, string? endText, long minInterval, out Query query)
    {
        query = null!;
        var example = kind == SeriesKind.Coin ? "BTC" : "BTCUSDT";
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return Refusal.Bad(-1102, $"Parameter 'symbol' is required, e.g. ?symbol={example}&{intervalName}={defaultInterval}.");
        }
        if (Resolve(engine, symbol, kind) is not { } series)
        {
            return Refusal.Unknown(-1121, kind == SeriesKind.Coin
                ? $"Unknown coin '{symbol}': use a base asset such as BTC (GET /api/v1/coins lists them)."
                : $"Unknown symbol '{symbol}'. GET /api/v1/instruments lists the tracked instruments{(kind is null ? " (a coin such as BTC works too)" : "; for a coin use /api/v1/open-interest/aggregated-history")}.");
        }
        var name = interval is { Length: > 0 } p ? p : defaultInterval;
        var allowed = Intervals.Where(kv => kv.Value >= minInterval).Select(kv => kv.Key).ToList();
        if (!Intervals.TryGetValue(name, out var step) || step < minInterval)
        {
            return Refusal.Bad(-1130, $"Parameter '{intervalName}' is '{name}'; use one of {string.Join(", ", allowed)}.");
        }
        var limit = defaultLimit;
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
        {
            return Refusal.Bad(-1130, $"Parameter 'limit' is '{limitText}'; use a whole number from 1 to {maxLimit} (default {defaultLimit}).");
        }
        long? start = null, end = null;
        foreach (var (key, text, set) in new (string, string?, Action<long>)[] { ("startTime", startText, v => start = v), ("endTime", endText, v => end = v) })
        {
            if (text is null)
            {
                continue;
            }
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                return Refusal.Bad(-1130, $"Parameter '{key}' is '{text}'; use Unix milliseconds, e.g. 1763712000000.");
            }
            set(v);
        }
        if (start > end)
        {
            return Refusal.Bad(-1130, "Parameter 'startTime' is after 'endTime'; swap them.");
        }
        query = new Query(series.Key, series.Market, series.ContractSize, step, limit, start, end);
        return null;
    }

    private static string Format(double v) => double.IsFinite(v) ? v.ToString("0.########", CultureInfo.InvariantCulture) : "";

    private static double Round(double v) => Math.Round(v, 8);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
