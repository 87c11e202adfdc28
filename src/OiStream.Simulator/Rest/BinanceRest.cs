using System.Globalization;
using System.Text.Json;
using OiStream.Simulator.Market;

namespace OiStream.Simulator.Rest;

/// <summary>
/// Binance's market-data REST endpoints for fapi, dapi and eapi (fact sheet sections 3–5, 10), written from the fact
/// sheet, not from the adapter: decimals as strings, errors as <c>{"code":-1121,"msg":"Invalid symbol."}</c>.
/// </summary>
public static class BinanceRest
{
    private static readonly string[] Periods = ["5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

    /// <summary>Maps every simulated Binance REST path.</summary>
    public static IEndpointRouteBuilder MapBinanceRest(this IEndpointRouteBuilder app)
    {
        app.MapGet("/fapi/v1/ping", (HttpContext c) => Handle(c, "fapi", 1, false, (_, w) => { w.WriteStartObject(); w.WriteEndObject(); return 200; }));
        app.MapGet("/fapi/v1/time", (HttpContext c, TimeProvider t) => Handle(c, "fapi", 1, false, (_, w) =>
        {
            w.WriteStartObject();
            w.WriteNumber("serverTime", t.GetUtcNow().ToUnixTimeMilliseconds());
            w.WriteEndObject();
            return 200;
        }));
        app.MapGet("/fapi/v1/exchangeInfo", (HttpContext c, SimMarket m, SimulatorOptions o) => Handle(c, "fapi", 1, false, (_, w) => ExchangeInfo(w, m, o, SimVenue.UsdM)));
        app.MapGet("/dapi/v1/exchangeInfo", (HttpContext c, SimMarket m, SimulatorOptions o) => Handle(c, "dapi", 1, false, (_, w) => ExchangeInfo(w, m, o, SimVenue.CoinM)));
        app.MapGet("/fapi/v1/openInterest", (HttpContext c, SimMarket m) => Handle(c, "fapi", 1, false, (q, w) => OpenInterest(q, w, m, SimVenue.UsdM)));
        app.MapGet("/dapi/v1/openInterest", (HttpContext c, SimMarket m) => Handle(c, "dapi", 1, false, (q, w) => OpenInterest(q, w, m, SimVenue.CoinM)));
        app.MapGet("/fapi/v1/premiumIndex", (HttpContext c, SimMarket m) => Handle(c, "fapi", c.Request.Query.ContainsKey("symbol") ? 1 : 10, false, (q, w) => PremiumIndex(q, w, m, SimVenue.UsdM)));
        app.MapGet("/dapi/v1/premiumIndex", (HttpContext c, SimMarket m) => Handle(c, "dapi", 10, false, (q, w) => PremiumIndex(q, w, m, SimVenue.CoinM)));
        app.MapGet("/futures/data/openInterestHist", (HttpContext c, SimMarket m) =>
        {
            // The same path lives on the fapi host (symbol) and the dapi host (pair + contractType).
            var coinM = c.Request.Query.ContainsKey("pair");
            return Handle(c, coinM ? "dapi" : "fapi", 1, true, (q, w) => OpenInterestHist(q, w, m, coinM));
        });
        app.MapGet("/eapi/v1/exchangeInfo", (HttpContext c, SimMarket m, SimulatorOptions o) => Handle(c, "eapi", 1, false, (_, w) => OptionsExchangeInfo(w, m, o)));
        app.MapGet("/eapi/v1/openInterest", (HttpContext c, SimMarket m) => Handle(c, "eapi", 0, false, (q, w) => OptionsOpenInterest(q, w, m)));
        return app;
    }

    private static async Task Handle(HttpContext context, string family, int weight, bool futuresData, Func<IQueryCollection, Utf8JsonWriter, int> body)
    {
        var services = context.RequestServices;
        var faults = services.GetRequiredService<Faults>();
        var limiter = services.GetRequiredService<WeightLimiter>();
        var market = services.GetRequiredService<SimMarket>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        faults.CountRequest();

        if (faults.LatencyMs > 0)
        {
            await Task.Delay(faults.LatencyMs, context.RequestAborted);
        }
        var response = context.Response;
        response.ContentType = "application/json";
        if (faults.Http5xxUntil > now)
        {
            response.StatusCode = 503;
            await WriteError(response, -1001, "Service Unavailable.");
            return;
        }

        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        var verdict = limiter.Admit(ip, family, weight, futuresData);
        response.Headers["X-MBX-USED-WEIGHT-1M"] = verdict.UsedWeight.ToString(CultureInfo.InvariantCulture);
        if (verdict.Status != 200)
        {
            response.StatusCode = verdict.Status;
            response.Headers.RetryAfter = Math.Ceiling(verdict.RetryAfterMs / 1000.0).ToString(CultureInfo.InvariantCulture);
            var msg = verdict.Status == 418
                ? $"Way too many requests; IP({ip}) banned until {verdict.BannedUntil}. Please use the websocket for live updates to avoid bans."
                : $"Too many requests; current limit is {(futuresData ? 1000 : 2400)} requests per minute. Please use the websocket for live updates to avoid polling the API.";
            await WriteError(response, -1003, msg);
            return;
        }

        using var buffer = new MemoryStream();
        int status;
        await using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            lock (market.Gate)
            {
                status = body(context.Request.Query, writer);
            }
        }
        response.StatusCode = status;
        buffer.Position = 0;
        await buffer.CopyToAsync(response.Body, context.RequestAborted);
    }

