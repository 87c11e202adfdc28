using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;
using OiStream.Server.Security;

namespace OiStream.Server.Api;

/// <summary>
/// <c>/healthz</c> (liveness: the process answers) and <c>/readyz</c> (readiness) through ASP.NET Core health checks:
/// one check for the engine's start-up, one per Binance market the feed tracks, and one for the history store, each read
/// from the status board. Unhealthy (503): the engine is not warm, or a market has no live feed yet. Degraded (still
/// 200: live data flows): a market's socket or polling is failing, or the store refuses writes. The JSON body names
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
        return builder;
    }

    /// <summary>Maps <c>/healthz</c> (anyone may ask) and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapOiStreamHealthChecks(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<OiStreamOptions>>().Value.Binance;
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
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live"), ResponseWriter = WriteAsync })
            .AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            // Only the markets this hub tracks.
            Predicate = r => r.Tags.Contains(Ready) && (!r.Name.StartsWith("binance-", StringComparison.Ordinal) || markets.Contains(r.Name)),
            ResponseWriter = WriteAsync,
        }).RequireRateLimiting(AccessControl.RestPolicy);
        return app;
    }

    // {"status":"Healthy","checks":[{"name":"engine","status":"Healthy","description":"…"}]}
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthResponse(report.Status.ToString(),
            [.. report.Entries.Select(e => new HealthCheckResponse(e.Key, e.Value.Status.ToString(), e.Value.Description ?? e.Value.Exception?.Message))]);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJson.Options, context.RequestAborted);
    }

    private static class HealthJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }

    private sealed class EngineCheck(StatusBoard board) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var e = board.Engine;
            return Task.FromResult(e is { Ready: true, Instruments: > 0 }
                ? HealthCheckResult.Healthy($"{e.Instruments} instruments; start-up history applied, published and stored.")
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
                var discovery = board.Feeds.TryGetValue("discovery", out var d) ? d.Message : "discovering instruments";
                return Task.FromResult(HealthCheckResult.Unhealthy($"Not live yet: {discovery}"));
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

/// <summary>The health endpoints' answer: the overall status and each check's.</summary>
public sealed record HealthResponse(string Status, IReadOnlyList<HealthCheckResponse> Checks);

/// <summary>One health check: its name, status (Healthy, Degraded, Unhealthy) and why.</summary>
public sealed record HealthCheckResponse(string Name, string Status, string? Description);
