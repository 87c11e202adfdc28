using System.Globalization;
using OiStream.Binance.Rest;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Server.Hubs;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Api;

/// <summary>
/// REST of protocol v1 (design section 6): instruments, the CoinGlass-compatible exchange list, the Binance-compatible
/// history, health and status. Bad input answers 4xx with <c>{"code":…,"msg":"what is wrong and how to fix it"}</c>;
/// never a 500.
/// </summary>
public static class OiApi
{
    /// <summary>Maps <c>/api/v1/*</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapOiApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/instruments", (MarketEngine engine) => Results.Ok(engine.GetInstruments()));
        api.MapGet("/instruments/{symbol}", (string symbol, MarketEngine engine) =>
            engine.TryGetInstrument(symbol, out var state)
                ? Results.Ok(state)
                : Error(404, -1121, $"Unknown symbol '{symbol}'. GET /api/v1/instruments lists the {engine.InstrumentCount} tracked instruments."));
        api.MapGet("/coins", (MarketEngine engine) => Results.Ok(engine.GetCoins()));
        api.MapGet("/open-interest/exchange-list", (string? symbol, MarketEngine engine) => ExchangeList(symbol, engine));
        api.MapHistoryApi();
        api.MapGet("/status", Status);
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/readyz", (FeedHost feeds, EngineService loop, MarketEngine engine) =>
            feeds.Feed is { IsLive: true } && loop.Ready && engine.InstrumentCount > 0
                ? Results.Ok(new { status = "ready", instruments = engine.InstrumentCount })
                : Results.Json(new { status = "warming", message = "Discovering instruments and backfilling history; figures are not complete yet." }, statusCode: 503));
        return app;
    }

    private static IResult Error(int status, int code, string msg) => Results.Json(new { code, msg }, statusCode: status);

    private static IResult ExchangeList(string? symbol, MarketEngine engine)
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return Error(400, -1102, "Parameter 'symbol' is required: a coin such as BTC (e.g. ?symbol=BTC).");
        }
        if (!engine.TryGetCoin(symbol, out var coin))
        {
            return Error(404, -1121, $"Unknown coin '{symbol}': use a base asset such as BTC or ETH.");
        }
        var row = new Dictionary<string, object?>
        {
            ["exchange"] = "Binance",
            ["symbol"] = coin.Coin,
            ["open_interest_usd"] = Math.Round(coin.OpenInterestUsd, 4),
            ["open_interest_quantity"] = Math.Round(coin.OpenInterestCoin, 4),
            ["open_interest_by_stable_coin_margin"] = Math.Round(coin.OpenInterestUsdByStableMargin, 2),
            ["open_interest_quantity_by_coin_margin"] = Math.Round(coin.OpenInterestCoinByCoinMargin, 4),
            ["open_interest_quantity_by_stable_coin_margin"] = Math.Round(coin.OpenInterestCoinByStableMargin, 4),
        };
        foreach (var w in new[] { "5m", "15m", "30m", "1h", "4h", "24h" })
        {
            row["open_interest_change_percent_" + w] = coin.Change.TryGetValue(w, out var v) && v is { } p ? Math.Round(p, 2) : null;
        }
        // Binance is the only exchange OiStream tracks, so "All" (CoinGlass's sum row) equals the Binance row.
        var all = new Dictionary<string, object?>(row) { ["exchange"] = "All" };
        return Results.Ok(new { code = "0", msg = "success", data = new[] { all, row } });
    }

    private static IResult Status(MarketEngine engine, MarketPipeline pipeline, EngineService loop, Publisher publisher, FeedHost feeds,
        StatusBoard board, SubscriptionRegistry registry, HistoryWriter history, HistoryImporter import)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var c = engine.Counters;
        return Results.Ok(new
        {
            source = engine.Source,
            live = feeds.Feed?.IsLive ?? false,
            instruments = engine.InstrumentCount,
            clients = registry.Connections,
            watchedSymbols = registry.Watched.Count,
            feeds = board.Feeds.Values.OrderBy(f => f.Feed, StringComparer.Ordinal),
            history = history.Status,
            historyImport = import.Status,
            streams = feeds.Feed?.Streams.Select(s => new
            {
                feed = s.Name,
                connects = s.Connects,
                frames = s.Frames,
                malformedFrames = s.MalformedFrames,
                watchdogTrips = s.WatchdogTrips,
                lastMessageAgeMs = s.LastMessageAt == 0 ? (long?)null : now - s.LastMessageAt,
                dropped = s.Dropped,
            }),
            polling = feeds.Feed is { } f ? new { polls = f.Poller.Polls, failures = f.Poller.Failures, dropped = f.Poller.Dropped } : null,
            weight = feeds.Governor is { } g
                ? Enum.GetValues<ApiFamily>().Select(family => (family, usage: g.GetUsage(family))).Select(x => new
                {
                    api = x.family.ToString(),
                    limit = x.usage.Limit,
                    budget = x.usage.Budget,
                    usedThisMinute = Math.Max(x.usage.UsedThisMinute, x.usage.ServerUsed),
                    requests = x.usage.Requests,
                    rateLimited = x.usage.RateLimited,
                    banned = x.usage.Banned,
                    bannedUntil = x.usage.BannedUntil > now ? x.usage.BannedUntil : (long?)null,
                })
                : null,
            events = new
            {
                applied = c[ApplyOutcome.Applied],
                replaced = c[ApplyOutcome.Replaced],
                late = c[ApplyOutcome.Late],
                invalid = c[ApplyOutcome.Invalid],
                unknownInstrument = c[ApplyOutcome.UnknownInstrument],
                fromFuture = c[ApplyOutcome.FromFuture],
                droppedInChannel = pipeline.Dropped,
                backlog = pipeline.Backlog,
                droppedPublishBatches = loop.DroppedBatches,
                slowBroadcasts = publisher.SlowBatches,
            },
        });
    }
}
