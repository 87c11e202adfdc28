using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;

namespace OiStream.Simulator.Venues;

/// <summary>
/// The simulated OKX v5 public API, written from fact-sheet sections 3 and 6 only: the envelope with a string
/// <c>code</c>, instruments classed by <c>ctType</c>, open interest in contracts, coins and USD, mark price, funding,
/// the rubik OI history (arrays of strings, newest first, 1,440 rows), per-endpoint limits answered 429 <c>50011</c>,
/// and the <c>/ws/v5/public</c> channels <c>open-interest</c> (every 3 s when changed) and <c>mark-price</c> (on change,
/// and every 10 s regardless) with the text <c>ping</c>/<c>pong</c> keep-alive.
/// </summary>
public sealed class OkxSimulator(SimMarket market, SimulatorOptions options, TimeProvider time)
{
    private static readonly Dictionary<string, long> Periods = new(StringComparer.Ordinal)
    {
        ["5m"] = 300_000, ["15m"] = 900_000, ["30m"] = 1_800_000, ["1H"] = 3_600_000, ["2H"] = 7_200_000, ["4H"] = 14_400_000,
        ["6Hutc"] = 21_600_000, ["12Hutc"] = 43_200_000, ["1Dutc"] = 86_400_000,
    };

    private static readonly string[] Channels = ["open-interest", "mark-price", "funding-rate"];
    private readonly ConcurrentDictionary<VenueSocket, byte> _sockets = new();
    private readonly SlidingLimiter _limiter = new(time);
    private long _tick;

    /// <summary>Faults of this venue (<c>/admin/okx/*</c>).</summary>
    public Faults Faults { get; } = new();

    /// <summary>Open connections.</summary>
    public int ConnectionCount => _sockets.Count;

    /// <summary>Aborts every connection (the drop fault).</summary>
    public int DropAll() => VenueSocket.AbortAll(_sockets);

