using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Feeds;
using OiStream.Okx.Streams;
using OiStream.Okx.Wire;

namespace OiStream.Okx;

/// <summary>
/// The OKX source: SWAP and FUTURES contracts from <c>/api/v5/public/instruments</c>, classed linear or inverse by
/// <c>ctType</c>; five-minute OI history from the rubik endpoint; REST open interest, mark price and funding as seed
/// and fallback; and the <c>open-interest</c> and <c>mark-price</c> channels of <c>/ws/v5/public</c> (text
/// <c>ping</c>/<c>pong</c>). Linear OI is counted in coins (<c>oiCcy</c>), inverse OI in contracts of <c>ctVal</c> USD.
/// </summary>
public sealed partial class OkxFeed : PushFeed
{
    private const int ArgsPerRequest = 400; // about 20 KB a request, well under OKX's 64 KB
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private Dictionary<string, Known> _instruments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _marks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _funding = new(StringComparer.Ordinal);

    /// <summary>Creates the feed.</summary>
    public OkxFeed(VenueOptions options, HttpClient http, ChannelWriter<MarketEvent> writer, TimeProvider time, ILogger<OkxFeed> logger, IHistorySeed? seed = null)
        : base(ExchangeIds.Okx, options, http, writer, time, logger, seed)
    {
    }

    private long _refusals;

    /// <summary>Subscriptions or requests OKX refused (an <c>error</c> event).</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    private sealed record Known(string Id, OkxInstrument Instrument);

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<InstrumentInfo>> DiscoverAsync(CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(Options.Symbols, StringComparer.OrdinalIgnoreCase);
        var list = new List<InstrumentInfo>();
        var known = new Dictionary<string, Known>(StringComparer.Ordinal);
        foreach (var type in new[] { "SWAP", "FUTURES" })
        {
            var rows = Parse<OkxInstrument>(await GetAsync($"/api/v5/public/instruments?instType={type}", "instruments:" + type, 20, Window, Window, cancellationToken), "instruments");
            foreach (var i in rows)
            {
                if (i.State != "live" || i.Coin is not { Length: > 0 } coin || i.ContractSize is not > 0 || (wanted.Count > 0 && !wanted.Contains(i.InstId)))
                {
                    continue;
                }
                var id = ExchangeIds.Id(ExchangeIds.Okx, i.InstId);
                // Linear: the engine counts coins (oiCcy), valued with the mark; inverse: contracts of ctVal USD (like COIN-M).
                list.Add(new InstrumentInfo(id, i.IsInverse ? Market.CoinM : Market.UsdM, coin, type == "SWAP" ? "PERPETUAL" : "FUTURES",
                    i.IsInverse ? (double)i.ContractSize.Value : 1, i.IsInverse ? "USD" : i.SettleCcy ?? "USDT"));
                known[i.InstId] = new Known(id, i);
            }
        }
        _instruments = known;
        return list;
    }

