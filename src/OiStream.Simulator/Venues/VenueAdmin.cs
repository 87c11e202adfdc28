using System.Globalization;
using OiStream.Simulator.Admin;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;

namespace OiStream.Simulator.Venues;

/// <summary>
/// Faults and ground truth of the Bybit and OKX faces, under <c>/admin/bybit/*</c> and <c>/admin/okx/*</c>, and
/// <c>/admin/freeze</c> for the whole market. Loopback callers only, as every <c>/admin</c> route.
/// </summary>
public static class VenueAdmin
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapVenueAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter(AdminEndpoints.LoopbackOnlyAsync);
        admin.MapPost("/freeze", (string? seconds, SimMarket m, TimeProvider t) => Seconds(seconds) is { } s
            ? Results.Ok(new { fault = "freeze", until = m.FrozenUntil = t.GetUtcNow().ToUnixTimeMilliseconds() + (long)(s * 1000) })
            : Results.BadRequest(new { error = "Give seconds=N (0 to 86400): how long every venue's market stands still." }));
        admin.MapPost("/{venue}/{fault}", (string venue, string fault, string? seconds, string? frames, string? symbol, string? percent,
            BybitSimulator bybit, OkxSimulator okx, SimMarket m, TimeProvider t) =>
        {
            var faults = venue switch { "bybit" => bybit.Faults, "okx" => okx.Faults, _ => null };
            if (faults is null)
            {
                return Results.NotFound(new { error = $"No venue '{venue}': use bybit or okx (Binance's faults are /admin/<fault>)." });
            }
            var now = t.GetUtcNow().ToUnixTimeMilliseconds();
            switch (fault)
            {
                case "drop-sockets":
                    return Results.Ok(new { dropped = venue == "bybit" ? bybit.DropAll() : okx.DropAll() });
                case "silent" or "rate-limit-storm" or "http5xx" or "ban":
                    if (Seconds(seconds) is not { } s)
                    {
                        return Results.BadRequest(new { error = $"Give seconds=N (0 to 86400): how long '{fault}' lasts." });
                    }
                    var until = now + (long)(s * 1000);
                    switch (fault)
                    {
                        case "silent": faults.SilentUntil = until; break;
                        case "rate-limit-storm": faults.StormUntil = until; break;
                        case "http5xx": faults.Http5xxUntil = until; break;
                        default:
                            if (venue != "bybit")
                            {
                                return Results.BadRequest(new { error = "Only Bybit bans an IP (HTTP 403); OKX answers each request over its limit 429 50011: use rate-limit-storm." });
                            }
                            bybit.Ban("127.0.0.1", until);
                            bybit.Ban("::1", until);
                            break;
                    }
                    return Results.Ok(new { fault, until });
                case "malformed":
                    if (!int.TryParse(frames, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
                    {
                        return Results.BadRequest(new { error = "Give frames=N (0 to 100000): how many frames to send malformed." });
                    }
                    faults.MalformedFrames = n;
                    return Results.Ok(new { malformedFrames = n });
                case "shock":
                    if (string.IsNullOrWhiteSpace(symbol) || !double.TryParse(percent, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p <= -100 || p > 1000)
                    {
                        return Results.BadRequest(new { error = "Give symbol=<the venue's symbol>&percent=P (P > -100): OI changes by P % at the next second." });
                    }
                    return m.Shock(venue + ":" + symbol, 1 + (p / 100))
                        ? Results.Ok(new { venue, symbol, percent = p })
                        : Results.NotFound(new { error = $"No {venue} contract '{symbol}'; the venue's symbols are case-sensitive, e.g. BTCUSDT or BTC-USDT-SWAP." });
                case "reset":
                    faults.SilentUntil = faults.StormUntil = faults.Http5xxUntil = 0;
                    faults.MalformedFrames = 0;
                    if (venue == "bybit")
                    {
                        bybit.Ban("127.0.0.1", 0);
                        bybit.Ban("::1", 0);
                    }
                    return Results.Ok();
                default:
                    return Results.NotFound(new { error = $"No fault '{fault}': use drop-sockets, silent, rate-limit-storm, http5xx, ban (bybit), malformed, shock or reset." });
            }
        });
        admin.MapGet("/{venue}/truth", (string venue, string? coin, string? symbol, SimMarket m) =>
        {
            if (venue is not ("bybit" or "okx"))
            {
                return Results.NotFound(new { error = $"No venue '{venue}': use bybit or okx." });
            }
            lock (m.Gate)
            {
                var rows = m.VenueContracts(venue).Where(v => v.IsTrading
                    && (coin is null || string.Equals(v.BaseCoin, coin, StringComparison.OrdinalIgnoreCase))
                    && (symbol is null || v.Symbol == symbol))
                    .Select(v => new
                    {
                        symbol = v.Symbol,
                        coin = v.BaseCoin,
                        margin = v.Kind == VenueKind.Linear ? "stable" : "coin",
                        openInterestCoin = v.TrueCoin,
                        openInterestUsd = v.TrueUsd,
                        markPrice = v.MarkPrice,
                        oiTime = v.OiTime,
                    }).ToList();
                return Results.Ok(rows);
            }
        });
        return app;
    }

    private static double? Seconds(string? text)
    {
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s <= 86_400 ? s : null;
    }
}
