using System.Globalization;
using OiStream.Binance.Rest;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Server.Hubs;
using OiStream.Server.Pipeline;
using OiStream.Server.Security;

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
        // Every REST call counts against its client's rate (429 with Retry-After beyond it); /healthz answers anyone.
        var api = app.MapGroup("/api/v1").RequireRateLimiting(AccessControl.RestPolicy);
        api.MapGet("/instruments", (MarketEngine engine) => Results.Ok(engine.GetInstruments()));
        api.MapGet("/instruments/{symbol}", (string symbol, MarketEngine engine) =>
            engine.TryGetInstrument(symbol, out var state)
                ? Results.Ok(state)
                : Error(404, -1121, $"Unknown symbol '{symbol}'. GET /api/v1/instruments lists the {engine.InstrumentCount} tracked instruments."));
        api.MapGet("/coins", (MarketEngine engine) => Results.Ok(engine.GetCoins()));
        api.MapGet("/open-interest/exchange-list", (string? symbol, MarketEngine engine) => ExchangeList(symbol, engine));
        api.MapHistoryApi();
        api.MapGet("/status", Status);
        app.MapOiStreamHealthChecks();
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

    // Everything here comes from the status board, where each stage records its own numbers.
    private static IResult Status(MarketEngine engine, StatusBoard board, SubscriptionRegistry registry)
    {
        var feed = board.Feed;
        var e = board.Engine;
        return Results.Ok(new
        {
            source = engine.Source,
            live = feed.Live,
            instruments = e.Instruments,
            clients = registry.Connections,
            watchedSymbols = registry.Watched.Count,
            feeds = board.Feeds.Values.OrderBy(f => f.Feed, StringComparer.Ordinal),
            streams = feed.Streams,
            polling = feed.Polling,
            weight = feed.Weight,
            events = new
            {
                applied = e.Applied,
                replaced = e.Replaced,
                late = e.Late,
                invalid = e.Invalid,
                unknownInstrument = e.UnknownInstrument,
                fromFuture = e.FromFuture,
                droppedInChannel = e.DroppedInChannel,
                backlog = e.Backlog,
                droppedPublishBatches = e.DroppedPublishBatches,
                slowBroadcasts = board.SlowBroadcasts,
            },
            history = board.History,
            historyImport = board.Import,
            loops = board.Loops.Loops.Select(l => new LoopStatus(l.Name, l.Failures, l.Consecutive > 0, l.LastError,
                l.LastFailureAt == 0 ? null : l.LastFailureAt)),
        });
    }
}
