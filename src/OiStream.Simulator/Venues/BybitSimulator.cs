using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;

namespace OiStream.Simulator.Venues;

/// <summary>
/// The simulated Bybit v5 public market API, written from fact-sheet sections 2 and 6 only: the envelope with
/// <c>retCode</c>, instruments-info pages, tickers, open-interest history with its cursor, the IP limit (600 per 5 s,
/// then HTTP 403 and a ban), and the <c>tickers.{symbol}</c> WebSocket topic (a snapshot, then deltas of the changed
/// fields only) on <c>/v5/public/linear</c> and <c>/v5/public/inverse</c>. Open interest is served two-sided in
/// <c>openInterest</c> and single-sided in <c>singleOpenInterest</c>, as Bybit does since 2026-06-11.
/// </summary>
public sealed class BybitSimulator(SimMarket market, SimulatorOptions options, TimeProvider time)
{
    private static readonly string[] Intervals = ["5min", "15min", "30min", "1h", "4h", "1d"];
    private readonly ConcurrentDictionary<VenueSocket, byte> _sockets = new();
    private readonly ConcurrentDictionary<string, long> _bans = new(StringComparer.Ordinal);
    private readonly SlidingLimiter _limiter = new(time);
    private long _crossSequence = 764_144_442_982;

    /// <summary>Faults of this venue (<c>/admin/bybit/*</c>).</summary>
    public Faults Faults { get; } = new();

    /// <summary>Open connections.</summary>
    public int ConnectionCount => _sockets.Count;

    /// <summary>Bans the IP until then (Unix ms), as after a 403.</summary>
    public void Ban(string ip, long until) => _bans[ip] = until;

    /// <summary>Aborts every connection (the drop fault).</summary>
    public int DropAll() => VenueSocket.AbortAll(_sockets);

