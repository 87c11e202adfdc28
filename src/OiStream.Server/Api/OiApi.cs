using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
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
        var api = app.MapGroup("/api/v1").RequireRateLimiting(AccessControl.RestPolicy)
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(ErrorResponse), ["application/json"]))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ErrorResponse), ["application/json"]))
            .WithTags("OiStream");
        api.MapGet("/instruments", (IMarketView engine) => TypedResults.Ok(engine.GetInstruments()))
            .WithName("Instruments").WithSummary("Every instrument's current state (protocol v1 InstrumentState).");
        api.MapGet("/instruments/{symbol}", Instrument)
            .WithName("Instrument").WithSummary("One instrument's current state; 404 for a symbol that is not tracked.");
        api.MapGet("/coins", (IMarketView engine) => TypedResults.Ok(engine.GetCoins()))
            .WithName("Coins").WithSummary("Every coin aggregate's current state (all Binance contracts of a coin, summed).");
        api.MapGet("/open-interest/exchange-list", ExchangeList)
            .WithName("ExchangeList").WithSummary("CoinGlass-compatible exchange OI table of a coin (?symbol=BTC).");
        api.MapHistoryApi();
        api.MapGet("/status", Status)
            .WithName("Status").WithSummary("Feeds and stages: streams, polling, weight, events, clients, history store and import, background loops.");
        app.MapOiStreamHealthChecks();
        return app;
    }

    private static Results<Ok<InstrumentState>, NotFound<ErrorResponse>> Instrument(string symbol, IMarketView engine) =>
        engine.TryGetInstrument(symbol, out var state)
            ? TypedResults.Ok(state)
            : TypedResults.NotFound(new ErrorResponse(-1121, $"Unknown symbol '{symbol}'. GET /api/v1/instruments lists the {engine.InstrumentCount} tracked instruments."));

    private static Results<Ok<CoinGlassResponse<ExchangeOiRow[]>>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>> ExchangeList(string? symbol, IMarketView engine)
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return TypedResults.BadRequest(new ErrorResponse(-1102, "Parameter 'symbol' is required: a coin such as BTC (e.g. ?symbol=BTC)."));
        }
        if (!engine.TryGetCoin(symbol, out var coin))
        {
            return TypedResults.NotFound(new ErrorResponse(-1121, $"Unknown coin '{symbol}': use a base asset such as BTC or ETH."));
        }
        double? Change(string w) => coin.Change.TryGetValue(w, out var v) && v is { } p ? Math.Round(p, 2) : null;
        var row = new ExchangeOiRow("Binance", coin.Coin, Math.Round(coin.OpenInterestUsd, 4), Math.Round(coin.OpenInterestCoin, 4),
            Math.Round(coin.OpenInterestUsdByStableMargin, 2), Math.Round(coin.OpenInterestCoinByCoinMargin, 4), Math.Round(coin.OpenInterestCoinByStableMargin, 4),
            Change("5m"), Change("15m"), Change("30m"), Change("1h"), Change("4h"), Change("24h"));
        // Binance is the only exchange OiStream tracks, so "All" (CoinGlass's sum row) equals the Binance row.
        return TypedResults.Ok(new CoinGlassResponse<ExchangeOiRow[]>("0", "success", [row with { Exchange = "All" }, row]));
    }

    // Everything here comes from the status board, where each stage records its own numbers.
    private static Ok<StatusResponse> Status(IMarketView engine, StatusBoard board, SubscriptionRegistry registry)
    {
        var feed = board.Feed;
        var e = board.Engine;
        return TypedResults.Ok(new StatusResponse(
            engine.Source, feed.Live, feed.ServingStored, e.Instruments, registry.Connections, registry.Watched.Count,
            [.. board.Feeds.Values.OrderBy(f => f.Feed, StringComparer.Ordinal)],
            feed.Streams, feed.Polling, feed.Weight,
            new EventsResponse(e.Applied, e.Replaced, e.Late, e.Invalid, e.UnknownInstrument, e.FromFuture, e.DroppedInChannel, e.Backlog,
                e.MergedPublishBatches, board.Coalesced, board.ClientsCut),
            board.History, board.Import, board.Cluster is { } cluster ? cluster with { Replication = board.Replication } : null,
            [.. board.Loops.Loops.Select(l => new LoopStatus(l.Name, l.Failures, l.Consecutive > 0, l.LastError, l.LastFailureAt == 0 ? null : l.LastFailureAt))]));
    }
}

/// <summary>One row of CoinGlass's exchange OI table (seeds/002's field names).</summary>
public sealed record ExchangeOiRow(
    [property: JsonPropertyName("exchange")] string Exchange,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("open_interest_usd")] double OpenInterestUsd,
    [property: JsonPropertyName("open_interest_quantity")] double OpenInterestQuantity,
    [property: JsonPropertyName("open_interest_by_stable_coin_margin")] double OpenInterestByStableCoinMargin,
    [property: JsonPropertyName("open_interest_quantity_by_coin_margin")] double OpenInterestQuantityByCoinMargin,
    [property: JsonPropertyName("open_interest_quantity_by_stable_coin_margin")] double OpenInterestQuantityByStableCoinMargin,
    [property: JsonPropertyName("open_interest_change_percent_5m")] double? OpenInterestChangePercent5m,
    [property: JsonPropertyName("open_interest_change_percent_15m")] double? OpenInterestChangePercent15m,
    [property: JsonPropertyName("open_interest_change_percent_30m")] double? OpenInterestChangePercent30m,
    [property: JsonPropertyName("open_interest_change_percent_1h")] double? OpenInterestChangePercent1h,
    [property: JsonPropertyName("open_interest_change_percent_4h")] double? OpenInterestChangePercent4h,
    [property: JsonPropertyName("open_interest_change_percent_24h")] double? OpenInterestChangePercent24h);

/// <summary>
/// What happened to the events the engine read; the publisher's batches merged while it was behind (their newest
/// states went out, nothing was lost); messages to slow clients coalesced to newer states; clients cut for staying behind.
/// </summary>
public sealed record EventsResponse(long Applied, long Replaced, long Late, long Invalid, long UnknownInstrument, long FromFuture,
    long DroppedInChannel, int Backlog, long MergedPublishBatches, long CoalescedMessages, long ClientsCut);

/// <summary><c>GET /api/v1/status</c>: every stage's latest numbers, from the status board.</summary>
public sealed record StatusResponse(string Source, bool Live, bool ServingStored, int Instruments, int Clients, int WatchedSymbols, IReadOnlyList<FeedStatus> Feeds,
    IReadOnlyList<StreamMetrics> Streams, PollingMetrics? Polling, IReadOnlyList<WeightMetrics>? Weight, EventsResponse Events,
    HistoryStatus? History, ImportStatus? HistoryImport, ClusterStatus? Cluster, IReadOnlyList<LoopStatus> Loops);
