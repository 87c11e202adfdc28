using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OiStream.Core.Instruments;

namespace OiStream.Binance.Rest;

/// <summary>One OI reading.</summary>
public readonly record struct OpenInterestReading(string Symbol, double OpenInterest, long Time);

/// <summary>One <c>openInterestHist</c> row: OI in Binance's unit and its value (USD on USDⓈ-M, coins on COIN-M).</summary>
public readonly record struct HistoryRow(long Time, double SumOpenInterest, double SumOpenInterestValue);

/// <summary>One mark price with funding (NaN where the contract has none).</summary>
public readonly record struct MarkReading(string Symbol, double MarkPrice, double FundingRate, long Time);

/// <summary>OI of one options contract.</summary>
public readonly record struct OptionReading(string Symbol, double OpenInterest, double OpenInterestUsd, long Time);

/// <summary>
/// Binance market-data REST, every call through the <see cref="WeightGovernor"/>. Errors become
/// <see cref="BinanceApiException"/> with Binance's code and message.
/// </summary>
public sealed class BinanceRestClient(HttpClient http, BinanceOptions options, WeightGovernor governor)
{
    /// <summary>The governor this client spends.</summary>
    public WeightGovernor Governor => governor;

    /// <summary>
    /// TRADING futures contracts of USDⓈ-M or COIN-M (<c>status</c> vs <c>contractStatus</c>), with contract sizes; also
    /// sets the governor's limit from <c>rateLimits</c>. Contracts without a contract type or (COIN-M) size are skipped.
    /// </summary>
    public async Task<IReadOnlyList<InstrumentInfo>> GetFuturesInstrumentsAsync(ApiFamily family, CancellationToken cancellationToken)
    {
        var path = family == ApiFamily.UsdM ? "/fapi/v1/exchangeInfo" : "/dapi/v1/exchangeInfo";
        var info = await GetAsync(family, path, 1, false, BinanceJson.Default.FuturesExchangeInfoWire, cancellationToken);
        ApplyRateLimits(family, info.RateLimits);
        var market = family == ApiFamily.UsdM ? Market.UsdM : Market.CoinM;
        var result = new List<InstrumentInfo>();
        foreach (var s in info.Symbols ?? [])
        {
            var status = family == ApiFamily.UsdM ? s.Status : s.ContractStatus;
            if (status != "TRADING" || string.IsNullOrEmpty(s.ContractType) || string.IsNullOrEmpty(s.BaseAsset))
            {
                continue;
            }
            var size = market == Market.CoinM ? s.ContractSize : 1;
            if (!(size > 0))
            {
                continue; // a COIN-M contract without a size cannot be valued: never guess one
            }
            result.Add(new InstrumentInfo(s.Symbol, market, s.BaseAsset, s.ContractType, size, s.QuoteAsset ?? (market == Market.CoinM ? "USD" : "USDT")));
        }
        return result;
    }

    /// <summary>Options instruments: one per underlying and expiry (e.g. <c>BTC-261128</c>), with the contract unit.</summary>
    public async Task<IReadOnlyList<InstrumentInfo>> GetOptionExpiriesAsync(CancellationToken cancellationToken)
    {
        var info = await GetAsync(ApiFamily.Options, "/eapi/v1/exchangeInfo", 1, false, BinanceJson.Default.OptionsExchangeInfoWire, cancellationToken);
        ApplyRateLimits(ApiFamily.Options, info.RateLimits);
        var result = new Dictionary<string, InstrumentInfo>(StringComparer.Ordinal);
        foreach (var o in info.OptionSymbols ?? [])
        {
            if (o.Status is not (null or "TRADING") || ExpiryKey(o.Symbol) is not { } key)
            {
                continue;
            }
            var coin = key[..key.IndexOf('-', StringComparison.Ordinal)];
            result.TryAdd(key, new InstrumentInfo(key, Market.Options, coin, "OPTIONS", o.Unit > 0 ? o.Unit : 1, "USDT"));
        }
        return [.. result.Values];
    }

    /// <summary>The expiry instrument of an option symbol: <c>BTC-261128-86000-C</c> → <c>BTC-261128</c>.</summary>
    public static string? ExpiryKey(string optionSymbol)
    {
        var first = optionSymbol.IndexOf('-', StringComparison.Ordinal);
        var second = first < 0 ? -1 : optionSymbol.IndexOf('-', first + 1);
        return second < 0 ? null : optionSymbol[..second];
    }

    /// <summary>Current OI of one contract.</summary>
    public async Task<OpenInterestReading> GetOpenInterestAsync(ApiFamily family, string symbol, CancellationToken cancellationToken)
    {
        var path = (family == ApiFamily.UsdM ? "/fapi/v1/openInterest?symbol=" : "/dapi/v1/openInterest?symbol=") + Uri.EscapeDataString(symbol);
        var wire = await GetAsync(family, path, 1, false, BinanceJson.Default.OpenInterestWire, cancellationToken);
        return new OpenInterestReading(wire.Symbol, wire.OpenInterest, wire.Time);
    }

