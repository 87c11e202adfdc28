using OiStream.Contracts;
using OiStream.Core.Instruments;

namespace OiStream.Core.Engine;

/// <summary>Kinds of <see cref="MarketEvent"/>.</summary>
public enum MarketEventKind : byte
{
    /// <summary>A current OI reading (REST poll or options stream).</summary>
    OpenInterest,

    /// <summary>A mark price tick (with funding rate for perpetuals).</summary>
    MarkPrice,

    /// <summary>A history bucket (<c>openInterestHist</c>) used to warm the series.</summary>
    History,

    /// <summary>The set of tracked instruments changed.</summary>
    Instruments,

    /// <summary>A feed changed health.</summary>
    Feed,

    /// <summary>A start-up backfill: many <see cref="History"/> rows, applied oldest first across instruments.</summary>
    HistoryBatch,
}

/// <summary>
/// One message from a source to the engine. A small value type so that sources can write millions of them into a
/// channel without garbage; the rare kinds (instrument lists, feed status) carry a reference payload.
/// </summary>
public readonly struct MarketEvent
{
    private MarketEvent(MarketEventKind kind, string? symbol, long time, double value, double extra, object? payload)
    {
        Kind = kind;
        Symbol = symbol;
        Time = time;
        Value = value;
        Extra = extra;
        Payload = payload;
    }

    /// <summary>What this event is.</summary>
    public MarketEventKind Kind { get; }

    /// <summary>The instrument's symbol (null for <see cref="MarketEventKind.Instruments"/> and <see cref="MarketEventKind.Feed"/>).</summary>
    public string? Symbol { get; }

    /// <summary>Exchange time in Unix ms (Binance <c>time</c>, <c>E</c>, <c>timestamp</c>): never a local receive time.</summary>
    public long Time { get; }

    /// <summary>OI in Binance's unit (OpenInterest, History: <c>sumOpenInterest</c>) or the mark price (MarkPrice).</summary>
    public double Value { get; }

    /// <summary>
    /// OpenInterest: the USD value Binance reports (options), else NaN. MarkPrice: the funding rate, or NaN where the
    /// contract has none. History: <c>sumOpenInterestValue</c> (USD for USDⓈ-M, coins for COIN-M).
    /// </summary>
    public double Extra { get; }

    /// <summary>Instruments: an <see cref="InstrumentListChange"/>. Feed: a <see cref="FeedStatus"/>. HistoryBatch: a <see cref="HistoryBackfill"/>.</summary>
    public object? Payload { get; }

    /// <summary>A current OI reading.</summary>
    public static MarketEvent OpenInterest(string symbol, long time, double openInterest, double reportedUsd = double.NaN)
        => new(MarketEventKind.OpenInterest, symbol, time, openInterest, reportedUsd, null);

    /// <summary>A mark price tick; <paramref name="fundingRate"/> NaN where the contract has no funding.</summary>
    public static MarketEvent MarkPrice(string symbol, long time, double markPrice, double fundingRate = double.NaN)
        => new(MarketEventKind.MarkPrice, symbol, time, markPrice, fundingRate, null);

    /// <summary>One <c>openInterestHist</c> row.</summary>
    public static MarketEvent History(string symbol, long time, double sumOpenInterest, double sumOpenInterestValue)
        => new(MarketEventKind.History, symbol, time, sumOpenInterest, sumOpenInterestValue, null);

    /// <summary>Instruments added, and (optionally) removed.</summary>
    public static MarketEvent Instruments(InstrumentListChange change)
        => new(MarketEventKind.Instruments, null, 0, double.NaN, double.NaN, change);

    /// <summary>
    /// A backfill of history rows (see <see cref="MarketEngine.Warm"/>). <paramref name="fromExchange"/>: the rows come
    /// from the exchange's history (they are also handed on as candles to store); false for rows read back from
    /// OiStream's own store (already stored).
    /// </summary>
    public static MarketEvent HistoryBatch(IReadOnlyList<MarketEvent> rows, bool fromExchange = true)
        => new(MarketEventKind.HistoryBatch, null, 0, double.NaN, double.NaN, new HistoryBackfill(rows, fromExchange));

    /// <summary>A feed's health changed.</summary>
    public static MarketEvent Feed(FeedStatus status)
        => new(MarketEventKind.Feed, null, status?.Time ?? 0, double.NaN, double.NaN, status);
}

/// <summary>The payload of <see cref="MarketEventKind.HistoryBatch"/>.</summary>
/// <param name="Rows"><see cref="MarketEventKind.History"/> rows (and, from the store, options' <see cref="MarketEventKind.OpenInterest"/> readings).</param>
/// <param name="FromExchange">True for the exchange's history, false for rows read back from OiStream's own store.</param>
public sealed record HistoryBackfill(IReadOnlyList<MarketEvent> Rows, bool FromExchange);

/// <summary>Instruments to add (or update) and symbols to stop tracking.</summary>
/// <param name="Upsert">Instruments now listed; already known ones keep their series.</param>
/// <param name="Remove">Symbols no longer trading (delivered, delisted).</param>
public sealed record InstrumentListChange(IReadOnlyList<InstrumentInfo> Upsert, IReadOnlyList<string>? Remove = null);
