using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OiStream.Core.Instruments;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;
using OiStream.Server.Security;

namespace OiStream.Server.Api;

/// <summary>
/// <c>/healthz</c> (liveness: the process answers) and <c>/readyz</c> (readiness) through ASP.NET Core health checks:
/// one check for the engine's start-up, one per Binance market the feed tracks, and one for the history store, each read
/// from the status board. Unhealthy (503): the engine is not warm, or a market has no live feed yet and nothing stored to
/// serve. Degraded (still 200): a market's socket or polling is failing, Binance could not be reached at start and the
/// store's state is served (stale), or the store refuses writes. The JSON body names
/// each check's state and why.
/// </summary>
public static class HealthChecks
{
    private const string Ready = "ready";

    /// <summary>Registers the checks.</summary>
    public static WebApplicationBuilder AddOiStreamHealthChecks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var checks = builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process answers."), tags: ["live"])
            .AddCheck<EngineCheck>("engine", tags: [Ready])
            .AddCheck<HistoryStoreCheck>("history-store", tags: [Ready]);
        foreach (var market in new[] { "usdm", "coinm", "options" })
        {
            checks.Add(new HealthCheckRegistration("binance-" + market,
                sp => new MarketFeedCheck(sp.GetRequiredService<StatusBoard>(), market),
                failureStatus: HealthStatus.Unhealthy, tags: [Ready]));
        }
        foreach (var venue in new[] { ExchangeIds.Bybit, ExchangeIds.Okx })
        {
            checks.Add(new HealthCheckRegistration(venue, sp => new VenueFeedCheck(sp.GetRequiredService<StatusBoard>(), venue),
                failureStatus: HealthStatus.Degraded, tags: [Ready]));
        }
        return builder;
    }

    /// <summary>Maps <c>/healthz</c> (anyone may ask) and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapOiStreamHealthChecks(this IEndpointRouteBuilder app)
    {
        var all = app.ServiceProvider.GetRequiredService<IOptions<OiStreamOptions>>().Value;
        var options = all.Binance;
        var venues = all.Exchanges.Enabled.ToHashSet(StringComparer.Ordinal);
        var markets = new HashSet<string>(StringComparer.Ordinal);
        if (options.UsdM)
        {
            markets.Add("binance-usdm");
        }
        if (options.CoinM)
        {
            markets.Add("binance-coinm");
        }
        if (options.Options)
        {
            markets.Add("binance-options");
        }
        // Route handlers over HealthCheckService (rather than MapHealthChecks), so the OpenAPI document describes them.
        app.MapGet("/healthz", (HealthCheckService health, CancellationToken cancellationToken) =>
                CheckAsync(health, r => r.Tags.Contains("live"), cancellationToken))
            .AllowAnonymous()
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithName("Liveness").WithSummary("Liveness: the process answers.").WithTags("Health");
        app.MapGet("/readyz", (HealthCheckService health, CancellationToken cancellationToken) =>
                CheckAsync(health, r => r.Tags.Contains(Ready) && (!r.Name.StartsWith("binance-", StringComparison.Ordinal) || markets.Contains(r.Name))
                    && (r.Name is not (ExchangeIds.Bybit or ExchangeIds.Okx) || venues.Contains(r.Name)), cancellationToken))
            .RequireRateLimiting(AccessControl.RestPolicy)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithName("Readiness").WithSummary("Readiness: the engine warm, each Binance market tracked live, the history store open; Bybit and OKX live (a venue that is not says degraded, never unhealthy: the others still serve). 503 while any is unhealthy; degraded answers 200.")
            .WithTags("Health");
        return app;
    }

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> CheckAsync(HealthCheckService health, Func<HealthCheckRegistration, bool> predicate,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(predicate, cancellationToken);
        var body = new HealthResponse(report.Status.ToString(),
            [.. report.Entries.Select(e => new HealthCheckResponse(e.Key, e.Value.Status.ToString(), e.Value.Description ?? e.Value.Exception?.Message))]);
        return report.Status == HealthStatus.Unhealthy ? TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable) : TypedResults.Ok(body);
    }

    private sealed class EngineCheck(StatusBoard board) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var e = board.Engine;
            return Task.FromResult(e is { Ready: true, Instruments: > 0 }
                ? HealthCheckResult.Healthy($"{e.Instruments} instruments; start-up history applied, published and stored.")
                : board.Cluster is { Role: "edge" }
                ? HealthCheckResult.Unhealthy($"Edge: {(board.Feeds.TryGetValue("cluster", out var f) ? f.Message : "connecting to Redis")}; no state to serve yet.")
                : board.Cluster is { Leader: false } c
                ? HealthCheckResult.Unhealthy($"Standby: another node holds the leader lease ({c.Lease}) and ingests; this one takes over when it goes.")
                : HealthCheckResult.Unhealthy("Warming: discovering instruments and backfilling history; figures are not complete yet."));
        }
    }

    private sealed class HistoryStoreCheck(StatusBoard board) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var h = board.History;
            return Task.FromResult(h switch
            {
                null => HealthCheckResult.Unhealthy("The history store is not open yet."),
                { State: "degraded" } => HealthCheckResult.Degraded($"{h.Store} refuses writes: {h.LastError} {h.Queued} candles wait, {h.Dropped} dropped. Live data goes on."),
                _ => HealthCheckResult.Healthy($"{h.Store}: {h.Written} candles written, {h.Queued} queued."),
            });
        }
    }

    // A market: unhealthy until the feed is live; degraded while its socket or its polling reports a failure.
    private sealed class MarketFeedCheck(StatusBoard board, string market) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!board.Feed.Live)
            {
                var discovery = board.Cluster is { Role: "edge" } && board.Feeds.TryGetValue("cluster", out var edge)
                    ? $"edge {edge.State}: {edge.Message}"
                    : board.Feeds.TryGetValue("discovery", out var d) ? d.Message : "discovering instruments";
                // With the store's state served (stale, and flagged so), the hub has something true to answer with.
                return Task.FromResult(board.Feed.ServingStored
                    ? HealthCheckResult.Degraded($"Not live, serving what the store holds: {discovery}")
                    : HealthCheckResult.Unhealthy($"Not live yet: {discovery}"));
            }
            var failing = board.Feeds.Values
                .Where(f => (f.Feed == market + "-ws" || f.Feed == market + "-rest") && f.State is not ("connected" or "recovered"))
                .OrderBy(f => f.Feed, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(failing.Count == 0
                ? HealthCheckResult.Healthy("Live: socket and polling connected.")
                : HealthCheckResult.Degraded(string.Join(" ", failing.Select(f => $"{f.Feed} {f.State}: {f.Message}"))));
        }
    }
}

