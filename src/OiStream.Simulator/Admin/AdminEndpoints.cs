using System.Globalization;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;
using OiStream.Simulator.Streams;

namespace OiStream.Simulator.Admin;

/// <summary>
/// Fault injection and ground truth, under <c>/admin</c>: clearly apart from every Binance path. Each fault takes its
/// size in the query string, e.g. <c>POST /admin/silent?seconds=30</c>.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>Refuses (403) a caller that is not on this machine.</summary>
    public static ValueTask<object?> LoopbackOnlyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var remote = context.HttpContext.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }
        return remote is not null && System.Net.IPAddress.IsLoopback(remote)
            ? next(context)
            : ValueTask.FromResult<object?>(Results.Json(
                new { error = $"The simulator's /admin routes answer callers on this machine only; {remote?.ToString() ?? "an unknown address"} is not. Call them from 127.0.0.1." },
                statusCode: StatusCodes.Status403Forbidden));
    }

    /// <summary>Maps <c>/admin/*</c>.</summary>
    public static IEndpointRouteBuilder MapSimulatorAdmin(this IEndpointRouteBuilder app)
    {
        // Faults and ground truth are for the tests and demos on this machine: a caller from elsewhere is refused, even
        // when the simulator was told to listen beyond loopback.
        var admin = app.MapGroup("/admin").AddEndpointFilter(LoopbackOnlyAsync);
        admin.MapPost("/drop-sockets", (StreamHub hub) => Results.Ok(new { dropped = hub.DropAll() }));
        admin.MapPost("/silent", (string? seconds, Faults f, TimeProvider t) => Until(seconds, t, v => f.SilentUntil = v, "silent"));
        admin.MapPost("/http5xx", (string? seconds, Faults f, TimeProvider t) => Until(seconds, t, v => f.Http5xxUntil = v, "http5xx"));
        admin.MapPost("/rate-limit-storm", (string? seconds, Faults f, TimeProvider t) => Until(seconds, t, v => f.StormUntil = v, "rate-limit-storm"));
        admin.MapPost("/ban", (string? seconds, string? ip, WeightLimiter limiter, TimeProvider t) =>
            Until(seconds, t, v => limiter.Ban(string.IsNullOrEmpty(ip) ? "127.0.0.1" : ip, v), "ban"));
        admin.MapPost("/malformed", (string? frames, Faults f) =>
        {
            if (!int.TryParse(frames, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
            {
                return Results.BadRequest(new { error = "Give frames=N (0 to 100000): how many frames to send malformed." });
            }
            f.MalformedFrames = n;
            return Results.Ok(new { malformedFrames = n });
        });
        admin.MapPost("/latency", (string? ms, Faults f) =>
        {
            if (!int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 60_000)
            {
                return Results.BadRequest(new { error = "Give ms=N (0 to 60000): latency added to every REST response." });
            }
            f.LatencyMs = n;
            return Results.Ok(new { latencyMs = n });
        });
        admin.MapPost("/shock", (string? symbol, string? percent, SimMarket m) =>
        {
            if (string.IsNullOrWhiteSpace(symbol) || !double.TryParse(percent, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p <= -100 || p > 1000)
            {
                return Results.BadRequest(new { error = "Give symbol=BTCUSDT&percent=P (P > -100): OI changes by P % at the next second (positive: spike, negative: flush)." });
            }
            return m.Shock(symbol.ToUpperInvariant(), 1 + (p / 100))
                ? Results.Ok(new { symbol = symbol.ToUpperInvariant(), percent = p })
                : Results.NotFound(new { error = $"No contract '{symbol}'; use a symbol from /fapi/v1/exchangeInfo or /dapi/v1/exchangeInfo." });
        });
        admin.MapPost("/reset", (Faults f) =>
        {
            f.SilentUntil = f.Http5xxUntil = f.StormUntil = 0;
            f.MalformedFrames = 0;
            f.LatencyMs = 0;
            return Results.Ok();
        });
        admin.MapGet("/truth", (string? symbol, SimMarket m) =>
        {
            var s = symbol?.ToUpperInvariant() ?? "";
            var i = m.Find(SimVenue.UsdM, s) ?? m.Find(SimVenue.CoinM, s);
            if (i is null)
            {
                return Results.NotFound(new { error = $"No contract '{symbol}'." });
            }
            lock (m.Gate)
            {
                return Results.Ok(new
                {
                    symbol = i.Symbol,
                    venue = i.Venue == SimVenue.UsdM ? "usdm" : "coinm",
                    openInterest = i.OpenInterest,
                    oiTime = i.OiTime,
                    markPrice = i.MarkPrice,
                    priceTime = i.PriceTime,
                    fundingRate = double.IsNaN(i.FundingRate) ? (double?)null : i.FundingRate,
                    contractSize = i.ContractSize,
                });
            }
        });
        admin.MapGet("/stats", (Faults f, StreamHub hub) => Results.Ok(new
        {
            requests = f.Requests,
            tooManyRequests = f.TooManyRequests,
            bans = f.Bans,
            connections = hub.ConnectionCount,
            acceptedConnections = hub.Accepted,
        }));
        return app;
    }

    private static IResult Until(string? seconds, TimeProvider time, Action<long> set, string name)
    {
        if (!double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s < 0 || s > 86_400)
        {
            return Results.BadRequest(new { error = $"Give seconds=N (0 to 86400): how long '{name}' lasts." });
        }
        var until = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)(s * 1000);
        set(until);
        return Results.Ok(new { fault = name, until });
    }
}
