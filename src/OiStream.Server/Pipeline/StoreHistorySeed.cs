using Microsoft.Extensions.Options;
using OiStream.Core.Candles;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Server.Configuration;
using OiStream.Storage;

namespace OiStream.Server.Pipeline;

/// <summary>
/// Warms the engine from the store at start: the last <see cref="StorageOptions.WarmStart"/> of every instrument at
/// the finest resolution held, as rows the engine applies like exchange history. A candle's close is the value at the
/// end of its bucket, so each becomes one reading at that time (in the exchange's units, which the engine turns back
/// into coins and USD).
/// </summary>
public sealed class StoreHistorySeed(IHistoryStore store, IOptions<OiStreamOptions> options, TimeProvider time) : IHistorySeed
{
    /// <inheritdoc />
    public async Task<HistorySeed> LoadAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var since = now - (long)options.Value.Storage.WarmStart.TotalMilliseconds;
        var candles = await store.ReadRecentAsync(since, cancellationToken);
        var bySymbol = instruments.ToDictionary(i => i.Symbol, StringComparer.Ordinal);
        var rows = new List<MarketEvent>(candles.Count);
        var heldUntil = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in candles)
        {
            if (!bySymbol.TryGetValue(c.Series.Name, out var info) || ToRow(info, c, now) is not { } row)
            {
                continue;
            }
            rows.Add(row);
            heldUntil[info.Symbol] = Math.Max(heldUntil.GetValueOrDefault(info.Symbol), c.End);
        }
        return new HistorySeed(rows, heldUntil);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<InstrumentInfo>> LoadInstrumentsAsync(CancellationToken cancellationToken) => store.ReadInstrumentsAsync(cancellationToken);

    /// <summary>
    /// One stored candle as the reading the engine would have had at the end of its bucket, or at
    /// <paramref name="now"/> for the minute a hub stopped in (written before its end): a reading stamped in the future
    /// would make every live reading of that minute look late.
    /// </summary>
    internal static MarketEvent? ToRow(InstrumentInfo info, in OiCandle c, long now)
    {
        var at = Math.Min(c.End - 1, now);
        if (!(c.Close > 0) || !(c.CloseUsd > 0))
        {
            return null;
        }
        return info.Market switch
        {
            // openInterestHist's units: USDⓈ-M (coins, USD); COIN-M (contracts, coins); options take a reading instead.
            Market.UsdM => MarketEvent.History(info.Symbol, at, c.Close, c.CloseUsd),
            Market.CoinM => MarketEvent.History(info.Symbol, at, c.CloseUsd / info.ContractSize, c.Close),
            _ => MarketEvent.OpenInterest(info.Symbol, at, c.Close / info.ContractSize, c.CloseUsd),
        };
    }
}