    /// <summary>Maps the REST and WebSocket routes.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api/v5").AddEndpointFilter(async (context, next) =>
        {
            Faults.CountRequest();
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (Faults.Http5xxUntil > now)
            {
                return Json(StatusCodes.Status503ServiceUnavailable, "50001", "Service temporarily unavailable. Please try again later.");
            }
            if (Faults.LatencyMs > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Faults.LatencyMs), time, context.HttpContext.RequestAborted);
            }
            return await next(context);
        });
        api.MapGet("/public/instruments", IResult (HttpContext c, string? instType, string? instId) =>
            Limited(c, "instruments:" + instType, 20) ?? Instruments(instType, instId));
        api.MapGet("/public/open-interest", IResult (HttpContext c, string? instType, string? instId) =>
            Limited(c, "open-interest:" + (instId ?? instType), 20) ?? OpenInterest(instType, instId));
        api.MapGet("/public/mark-price", IResult (HttpContext c, string? instType, string? instId) =>
            Limited(c, "mark-price:" + (instId ?? instType), 10) ?? MarkPrice(instType, instId));
        api.MapGet("/public/funding-rate", IResult (HttpContext c, string? instId) =>
            Limited(c, "funding-rate:" + instId, 10) ?? FundingRate(instId));
        api.MapGet("/rubik/stat/contracts/open-interest-history", IResult (HttpContext c, string? instId, string? period, string? begin, string? end, string? limit) =>
            Limited(c, "oi-history:" + instId, 10) ?? History(instId, period, begin, end, limit));
        app.Map("/ws/v5/public", Connect);
    }

    // OKX allows 3 connection requests per second per IP.
    private Task Connect(HttpContext context) =>
        VenueSocket.AcceptAsync(context, _limiter, 3, TimeSpan.FromSeconds(1), "{\"msg\":\"Too Many Requests\",\"code\":\"50011\"}", _sockets, OnText, time);

    // OKX limits per IP, endpoint and instrument (or type) in 2 s windows; a refused request is not queued.
    private IResult? Limited(HttpContext context, string key, int perTwoSeconds)
    {
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (Faults.StormUntil > time.GetUtcNow().ToUnixTimeMilliseconds() || !_limiter.TryTake(ip + "|" + key, perTwoSeconds, TimeSpan.FromSeconds(2)))
        {
            Faults.CountTooManyRequests();
            return Results.Text("{\"msg\":\"Too Many Requests\",\"code\":\"50011\"}", "application/json", statusCode: StatusCodes.Status429TooManyRequests);
        }
        return null;
    }

    private static IResult Json(int status, string code, string message) =>
        Results.Text(JsonSerializer.Serialize(new { code, msg = message, data = Array.Empty<object>() }), "application/json", statusCode: status);

    private static IResult Data(IEnumerable<object> rows) =>
        Results.Text(JsonSerializer.Serialize(new { code = "0", msg = "", data = rows }), "application/json");

    private static IResult Empty(string param) => Json(StatusCodes.Status400BadRequest, "50014", $"Parameter {param} can not be empty.");

    private static IResult NoSuchInstrument() => Json(StatusCodes.Status200OK, "51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.");

    private static string TypeOf(VenueInstrument v) => v.Perpetual ? "SWAP" : "FUTURES";

    private static string Family(VenueInstrument v) => v.Symbol[..v.Symbol.LastIndexOf('-')];

    private List<VenueInstrument> Select(string? instType, string? instId, out IResult? error)
    {
        error = null;
        if (string.IsNullOrEmpty(instType))
        {
            error = Empty("instType");
            return [];
        }
        if (instType is not ("SWAP" or "FUTURES"))
        {
            error = Json(StatusCodes.Status400BadRequest, "51000", "Parameter instType error");
            return [];
        }
        var list = market.VenueContracts("okx").Where(v => v.IsTrading || (v.Status == "preopen" && instId is null)).ToList();
        if (!string.IsNullOrEmpty(instId))
        {
            var one = list.FirstOrDefault(v => v.Symbol == instId);
            if (one is null)
            {
                error = NoSuchInstrument();
                return [];
            }
            if (TypeOf(one) != instType)
            {
                error = Json(StatusCodes.Status200OK, "51015", "Instrument ID doesn't match instrument type.");
                return [];
            }
            return [one];
        }
        return [.. list.Where(v => TypeOf(v) == instType)];
    }

    private IResult Instruments(string? instType, string? instId)
    {
        lock (market.Gate)
        {
            var list = Select(instType, instId, out var error);
            return error ?? Data(list.Select(v => (object)new Dictionary<string, object?>
            {
                ["instType"] = TypeOf(v),
                ["instId"] = v.Symbol,
                ["instFamily"] = Family(v),
                ["uly"] = v.Coin + "-" + (v.Quote == "USD" ? "USD" : v.Quote),
                ["baseCcy"] = "",
                ["quoteCcy"] = "",
                ["settleCcy"] = v.Settle,
                ["ctType"] = v.Kind == VenueKind.Linear ? "linear" : "inverse",
                ["ctVal"] = VenueText.Long(v.ContractValue),
                ["ctMult"] = "1",
                ["ctValCcy"] = v.Kind == VenueKind.Linear ? v.Coin : "USD",
                ["lotSz"] = "0.01",
                ["minSz"] = "0.01",
                ["state"] = v.Status,
                ["ruleType"] = "normal",
                ["listTime"] = VenueText.Ms(v.LaunchTime),
                ["expTime"] = v.Perpetual ? "" : VenueText.Ms(v.Expiry),
                ["instIdCode"] = v.Seed % 100_000,
                ["instCategory"] = "1",
            }));
        }
    }

    /// <summary>The <c>open-interest</c> row of a contract (REST and WebSocket). Call under the market lock.</summary>
    private static Dictionary<string, string> OiRow(VenueInstrument v) => new(StringComparer.Ordinal)
    {
        ["instType"] = TypeOf(v),
        ["instId"] = v.Symbol,
        ["oi"] = VenueText.Long(v.OpenInterest),
        ["oiCcy"] = VenueText.Long(v.TrueCoin),
        ["oiUsd"] = VenueText.Long(v.TrueUsd),
        ["ts"] = VenueText.Ms(v.OiTime),
    };

    private static Dictionary<string, string> MarkRow(VenueInstrument v) => new(StringComparer.Ordinal)
    {
        ["instType"] = TypeOf(v),
        ["instId"] = v.Symbol,
        ["markPx"] = VenueText.Price(v.MarkPrice),
        ["ts"] = VenueText.Ms(v.PriceTime),
    };

    private static Dictionary<string, string> FundingRow(VenueInstrument v) => new(StringComparer.Ordinal)
    {
        ["instType"] = TypeOf(v),
        ["instId"] = v.Symbol,
        ["method"] = "current_period",
        ["fundingRate"] = VenueText.Fixed(v.FundingRate, 16),
        ["fundingTime"] = VenueText.Ms(((v.PriceTime / 28_800_000) + 1) * 28_800_000),
        ["nextFundingTime"] = VenueText.Ms(((v.PriceTime / 28_800_000) + 2) * 28_800_000),
        ["ts"] = VenueText.Ms(v.PriceTime),
    };

    private IResult OpenInterest(string? instType, string? instId)
    {
        lock (market.Gate)
        {
            var list = Select(instType, instId, out var error);
            return error ?? Data(list.Where(v => v.IsTrading).Select(v => (object)OiRow(v)));
        }
    }

    private IResult MarkPrice(string? instType, string? instId)
    {
        lock (market.Gate)
        {
            var list = Select(instType, instId, out var error);
            return error ?? Data(list.Where(v => v.IsTrading).Select(v => (object)MarkRow(v)));
        }
    }

    private IResult FundingRate(string? instId)
    {
        if (string.IsNullOrEmpty(instId))
        {
            return Empty("instId");
        }
        lock (market.Gate)
        {
            var swaps = market.VenueContracts("okx").Where(v => v.IsTrading && v.Perpetual && (instId == "ANY" || v.Symbol == instId)).ToList();
            return swaps.Count == 0 ? NoSuchInstrument() : Data(swaps.Select(v => (object)FundingRow(v)));
        }
    }

    private IResult History(string? instId, string? period, string? begin, string? end, string? limit)
    {
        if (string.IsNullOrEmpty(instId))
        {
            return Empty("instId");
        }
        if (!Periods.TryGetValue(string.IsNullOrEmpty(period) ? "5m" : period, out var step))
        {
            return Json(StatusCodes.Status400BadRequest, "51000", "Parameter period error");
        }
        var size = 100;
        if (limit is not null && (!VenueText.TryInt(limit, out size) || size is < 1 or > 100))
        {
            return Json(StatusCodes.Status400BadRequest, "51000", "Parameter limit error");
        }
        long after = 0;
        var before = long.MaxValue;
        if ((begin is not null && !VenueText.TryLong(begin, out after)) || (end is not null && !VenueText.TryLong(end, out before)))
        {
            return Json(StatusCodes.Status400BadRequest, "51000", "Parameter begin or end error");
        }
        lock (market.Gate)
        {
            var v = market.FindVenue("okx", instId);
            if (v is null || !v.IsTrading)
            {
                return NoSuchInstrument();
            }
            // OKX keeps the latest 1,440 rows of a period; asking before them is an illegal time range.
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var oldest = (now / step * step) - (1439 * step);
            if (end is not null && before <= oldest)
            {
                return Json(StatusCodes.Status200OK, "50030", "Illegal time range");
            }
            // begin and end are exclusive bounds.
            var rows = market.HistoryRows(v, step, Math.Max(after + 1, oldest), before - 1, size);
            rows.Reverse();
            return Results.Text(JsonSerializer.Serialize(new
            {
                code = "0",
                msg = "",
                data = rows.Select(r => new[]
                {
                    VenueText.Ms(r.Time), VenueText.Long(r.OpenInterest), VenueText.Long(Coin(v, r.OpenInterest, r.Price)), VenueText.Long(Usd(v, r.OpenInterest, r.Price)),
                }),
            }), "application/json");
        }
    }

    private static double Coin(VenueInstrument v, double contracts, double price) =>
        v.Kind == VenueKind.Linear ? contracts * v.ContractValue : contracts * v.ContractValue / price;

    private static double Usd(VenueInstrument v, double contracts, double price) =>
        v.Kind == VenueKind.Linear ? contracts * v.ContractValue * price : contracts * v.ContractValue;

    private void OnText(VenueSocket socket, string text)
    {
        if (text == "ping")
        {
            if (Faults.SilentUntil <= time.GetUtcNow().ToUnixTimeMilliseconds())
            {
                socket.Send("pong");
            }
            return;
        }
        JsonNode? node = null;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // Answered below as an invalid request.
        }
        var id = node?["id"]?.ToString();
        var op = node?["op"]?.ToString();
        if (node is null || op is not ("subscribe" or "unsubscribe") || node["args"] is not JsonArray args)
        {
            socket.Send(JsonSerializer.Serialize(new { id, @event = "error", code = "60012", msg = $"Invalid request: {text}", connId = ConnId(socket) }));
            return;
        }
        // OKX counts (un)subscribe requests per connection: 480 an hour.
        if (!_limiter.TryTake("subs|" + ConnId(socket) + "|" + socket.GetHashCode(), 480, TimeSpan.FromHours(1)))
        {
            socket.Send(JsonSerializer.Serialize(new { id, @event = "error", code = "60014", msg = "Requests too frequent.", connId = ConnId(socket) }));
            return;
        }
        foreach (var arg in args)
        {
            var channel = arg?["channel"]?.ToString() ?? "";
            var instId = arg?["instId"]?.ToString() ?? "";
            bool known;
            lock (market.Gate)
            {
                known = Array.IndexOf(Channels, channel) >= 0 && market.FindVenue("okx", instId) is { IsTrading: true } v && (channel != "funding-rate" || v.Perpetual);
            }
            if (!known)
            {
                socket.Send(JsonSerializer.Serialize(new
                {
                    id, @event = "error", code = "60018",
                    msg = $"Wrong URL or channel:{channel},instId:{instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.",
                    connId = ConnId(socket),
                }));
                continue;
            }
            var key = channel + "|" + instId;
            if (op == "subscribe")
            {
                socket.Topics.TryAdd(key, null);
            }
            else
            {
                socket.Topics.TryRemove(key, out _);
            }
            socket.Send(JsonSerializer.Serialize(new { id, @event = op, arg = new { channel, instId }, connId = ConnId(socket) }));
        }
    }

    private static string ConnId(VenueSocket socket) => (socket.Opened & 0xffffffff).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>Pushes what is due this second. Called after each market step.</summary>
    public void Tick(long now)
    {
        var tick = Interlocked.Increment(ref _tick);
        var oiDue = tick % Math.Max(1, options.OkxOpenInterestSeconds) == 0;
        var heartbeat = tick % 10 == 0;
        var silent = Faults.SilentUntil > now;
        var frames = new Dictionary<string, (string Value, string Frame)?>(StringComparer.Ordinal);
        foreach (var socket in _sockets.Keys)
        {
            if (socket.Topics.IsEmpty && now - socket.Opened > 30_000)
            {
                socket.Close(4004, "No data received in 30s.");
                continue;
            }
            if (silent)
            {
                continue;
            }
            foreach (var (key, state) in socket.Topics)
            {
                var bar = key.IndexOf('|', StringComparison.Ordinal);
                var channel = key[..bar];
                var due = channel switch
                {
                    "open-interest" => oiDue,
                    "funding-rate" => tick % 30 == 0,
                    _ => true,
                };
                if (!due)
                {
                    continue;
                }
                if (!frames.TryGetValue(key, out var built))
                {
                    built = Build(channel, key[(bar + 1)..]);
                    frames[key] = built;
                }
                if (built is not { } b)
                {
                    continue;
                }
                // OI goes out when it changed; the mark price when it changed, and every 10 s regardless.
                var changed = state as string != b.Value;
                if (!changed && !(channel == "mark-price" && heartbeat) && channel != "funding-rate")
                {
                    continue;
                }
                socket.Topics[key] = b.Value;
                socket.Send(Faults.TakeMalformed() ? b.Frame[..(b.Frame.Length / 2)] : b.Frame);
            }
        }
    }

    private (string Value, string Frame)? Build(string channel, string instId)
    {
        Dictionary<string, string> row;
        lock (market.Gate)
        {
            if (market.FindVenue("okx", instId) is not { } v)
            {
                return null;
            }
            row = channel switch
            {
                "open-interest" => OiRow(v),
                "mark-price" => MarkRow(v),
                _ => FundingRow(v),
            };
        }
        var value = channel switch
        {
            "open-interest" => row["oi"],
            "mark-price" => row["markPx"],
            _ => row["fundingRate"],
        };
        return (value, JsonSerializer.Serialize(new { arg = new { channel, instId }, data = new[] { row } }));
    }
}