    /// <summary>Maps the REST and WebSocket routes.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var v5 = app.MapGroup("/v5/market").AddEndpointFilter(async (context, next) =>
        {
            var refused = Admit(context.HttpContext);
            if (refused is not null)
            {
                return refused;
            }
            if (Faults.LatencyMs > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Faults.LatencyMs), time, context.HttpContext.RequestAborted);
            }
            return await next(context);
        });
        v5.MapGet("/instruments-info", IResult (string? category, string? status, string? limit, string? cursor) => Instruments(category, status, limit, cursor));
        v5.MapGet("/tickers", IResult (string? category, string? symbol) => Tickers(category, symbol));
        v5.MapGet("/open-interest", IResult (string? category, string? symbol, string? intervalTime, string? startTime, string? endTime, string? limit, string? cursor)
            => OpenInterest(category, symbol, intervalTime, startTime, endTime, limit, cursor));
        v5.MapGet("/mark-price-kline", IResult (string? category, string? symbol, string? interval, string? start, string? end, string? limit)
            => MarkKline(category, symbol, interval, start, end, limit));
        app.Map("/v5/public/linear", Connect);
        app.Map("/v5/public/inverse", Connect);
    }

    // Bybit allows 500 connections per 5 minutes per IP on a WebSocket domain.
    private Task Connect(HttpContext context) =>
        VenueSocket.AcceptAsync(context, _limiter, 500, TimeSpan.FromMinutes(5), "too many connections: 500 per 5 minutes per IP", _sockets, OnText, time);

    // Bybit's IP limit: 600 requests in any 5 s; the next one is answered 403 and the IP is refused for 10 minutes.
    private IResult? Admit(HttpContext context)
    {
        Faults.CountRequest();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (Faults.Http5xxUntil > now)
        {
            return Results.Text("service unavailable", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (_bans.TryGetValue(ip, out var until) && until > now)
        {
            Faults.CountBan();
            return Results.Text("access too frequent", statusCode: StatusCodes.Status403Forbidden);
        }
        if (Faults.StormUntil > now || !_limiter.TryTake(ip, options.BybitRequestsPer5s, TimeSpan.FromSeconds(5)))
        {
            var end = now + (long)options.BybitBanDuration.TotalMilliseconds;
            _bans[ip] = end;
            Faults.LastBanUntil = end;
            Faults.CountTooManyRequests();
            return Results.Text("access too frequent", statusCode: StatusCodes.Status403Forbidden);
        }
        return null;
    }

    private IResult Envelope(Action<Utf8JsonWriter> result, int code = 0, string message = "OK")
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("retCode", code);
            w.WriteString("retMsg", message);
            w.WritePropertyName("result");
            w.WriteStartObject();
            if (code == 0)
            {
                result(w);
            }
            w.WriteEndObject();
            w.WritePropertyName("retExtInfo");
            w.WriteStartObject();
            w.WriteEndObject();
            w.WriteNumber("time", time.GetUtcNow().ToUnixTimeMilliseconds());
            w.WriteEndObject();
        }
        // Errors are HTTP 200 with a retCode, as Bybit answers them.
        return Results.Bytes(buffer.ToArray(), "application/json");
    }

    private IResult Error(string message) => Envelope(_ => { }, 10001, message);

    private static bool TryCategory(string? category, out VenueKind kind)
    {
        kind = category == "inverse" ? VenueKind.Inverse : VenueKind.Linear;
        return category is "linear" or "inverse";
    }

    private IResult Instruments(string? category, string? status, string? limit, string? cursor)
    {
        if (!TryCategory(category, out var kind))
        {
            return Error($"params error: category must be linear or inverse here, not '{category}'");
        }
        var size = 500;
        if (limit is not null && (!VenueText.TryInt(limit, out size) || size is < 1 or > 1000))
        {
            return Error("params error: limit must be 1 to 1000");
        }
        var offset = 0;
        if (!string.IsNullOrEmpty(cursor) && (!VenueText.TryInt(cursor, out offset) || offset < 0))
        {
            return Error("params error: cursor invalid");
        }
        var wanted = string.IsNullOrEmpty(status) ? "Trading" : status;
        List<VenueInstrument> list;
        lock (market.Gate)
        {
            list = [.. market.VenueContracts("bybit").Where(v => v.Kind == kind && v.Status == wanted)];
        }
        var page = list.Skip(offset).Take(size).ToList();
        var next = offset + page.Count < list.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : "";
        return Envelope(w =>
        {
            w.WriteString("category", category);
            w.WriteStartArray("list");
            foreach (var v in page)
            {
                w.WriteStartObject();
                w.WriteString("symbol", v.Symbol);
                w.WriteNumber("symbolId", v.Seed % 100_000);
                w.WriteString("contractType", (v.Kind == VenueKind.Linear ? "Linear" : "Inverse") + (v.Perpetual ? "Perpetual" : "Futures"));
                w.WriteString("status", v.Status);
                w.WriteString("baseCoin", v.BaseCoin);
                w.WriteString("quoteCoin", v.Quote);
                w.WriteString("settleCoin", v.Settle);
                w.WriteString("launchTime", VenueText.Ms(v.LaunchTime));
                w.WriteString("deliveryTime", VenueText.Ms(v.Expiry));
                w.WriteString("deliveryFeeRate", v.Perpetual ? "" : "0.0005");
                w.WriteString("priceScale", v.MarkPrice >= 1000 ? "2" : "6");
                w.WriteStartObject("lotSizeFilter");
                w.WriteString("qtyStep", VenueText.Fixed(Math.Pow(10, -v.QtyDecimals), v.QtyDecimals));
                w.WriteString("minOrderQty", VenueText.Fixed(Math.Pow(10, -v.QtyDecimals), v.QtyDecimals));
                w.WriteEndObject();
                w.WriteNumber("fundingInterval", v.Perpetual ? 480 : 0);
                w.WriteString("upperFundingRate", "0.00375");
                w.WriteString("lowerFundingRate", "-0.00375");
                w.WriteBoolean("isPreListing", v.Status == "PreLaunch");
                w.WriteNull("preListingInfo");
                w.WriteString("symbolType", "");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("nextPageCursor", next);
        });
    }

    private IResult Tickers(string? category, string? symbol)
    {
        if (!TryCategory(category, out var kind))
        {
            return Error($"params error: category must be linear or inverse here, not '{category}'");
        }
        List<Dictionary<string, string>> rows;
        lock (market.Gate)
        {
            var contracts = market.VenueContracts("bybit").Where(v => v.Kind == kind && v.IsTrading);
            if (!string.IsNullOrEmpty(symbol))
            {
                contracts = contracts.Where(v => v.Symbol == symbol);
            }
            rows = [.. contracts.Select(v => Fields(v, websocket: false))];
        }
        if (!string.IsNullOrEmpty(symbol) && rows.Count == 0)
        {
            return Error("Not supported symbols");
        }
        return Envelope(w =>
        {
            w.WriteString("category", category);
            w.WriteStartArray("list");
            foreach (var row in rows)
            {
                w.WriteStartObject();
                foreach (var (k, val) in row)
                {
                    w.WriteString(k, val);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>Every ticker field of a contract, as strings (the WebSocket writes <c>deliveryTime</c> as ISO-8601). Call under the market lock.</summary>
    internal static Dictionary<string, string> Fields(VenueInstrument v, bool websocket)
    {
        var single = Math.Round(v.OpenInterest, v.QtyDecimals);
        var both = single * 2;
        var linear = v.Kind == VenueKind.Linear;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["symbol"] = v.Symbol,
            ["lastPrice"] = VenueText.Price(v.MarkPrice),
            ["indexPrice"] = VenueText.Price(v.IndexPrice),
            ["markPrice"] = VenueText.Price(v.MarkPrice),
            ["openInterest"] = VenueText.Fixed(both, linear ? 3 : 0),
            ["openInterestValue"] = VenueText.Fixed(linear ? both * v.MarkPrice : both / v.MarkPrice, 2),
            ["singleOpenInterest"] = VenueText.Fixed(single, v.QtyDecimals),
            ["singleOpenInterestValue"] = VenueText.Fixed(linear ? single * v.MarkPrice : single / v.MarkPrice, 2),
            ["fundingRate"] = v.Perpetual ? VenueText.Fixed(v.FundingRate, 8) : "",
            ["nextFundingTime"] = v.Perpetual ? VenueText.Ms(((v.PriceTime / 28_800_000) + 1) * 28_800_000) : "",
            ["fundingIntervalHour"] = v.Perpetual ? "8" : "",
            ["fundingCap"] = v.Perpetual ? "0.005" : "",
            ["bid1Price"] = VenueText.Price(v.MarkPrice * 0.9999),
            ["ask1Price"] = VenueText.Price(v.MarkPrice * 1.0001),
        };
        if (websocket)
        {
            if (!v.Perpetual)
            {
                fields["deliveryTime"] = DateTimeOffset.FromUnixTimeMilliseconds(v.Expiry).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            }
        }
        else
        {
            fields["deliveryTime"] = VenueText.Ms(v.Expiry);
        }
        return fields;
    }

    private IResult OpenInterest(string? category, string? symbol, string? intervalTime, string? startTime, string? endTime, string? limit, string? cursor)
    {
        if (!TryCategory(category, out var kind))
        {
            return Error("params error: category must be linear or inverse");
        }
        if (string.IsNullOrEmpty(symbol))
        {
            return Error("params error: symbol is required");
        }
        var period = Array.IndexOf(Intervals, intervalTime) switch
        {
            0 => 300_000L,
            1 => 900_000L,
            2 => 1_800_000L,
            3 => 3_600_000L,
            4 => 14_400_000L,
            5 => 86_400_000L,
            _ => 0,
        };
        if (period == 0)
        {
            return Error($"params error: intervalTime must be one of {string.Join(", ", Intervals)}");
        }
        var size = 50;
        if (limit is not null && (!VenueText.TryInt(limit, out size) || size is < 1 or > 200))
        {
            return Error("params error: limit must be 1 to 200");
        }
        long from = 0;
        var to = long.MaxValue;
        if ((startTime is not null && !VenueText.TryLong(startTime, out from)) || (endTime is not null && !VenueText.TryLong(endTime, out to)))
        {
            return Error("params error: startTime and endTime are Unix ms");
        }
        if (!string.IsNullOrEmpty(cursor))
        {
            // The cursor names the oldest row sent (seconds); the next page is older than it.
            var at = cursor.IndexOf("lasttime=", StringComparison.Ordinal);
            if (at < 0 || !VenueText.TryLong(cursor[(at + 9)..], out var seconds))
            {
                return Error("params error: cursor invalid");
            }
            to = Math.Min(to, (seconds * 1000) - 1);
        }
        List<(long Time, double OpenInterest, double Price)> rows;
        VenueInstrument? v;
        lock (market.Gate)
        {
            v = market.FindVenue("bybit", symbol);
            rows = v is null || v.Kind != kind ? [] : market.HistoryRows(v, period, from, to, size + 1);
        }
        if (v is null || v.Kind != kind)
        {
            return Error("params error: symbol invalid");
        }
        rows.Reverse(); // newest first, as Bybit sends them
        var more = rows.Count > size;
        var page = rows.Take(size).ToList();
        var next = more && page.Count > 0 ? $"lastid%3D{page[^1].Time / 1000 % 100_000_000}%26lasttime%3D{page[^1].Time / 1000}" : "";
        return Envelope(w =>
        {
            w.WriteString("symbol", v.Symbol);
            w.WriteString("category", category);
            w.WriteStartArray("list");
            foreach (var (t, oi, _) in page)
            {
                var single = Math.Round(oi, v.QtyDecimals);
                w.WriteStartObject();
                w.WriteString("openInterest", VenueText.Fixed(single * 2, 8));
                w.WriteString("singleOpenInterest", VenueText.Fixed(single, v.QtyDecimals));
                w.WriteString("timestamp", VenueText.Ms(t));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("nextPageCursor", next);
        });
    }

    // Not detailed by the fact sheet (section 2.6 names it); served in Bybit's kline shape: [start, open, high, low,
    // close] strings, newest first, from the mark recorded at each bucket (open = high = low = close).
    private IResult MarkKline(string? category, string? symbol, string? interval, string? start, string? end, string? limit)
    {
        if (!TryCategory(category, out var kind) || string.IsNullOrEmpty(symbol))
        {
            return Error("params error: category (linear or inverse) and symbol are required");
        }
        var minutes = interval switch { "5" => 5, "15" => 15, "30" => 30, "60" => 60, "240" => 240, "D" => 1440, _ => 0 };
        if (minutes == 0)
        {
            return Error("params error: interval must be 5, 15, 30, 60, 240 or D here");
        }
        var size = 200;
        if (limit is not null && (!VenueText.TryInt(limit, out size) || size is < 1 or > 1000))
        {
            return Error("params error: limit must be 1 to 1000");
        }
        long from = 0;
        var to = long.MaxValue;
        if ((start is not null && !VenueText.TryLong(start, out from)) || (end is not null && !VenueText.TryLong(end, out to)))
        {
            return Error("params error: start and end are Unix ms");
        }
        List<(long Time, double OpenInterest, double Price)> rows;
        lock (market.Gate)
        {
            var v = market.FindVenue("bybit", symbol);
            if (v is null || v.Kind != kind)
            {
                return Error("params error: symbol invalid");
            }
            rows = market.HistoryRows(v, minutes * 60_000L, from, to, size);
        }
        rows.Reverse();
        return Envelope(w =>
        {
            w.WriteString("symbol", symbol);
            w.WriteString("category", category);
            w.WriteStartArray("list");
            foreach (var (t, _, price) in rows)
            {
                var p = VenueText.Price(price);
                w.WriteStartArray();
                w.WriteStringValue(VenueText.Ms(t));
                w.WriteStringValue(p);
                w.WriteStringValue(p);
                w.WriteStringValue(p);
                w.WriteStringValue(p);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        });
    }

    private void OnText(VenueSocket socket, string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            socket.Send(Reply(false, "error:request not in JSON", "", ""));
            return;
        }
        var op = node?["op"]?.GetValue<string>() ?? "";
        var reqId = node?["req_id"]?.ToString() ?? "";
        if (op == "ping")
        {
            if (Faults.SilentUntil <= time.GetUtcNow().ToUnixTimeMilliseconds())
            {
                socket.Send(Reply(true, "pong", reqId, "ping"));
            }
            return;
        }
        if (op is not ("subscribe" or "unsubscribe"))
        {
            socket.Send(Reply(false, $"error:unknown op {op}", reqId, op));
            return;
        }
        var args = (node?["args"] as JsonArray)?.Select(a => a?.ToString() ?? "").ToList() ?? [];
        if (args.Sum(a => a.Length) > 21_000)
        {
            socket.Send(Reply(false, "error:args exceed 21000 characters", reqId, op));
            return;
        }
        var kind = socket.Path.EndsWith("/inverse", StringComparison.Ordinal) ? VenueKind.Inverse : VenueKind.Linear;
        foreach (var topic in args)
        {
            var known = false;
            if (topic.StartsWith("tickers.", StringComparison.Ordinal))
            {
                lock (market.Gate)
                {
                    known = market.FindVenue("bybit", topic[8..]) is { } v && v.Kind == kind && v.IsTrading;
                }
            }
            if (!known)
            {
                // One bad topic rejects the whole request (as one integrator reports of Bybit).
                socket.Send(Reply(false, $"error:handler not found,topic:{topic}", reqId, op));
                return;
            }
            if (op == "subscribe" && socket.Topics.ContainsKey(topic))
            {
                socket.Send(Reply(false, $"error:already subscribed,topic:{topic}", reqId, op));
                return;
            }
        }
        foreach (var topic in args)
        {
            if (op == "subscribe")
            {
                socket.Topics[topic] = null; // no snapshot sent yet
            }
            else
            {
                socket.Topics.TryRemove(topic, out _);
            }
        }
        socket.Send(Reply(true, "", reqId, op));
    }

    private static string Reply(bool success, string message, string reqId, string op) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["success"] = success,
            ["ret_msg"] = message,
            ["conn_id"] = "sim-" + Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture),
            ["req_id"] = reqId,
            ["op"] = op,
        });

    /// <summary>Pushes each subscribed topic's snapshot (first) or the fields that changed since the last frame. Called after each market step.</summary>
    public void Tick(long now)
    {
        var silent = Faults.SilentUntil > now;
        var cs = Interlocked.Add(ref _crossSequence, 7_000 + (now % 997));
        var current = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var socket in _sockets.Keys)
        {
            if (silent)
            {
                continue;
            }
            foreach (var (topic, state) in socket.Topics)
            {
                var symbol = topic[8..];
                if (!current.TryGetValue(symbol, out var fields))
                {
                    lock (market.Gate)
                    {
                        fields = market.FindVenue("bybit", symbol) is { } v ? Fields(v, websocket: true) : [];
                    }
                    current[symbol] = fields;
                }
                if (fields.Count == 0)
                {
                    continue;
                }
                var last = state as Dictionary<string, string>;
                var data = last is null ? fields : fields.Where(f => f.Key == "symbol" || !last.TryGetValue(f.Key, out var old) || old != f.Value).ToDictionary();
                if (data.Count <= 1 && last is not null)
                {
                    continue; // nothing changed: no frame
                }
                socket.Topics[topic] = fields;
                var frame = JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["topic"] = topic,
                    ["type"] = last is null ? "snapshot" : "delta",
                    ["data"] = data,
                    ["cs"] = cs,
                    ["ts"] = now,
                });
                socket.Send(Faults.TakeMalformed() ? frame[..(frame.Length / 2)] : frame);
            }
        }
    }
}
