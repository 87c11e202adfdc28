using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using OiStream.Binance.Rest;
using OiStream.Contracts;
using Microsoft.Extensions.Options;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Server.Configuration;
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
            .WithName("Coins").WithSummary("Every coin aggregate's current state (every venue's futures of a coin, summed; split per venue in exchanges).");
        api.MapGet("/open-interest/exchange-list", ExchangeList)
            .WithName("ExchangeList").WithSummary("CoinGlass-compatible exchange OI table of a coin (?symbol=BTC): All (the sum of every venue, with partial and missing_exchanges), then one row per venue.");
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

    private static Results<Ok<CoinGlassResponse<ExchangeOiRow[]>>, BadRequest<ErrorResponse>, NotFound<ErrorResponse>> ExchangeList(string? symbol, IMarketView engine,
        IOptions<OiStreamOptions> options)
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            return TypedResults.BadRequest(new ErrorResponse(-1102, "Parameter 'symbol' is required: a coin such as BTC (e.g. ?symbol=BTC)."));
        }
        if (!engine.TryGetCoin(symbol, out var coin))
        {
            return TypedResults.NotFound(new ErrorResponse(-1121, $"Unknown coin '{symbol}': use a base asset such as BTC or ETH."));
        }
        // A venue is missing from the sum when its figures for this coin are stale, or when it is enabled but has no
        // instrument at all (down since start). Its last known figures stay in the sum, and the All row says so.
        var listed = engine.GetInstruments().Select(i => i.Exchange).ToHashSet(StringComparer.Ordinal);
        var missing = coin.Exchanges.Where(e => e.Stale).Select(e => e.Exchange)
            .Concat(options.Value.Exchanges.Enabled.Where(e => !listed.Contains(e)))
            .Distinct().Select(ExchangeIds.DisplayName).ToArray();
        var all = Row("All", coin.Coin, coin.OpenInterestUsd, coin.OpenInterestCoin, coin.OpenInterestUsdByStableMargin, coin.OpenInterestCoinByCoinMargin,
            coin.OpenInterestCoinByStableMargin, coin.Change) with { Partial = missing.Length > 0, MissingExchanges = missing };
        var rows = coin.Exchanges.OrderByDescending(e => e.OpenInterestUsd)
            .Select(e => Row(ExchangeIds.DisplayName(e.Exchange), coin.Coin, e.OpenInterestUsd, e.OpenInterestCoin, e.OpenInterestUsdByStableMargin,
                e.OpenInterestCoinByCoinMargin, e.OpenInterestCoinByStableMargin, e.Change) with { Stale = e.Stale });
        return TypedResults.Ok(new CoinGlassResponse<ExchangeOiRow[]>("0", "success", [all, .. rows]));
    }

    private static ExchangeOiRow Row(string exchange, string coin, double usd, double quantity, double usdStable, double quantityCoinMargin, double quantityStable,
        IReadOnlyDictionary<string, double?> change)
    {
        double? Change(string w) => change.TryGetValue(w, out var v) && v is { } p ? Math.Round(p, 2) : null;
        return new ExchangeOiRow(exchange, coin, Math.Round(usd, 4), Math.Round(quantity, 4), Math.Round(usdStable, 2), Math.Round(quantityCoinMargin, 4),
            Math.Round(quantityStable, 4), Change("5m"), Change("15m"), Change("30m"), Change("1h"), Change("4h"), Change("24h"));
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
            [.. board.Loops.Loops.Select(l => new LoopStatus(l.Name, l.Failures, l.Consecutive > 0, l.LastError, l.LastFailureAt == 0 ? null : l.LastFailureAt))],
            feed.Venues ?? []));
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
    [property: JsonPropertyName("open_interest_change_percent_24h")] double? OpenInterestChangePercent24h)
{
    /// <summary>All row: true when a venue's figures are missing or stale (named in <see cref="MissingExchanges"/>).</summary>
    [JsonPropertyName("partial")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Partial { get; init; }

    /// <summary>All row: the venues whose figures are not fresh (their last known values are still in the sums).</summary>
    [JsonPropertyName("missing_exchanges")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? MissingExchanges { get; init; }

    /// <summary>A venue's row: true when none of its readings of this coin is fresh.</summary>
    [JsonPropertyName("stale")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Stale { get; init; }
}

/// <summary>
/// What happened to the events the engine read; the publisher's batches merged while it was behind (their newest
/// states went out, nothing was lost); messages to slow clients coalesced to newer states; clients cut for staying behind.
/// </summary>
public sealed record EventsResponse(long Applied, long Replaced, long Late, long Invalid, long UnknownInstrument, long FromFuture,
    long DroppedInChannel, int Backlog, long MergedPublishBatches, long CoalescedMessages, long ClientsCut);

/// <summary><c>GET /api/v1/status</c>: every stage's latest numbers, from the status board.</summary>
public sealed record StatusResponse(string Source, bool Live, bool ServingStored, int Instruments, int Clients, int WatchedSymbols, IReadOnlyList<FeedStatus> Feeds,
    IReadOnlyList<StreamMetrics> Streams, PollingMetrics? Polling, IReadOnlyList<WeightMetrics>? Weight, EventsResponse Events,
    HistoryStatus? History, ImportStatus? HistoryImport, ClusterStatus? Cluster, IReadOnlyList<LoopStatus> Loops, IReadOnlyList<VenueMetrics> Venues);