    /// <inheritdoc />
    protected override async Task<List<MarketEvent>> BackfillAsync(IReadOnlyDictionary<string, long> heldUntil, CancellationToken cancellationToken)
    {
        var rows = new List<MarketEvent>();
        var now = Now();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(_instruments.Values.Select(async known =>
        {
            if (BackfillFrom(heldUntil, known.Id, now) is not { } from)
            {
                return;
            }
            await gate.WaitAsync(cancellationToken);
            try
            {
                string? end = null;
                while (true)
                {
                    var path = $"/api/v5/rubik/stat/contracts/open-interest-history?instId={known.Instrument.InstId}&period=5m&limit=100" + (end is null ? "" : "&end=" + end);
                    var body = await GetAsync(path, "oi-history:" + known.Instrument.InstId, 10, Window, Window, cancellationToken);
                    var page = JsonSerializer.Deserialize<OkxResponse<string[]>>(body, OkxJson.Options) ?? throw new JsonException("OKX sent an empty history answer.");
                    if (page.Code == "50030")
                    {
                        break; // older than OKX keeps: what came so far is all there is
                    }
                    var data = page.EnsureSuccess("open-interest-history");
                    long oldest = long.MaxValue;
                    lock (rows)
                    {
                        foreach (var raw in data)
                        {
                            var row = OkxOpenInterestHistoryRow.From(raw);
                            oldest = Math.Min(oldest, row.Time);
                            if (row.Time < from)
                            {
                                continue;
                            }
                            // History rows: linear (coins, USD); inverse (contracts, coins).
                            if (known.Instrument.IsInverse && row.Contracts is { } c && row.Coin is { } coin)
                            {
                                rows.Add(MarketEvent.History(known.Id, row.Time, (double)c, (double)coin));
                            }
                            else if (!known.Instrument.IsInverse && row.Coin is { } q && row.Usd is { } usd)
                            {
                                rows.Add(MarketEvent.History(known.Id, row.Time, (double)q, (double)usd));
                            }
                        }
                    }
                    if (data.Count < 100 || oldest <= from)
                    {
                        break;
                    }
                    end = oldest.ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogHistoryFailed(Logger, known.Instrument.InstId, ex.Message);
            }
            finally
            {
                gate.Release();
            }
        }));
        return rows;
    }

    /// <inheritdoc />
    protected override async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            var funding = Parse<FundingRow>(await GetAsync("/api/v5/public/funding-rate?instId=ANY", "funding-rate:ANY", 10, Window, Window, cancellationToken), "funding-rate");
            lock (_funding)
            {
                foreach (var f in funding)
                {
                    if (OkxJson.Number(f.FundingRate) is { } rate)
                    {
                        _funding[f.InstId] = (double)rate;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Funding is a side figure: OI and marks go on without it.
            LogHistoryFailed(Logger, "funding-rate", ex.Message);
        }
        foreach (var type in new[] { "SWAP", "FUTURES" })
        {
            foreach (var m in Parse<OkxMarkPrice>(await GetAsync($"/api/v5/public/mark-price?instType={type}", "mark-price:" + type, 10, Window, Window, cancellationToken), "mark-price"))
            {
                OnMark(m);
            }
            foreach (var oi in Parse<OkxOpenInterest>(await GetAsync($"/api/v5/public/open-interest?instType={type}", "open-interest:" + type, 20, Window, Window, cancellationToken), "open-interest"))
            {
                OnOpenInterest(oi);
            }
        }
    }

    /// <inheritdoc />
    protected override IReadOnlyList<WatchedSocket> BuildSockets()
    {
        var args = _instruments.Keys.SelectMany(id => new[] { new { channel = "open-interest", instId = id }, new { channel = "mark-price", instId = id } }).ToList();
        if (args.Count == 0)
        {
            return [];
        }
        var plan = new SocketPlan("okx-ws", Options.Stream!, ExchangeIds.Okx, "ping", TimeSpan.FromSeconds(20), Options.StreamSilence, Options.ReconnectMin, Options.ReconnectMax);
        return [new WatchedSocket(plan, () => [.. args.Chunk(ArgsPerRequest).Select((chunk, n) =>
            JsonSerializer.Serialize(new { id = "s" + n.ToString(CultureInfo.InvariantCulture), op = "subscribe", args = chunk }))], OnFrame, Time, Logger)];
    }

    // True for a push (market data); false for an event or a pong.
    private bool OnFrame(string text)
    {
        switch (OkxFrame.Read(text))
        {
            case OkxOpenInterestPush push:
                foreach (var oi in push.Data)
                {
                    OnOpenInterest(oi);
                }
                return true;
            case OkxMarkPricePush push:
                foreach (var m in push.Data)
                {
                    OnMark(m);
                }
                return true;
            case OkxEvent { Event: "error" } e:
                Interlocked.Increment(ref _refusals);
                LogRefused(Logger, e.Code ?? "", e.Msg ?? "");
                return false;
            case OkxEvent { Event: "notice" } e:
                // OKX closes the connection soon for an upgrade; the socket reconnects by itself when it does.
                LogRefused(Logger, e.Code ?? "", e.Msg ?? "");
                return false;
            case OkxOtherPush:
                return true;
            default:
                return false;
        }
    }

    private void OnMark(OkxMarkPrice m)
    {
        if (!_instruments.TryGetValue(m.InstId, out var known) || OkxJson.Number(m.MarkPx) is not { } mark || OkxJson.Millis(m.Ts) is not { } time)
        {
            return;
        }
        double funding;
        lock (_marks)
        {
            _marks[m.InstId] = mark;
        }
        lock (_funding)
        {
            funding = _funding.TryGetValue(m.InstId, out var f) ? f : double.NaN;
        }
        Write(MarketEvent.MarkPrice(known.Id, time, (double)mark, funding));
    }

    private void OnOpenInterest(OkxOpenInterest oi)
    {
        if (!_instruments.TryGetValue(oi.InstId, out var known) || OkxJson.Millis(oi.Ts) is not { } time)
        {
            return;
        }
        decimal? mark;
        lock (_marks)
        {
            mark = _marks.TryGetValue(oi.InstId, out var m) ? m : null;
        }
        var units = OkxOpenInterestUnits.From(oi, known.Instrument, mark);
        if ((known.Instrument.IsInverse ? units.Contracts : units.Coin) is { } value)
        {
            Write(MarketEvent.OpenInterest(known.Id, time, (double)value));
        }
    }

    private static IReadOnlyList<T> Parse<T>(string body, string what) =>
        (JsonSerializer.Deserialize<OkxResponse<T>>(body, OkxJson.Options) ?? throw new JsonException($"OKX sent an empty answer to {what}.")).EnsureSuccess(what);

    private sealed record FundingRow(
        [property: System.Text.Json.Serialization.JsonPropertyName("instId")] string InstId,
        [property: System.Text.Json.Serialization.JsonPropertyName("fundingRate")] string? FundingRate);

    [LoggerMessage(EventId = 1021, EventName = "OkxHistoryFailed", Level = LogLevel.Warning, Message = "OKX history of {InstId} failed: {Problem}")]
    private static partial void LogHistoryFailed(ILogger logger, string instId, string problem);

    [LoggerMessage(EventId = 1022, EventName = "OkxRefused", Level = LogLevel.Warning, Message = "OKX said {Code}: {Message}")]
    private static partial void LogRefused(ILogger logger, string code, string message);
}