    /// <summary>
    /// <c>openInterestHist</c> rows, oldest first. USDⓈ-M takes a symbol; COIN-M a pair and contract type. At most 500
    /// rows per call; only about 30 days are kept by Binance.
    /// </summary>
    public async Task<IReadOnlyList<HistoryRow>> GetOpenInterestHistAsync(ApiFamily family, string symbolOrPair, string? contractType,
        string period, int limit, long? startTime, long? endTime, CancellationToken cancellationToken)
    {
        var query = family == ApiFamily.UsdM
            ? $"symbol={Uri.EscapeDataString(symbolOrPair)}"
            : $"pair={Uri.EscapeDataString(symbolOrPair)}&contractType={Uri.EscapeDataString(contractType ?? "ALL")}";
        query += string.Create(CultureInfo.InvariantCulture, $"&period={period}&limit={Math.Clamp(limit, 1, 500)}");
        if (startTime is { } s)
        {
            query += string.Create(CultureInfo.InvariantCulture, $"&startTime={s}");
        }
        if (endTime is { } e)
        {
            query += string.Create(CultureInfo.InvariantCulture, $"&endTime={e}");
        }
        var rows = await GetAsync(family, "/futures/data/openInterestHist?" + query, 1, true, BinanceJson.Default.OpenInterestHistWireArray, cancellationToken);
        return [.. rows.Select(r => new HistoryRow(r.Timestamp, r.SumOpenInterest, r.SumOpenInterestValue))];
    }

    /// <summary>
    /// History between two times (inclusive), oldest first, paging backwards from <paramref name="to"/> 500 rows at a time.
    /// Binance keeps about 30 days: a range reaching further back returns what exists (it stops at the first empty page).
    /// </summary>
    /// <remarks><paramref name="beforeEachPage"/>, when given, is awaited before each request (a caller's own pacing).</remarks>
    public async Task<IReadOnlyList<HistoryRow>> GetOpenInterestHistRangeAsync(ApiFamily family, string symbolOrPair, string? contractType,
        string period, long from, long to, CancellationToken cancellationToken, Func<CancellationToken, ValueTask>? beforeEachPage = null)
    {
        var pages = new List<IReadOnlyList<HistoryRow>>();
        long? end = to;
        while (true)
        {
            if (beforeEachPage is not null)
            {
                await beforeEachPage(cancellationToken);
            }
            var page = await GetOpenInterestHistAsync(family, symbolOrPair, contractType, period, 500, null, end, cancellationToken);
            var inRange = page.Where(r => r.Time >= from && r.Time <= to).ToList();
            if (inRange.Count > 0)
            {
                pages.Add(inRange);
            }
            if (page.Count < 500 || page[0].Time <= from)
            {
                break;
            }
            end = page[0].Time - 1;
        }
        pages.Reverse();
        return [.. pages.SelectMany(p => p)];
    }

    /// <summary>Mark prices and funding of every contract of an API (weight 10).</summary>
    public async Task<IReadOnlyList<MarkReading>> GetPremiumIndexAsync(ApiFamily family, CancellationToken cancellationToken)
    {
        var path = family == ApiFamily.UsdM ? "/fapi/v1/premiumIndex" : "/dapi/v1/premiumIndex";
        var rows = await GetAsync(family, path, 10, false, BinanceJson.Default.PremiumIndexWireArray, cancellationToken);
        return [.. rows.Select(r => new MarkReading(r.Symbol, r.MarkPrice, r.LastFundingRate, r.Time))];
    }

    /// <summary>OI of every options contract of one underlying and expiry (<c>YYMMDD</c>).</summary>
    public async Task<IReadOnlyList<OptionReading>> GetOptionsOpenInterestAsync(string underlyingAsset, string expiration, CancellationToken cancellationToken)
    {
        var path = $"/eapi/v1/openInterest?underlyingAsset={Uri.EscapeDataString(underlyingAsset)}&expiration={Uri.EscapeDataString(expiration)}";
        var rows = await GetAsync(ApiFamily.Options, path, 1, false, BinanceJson.Default.OptionsOpenInterestWireArray, cancellationToken);
        return [.. rows.Select(r => new OptionReading(r.Symbol, r.SumOpenInterest, r.SumOpenInterestUsd, r.Timestamp))];
    }

    private void ApplyRateLimits(ApiFamily family, RateLimitWire[]? limits)
    {
        var weight = limits?.FirstOrDefault(l => l.RateLimitType == "REQUEST_WEIGHT" && l.Interval == "MINUTE" && l.IntervalNum == 1);
        if (weight is not null)
        {
            governor.SetLimit(family, weight.Limit);
        }
    }

    private Uri BaseOf(ApiFamily family) => family switch
    {
        ApiFamily.UsdM => options.UsdmRest,
        ApiFamily.CoinM => options.CoinmRest,
        _ => options.OptionsRest,
    };

    private async Task<T> GetAsync<T>(ApiFamily family, string pathAndQuery, int weight, bool futuresData, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await governor.AcquireAsync(family, weight, futuresData, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        var uri = new Uri(BaseOf(family), pathAndQuery);
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var headers = response.Headers.Concat(response.Content.Headers);
        if (response.IsSuccessStatusCode)
        {
            governor.Observe(family, (int)response.StatusCode, headers, null);
            try
            {
                return await response.Content.ReadFromJsonAsync(type, timeout.Token)
                    ?? throw new BinanceApiException((int)response.StatusCode, 0, "empty body", pathAndQuery);
            }
            catch (JsonException ex)
            {
                throw new BinanceApiException((int)response.StatusCode, 0, "malformed JSON: " + ex.Message, pathAndQuery);
            }
        }

        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        ErrorWire? error = null;
        try
        {
            error = JsonSerializer.Deserialize(body, BinanceJson.Default.ErrorWire);
        }
        catch (JsonException)
        {
            // Not Binance's error envelope (a proxy page, a 5xx): keep the raw text below.
        }
        governor.Observe(family, (int)response.StatusCode, headers, error?.Msg ?? body);
        throw new BinanceApiException((int)response.StatusCode, error?.Code ?? 0, error?.Msg ?? Truncate(body), pathAndQuery);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];
}