// A pushing venue: degraded (never unhealthy: the other venues still serve) until it is live, and while one of its
// sockets is down or its REST is banned.
internal sealed class VenueFeedCheck(StatusBoard board, string exchange) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var venue = board.Feed.Venues?.FirstOrDefault(v => v.Exchange == exchange);
        if (venue is not { Live: true })
        {
            var why = board.Feeds.TryGetValue(exchange + "-discovery", out var d) ? d.Message : "discovering instruments";
            return Task.FromResult(HealthCheckResult.Degraded($"{exchange} not live yet: {why}"));
        }
        var failing = board.Feeds.Values
            .Where(f => f.Feed.StartsWith(exchange + "-", StringComparison.Ordinal)
                && ((f.Feed.EndsWith("-ws", StringComparison.Ordinal) && f.State is not ("connected" or "recovered")) || f.State == "banned"))
            .OrderBy(f => f.Feed, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(failing.Count == 0
            ? HealthCheckResult.Healthy($"{exchange} live: {venue.Instruments} instruments")
            : HealthCheckResult.Degraded(string.Join(" ", failing.Select(f => $"{f.Feed} {f.State}: {f.Message}"))));
    }
}

/// <summary>The health endpoints' answer: the overall status and each check's.</summary>
public sealed record HealthResponse(string Status, IReadOnlyList<HealthCheckResponse> Checks);

/// <summary>One health check: its name, status (Healthy, Degraded, Unhealthy) and why.</summary>
public sealed record HealthCheckResponse(string Name, string Status, string? Description);