    // Binance writes apostrophes as they are ("parameter 'startTime' is invalid."), not as \u0027.
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Task WriteError(HttpResponse response, int code, string msg)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Relaxed))
        {
            Error(w, code, msg);
        }
        return response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }

    private static int Error(Utf8JsonWriter w, int code, string msg)
    {
        w.WriteStartObject();
        w.WriteNumber("code", code);
        w.WriteString("msg", msg);
        w.WriteEndObject();
        return 400;
    }

    private static int Missing(Utf8JsonWriter w, string name)
        => Error(w, -1102, $"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.");

    private static string S(double value) => value.ToString("0.########", CultureInfo.InvariantCulture);

    private static int ExchangeInfo(Utf8JsonWriter w, SimMarket market, SimulatorOptions options, SimVenue venue)
    {
        w.WriteStartObject();
        w.WriteString("timezone", "UTC");
        w.WriteNumber("serverTime", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        w.WriteStartArray("rateLimits");
        RateLimit(w, "REQUEST_WEIGHT", "MINUTE", 1, options.WeightPerMinute);
        RateLimit(w, "ORDERS", "MINUTE", 1, 1200);
        RateLimit(w, "ORDERS", "SECOND", 10, 300);
        w.WriteEndArray();
        w.WriteStartArray("exchangeFilters");
        w.WriteEndArray();
        w.WriteStartArray("symbols");
        foreach (var i in venue == SimVenue.UsdM ? market.UsdM : market.CoinM)
        {
            w.WriteStartObject();
            w.WriteString("symbol", i.Symbol);
            w.WriteString("pair", i.Pair);
            w.WriteString("contractType", i.ContractType);
            w.WriteNumber("deliveryDate", i.DeliveryDate);
            w.WriteNumber("onboardDate", 1_569_398_400_000);
            // USDⓈ-M says status; COIN-M says contractStatus (fact sheet 4.2).
            w.WriteString(venue == SimVenue.UsdM ? "status" : "contractStatus", i.Status);
            w.WriteString("baseAsset", i.BaseAsset);
            w.WriteString("quoteAsset", i.QuoteAsset);
            w.WriteString("marginAsset", venue == SimVenue.UsdM ? i.QuoteAsset : i.BaseAsset);
            if (venue == SimVenue.CoinM)
            {
                w.WriteNumber("contractSize", i.ContractSize);
                w.WriteNumber("equalQtyPrecision", 4);
            }
            w.WriteNumber("pricePrecision", 2);
            w.WriteNumber("quantityPrecision", 3);
            w.WriteString("underlyingType", "COIN");
            w.WriteStartArray("underlyingSubType");
            w.WriteEndArray();
            w.WriteNumber("settlePlan", 0);
            w.WriteString("triggerProtect", "0.0500");
            w.WriteStartArray("filters");
            w.WriteEndArray();
            w.WriteStartArray("orderTypes");
            w.WriteStringValue("LIMIT");
            w.WriteStringValue("MARKET");
            w.WriteEndArray();
            w.WriteStartArray("timeInForce");
            w.WriteStringValue("GTC");
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return 200;

        static void RateLimit(Utf8JsonWriter w, string type, string interval, int num, int limit)
        {
            w.WriteStartObject();
            w.WriteString("rateLimitType", type);
            w.WriteString("interval", interval);
            w.WriteNumber("intervalNum", num);
            w.WriteNumber("limit", limit);
            w.WriteEndObject();
        }
    }

    private static int OpenInterest(IQueryCollection q, Utf8JsonWriter w, SimMarket market, SimVenue venue)
    {
        string? symbol = q["symbol"];
        if (string.IsNullOrEmpty(symbol))
        {
            return Missing(w, "symbol");
        }
        var i = market.Find(venue, symbol);
        if (i is null)
        {
            return Error(w, -1121, "Invalid symbol.");
        }
        if (!i.IsTrading)
        {
            return Error(w, -4108, "Symbol is on delivering or delivered or settling or closed or pre-trading.");
        }
        w.WriteStartObject();
        if (venue == SimVenue.CoinM)
        {
            w.WriteString("symbol", i.Symbol);
            w.WriteString("pair", i.Pair);
            w.WriteString("openInterest", S(Math.Round(i.OpenInterest)));
            w.WriteString("contractType", i.ContractType);
            w.WriteNumber("time", i.OiTime);
        }
        else
        {
            w.WriteString("openInterest", S(Math.Round(i.OpenInterest, 3)));
            w.WriteString("symbol", i.Symbol);
            w.WriteNumber("time", i.OiTime);
        }
        w.WriteEndObject();
        return 200;
    }

    private static int PremiumIndex(IQueryCollection q, Utf8JsonWriter w, SimMarket market, SimVenue venue)
    {
        string? symbol = q["symbol"];
        string? pair = q["pair"];
        IEnumerable<SimInstrument> list = venue == SimVenue.UsdM ? market.UsdM : market.CoinM;
        list = list.Where(i => i.IsTrading);
        if (!string.IsNullOrEmpty(symbol))
        {
            var one = market.Find(venue, symbol);
            if (one is null)
            {
                return Error(w, -1121, "Invalid symbol.");
            }
            list = [one];
        }
        else if (!string.IsNullOrEmpty(pair))
        {
            list = list.Where(i => i.Pair == pair);
        }

        // USDⓈ-M with a symbol answers an object; everything else an array (fact sheet 3.4, 4.4).
        var single = venue == SimVenue.UsdM && !string.IsNullOrEmpty(symbol);
        if (!single)
        {
            w.WriteStartArray();
        }
        foreach (var i in list)
        {
            w.WriteStartObject();
            w.WriteString("symbol", i.Symbol);
            if (venue == SimVenue.CoinM)
            {
                w.WriteString("pair", i.Pair);
            }
            w.WriteString("markPrice", S(i.MarkPrice));
            w.WriteString("indexPrice", S(i.IndexPrice));
            w.WriteString("estimatedSettlePrice", S(i.IndexPrice));
            w.WriteString("lastFundingRate", double.IsNaN(i.FundingRate) ? (venue == SimVenue.CoinM ? "" : "0.00000000") : S(i.FundingRate));
            w.WriteString("interestRate", double.IsNaN(i.FundingRate) && venue == SimVenue.CoinM ? "" : "0.00010000");
            w.WriteNumber("nextFundingTime", i.IsPerpetual ? ((i.PriceTime / 28_800_000) + 1) * 28_800_000 : 0);
            w.WriteNumber("time", i.PriceTime);
            w.WriteEndObject();
        }
        if (!single)
        {
            w.WriteEndArray();
        }
        return 200;
    }

    private static int OpenInterestHist(IQueryCollection q, Utf8JsonWriter w, SimMarket market, bool coinM)
    {
        string? period = q["period"];
        if (string.IsNullOrEmpty(period))
        {
            return Missing(w, "period");
        }
        var periodIndex = Array.IndexOf(Periods, period);
        if (periodIndex < 0)
        {
            return Error(w, -1130, "parameter 'period' is invalid.");
        }
        long periodMs = period switch
        {
            "5m" => 300_000, "15m" => 900_000, "30m" => 1_800_000, "1h" => 3_600_000, "2h" => 7_200_000,
            "4h" => 14_400_000, "6h" => 21_600_000, "12h" => 43_200_000, _ => 86_400_000,
        };
        var limit = 30;
        if (q.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 500))
        {
            return Error(w, -1130, "parameter 'limit' is invalid.");
        }
        long start = long.MinValue, end = long.MaxValue;
        if (q.TryGetValue("startTime", out var s) && (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < market.HistoryStart))
        {
            return Error(w, -1130, "parameter 'startTime' is invalid.");
        }
        if (q.TryGetValue("endTime", out var e) && !long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out end))
        {
            return Error(w, -1130, "parameter 'endTime' is invalid.");
        }

        List<(SimInstrument Instrument, List<(long Time, double Oi, double Price)> Rows)> series = [];
        if (coinM)
        {
            string? pair = q["pair"];
            string? contractType = q["contractType"];
            if (string.IsNullOrEmpty(contractType))
            {
                return Missing(w, "contractType");
            }
            var contracts = market.CoinMPair(pair!).Where(i => i.IsTrading && (contractType == "ALL" || i.ContractType == contractType)).ToList();
            if (contracts.Count == 0)
            {
                return Error(w, -4144, "Invalid pair");
            }
            series.AddRange(contracts.Select(i => (i, market.HistoryRows(i, periodMs, start, end, limit))));
        }
        else
        {
            string? symbol = q["symbol"];
            if (string.IsNullOrEmpty(symbol))
            {
                return Missing(w, "symbol");
            }
            var i = market.Find(SimVenue.UsdM, symbol);
            if (i is null)
            {
                return Error(w, -1121, "Invalid symbol.");
            }
            series.Add((i, market.HistoryRows(i, periodMs, start, end, limit)));
        }

        w.WriteStartArray();
        foreach (var (time, _, _) in series[0].Rows)
        {
            double oi = 0, value = 0;
            foreach (var (instrument, rows) in series)
            {
                var row = rows.FirstOrDefault(r => r.Time == time);
                if (row.Time == 0)
                {
                    continue;
                }
                oi += row.Oi;
                value += coinM ? row.Oi * instrument.ContractSize / row.Price : row.Oi * row.Price;
            }
            w.WriteStartObject();
            if (coinM)
            {
                w.WriteString("pair", q["pair"]);
                w.WriteString("contractType", q["contractType"]);
                w.WriteString("sumOpenInterest", S(Math.Round(oi)));
                w.WriteString("sumOpenInterestValue", S(value));
            }
            else
            {
                w.WriteString("symbol", series[0].Instrument.Symbol);
                w.WriteString("sumOpenInterest", S(oi));
                w.WriteString("sumOpenInterestValue", S(value));
                w.WriteString("CMCCirculatingSupply", "19800000.00000000");
            }
            // A JSON number, as real responses carry it (fact sheet 1.4), though the doc example shows a string.
            w.WriteNumber("timestamp", time);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        return 200;
    }

    private static int OptionsExchangeInfo(Utf8JsonWriter w, SimMarket market, SimulatorOptions options)
    {
        w.WriteStartObject();
        w.WriteString("timezone", "UTC");
        w.WriteNumber("serverTime", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        w.WriteStartArray("optionContracts");
        foreach (var u in market.OptionContracts.Select(o => o.BaseAsset).Distinct())
        {
            w.WriteStartObject();
            w.WriteString("baseAsset", u);
            w.WriteString("quoteAsset", "USDT");
            w.WriteString("underlying", u + "USDT");
            w.WriteString("settleAsset", "USDT");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("optionAssets");
        w.WriteEndArray();
        w.WriteStartArray("optionSymbols");
        foreach (var o in market.OptionContracts)
        {
            w.WriteStartObject();
            w.WriteNumber("expiryDate", o.ExpiryDate);
            w.WriteString("symbol", o.Symbol);
            w.WriteString("side", o.Call ? "CALL" : "PUT");
            w.WriteString("strikePrice", S(o.Strike));
            w.WriteString("underlying", o.Underlying);
            w.WriteNumber("unit", 1);
            w.WriteString("quoteAsset", "USDT");
            w.WriteString("status", "TRADING");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("rateLimits");
        w.WriteStartObject();
        w.WriteString("rateLimitType", "REQUEST_WEIGHT");
        w.WriteString("interval", "MINUTE");
        w.WriteNumber("intervalNum", 1);
        w.WriteNumber("limit", options.WeightPerMinute);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        return 200;
    }

    private static int OptionsOpenInterest(IQueryCollection q, Utf8JsonWriter w, SimMarket market)
    {
        string? underlying = q["underlyingAsset"];
        string? expiration = q["expiration"];
        if (string.IsNullOrEmpty(underlying))
        {
            return Missing(w, "underlyingAsset");
        }
        if (string.IsNullOrEmpty(expiration))
        {
            return Missing(w, "expiration");
        }
        var baseAsset = underlying.EndsWith("USDT", StringComparison.Ordinal) ? underlying[..^4] : underlying;
        w.WriteStartArray();
        foreach (var o in market.OptionContracts.Where(o => o.BaseAsset == baseAsset && o.Expiry == expiration))
        {
            w.WriteStartObject();
            w.WriteString("symbol", o.Symbol);
            w.WriteString("sumOpenInterest", S(Math.Round(o.OpenInterest, 2)));
            w.WriteString("sumOpenInterestUsd", S(o.OpenInterestUsd));
            // A string, as the options docs and SDK model have it (fact sheet 5.1).
            w.WriteString("timestamp", o.Time.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        return 200;
    }
}
