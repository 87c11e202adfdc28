using OiStream.Core.Instruments;

namespace OiStream.Core.Engine;

/// <summary>History already held when a source starts: rows to warm the engine with, and up to when each symbol is held.</summary>
/// <param name="Rows">Rows for <see cref="MarketEvent.HistoryBatch"/> (not from the exchange: they are stored already).</param>
/// <param name="HeldUntil">Per symbol, the exchange time (Unix ms) up to which history is held; the source fetches only what follows.</param>
public sealed record HistorySeed(IReadOnlyList<MarketEvent> Rows, IReadOnlyDictionary<string, long> HeldUntil)
{
    /// <summary>Nothing held.</summary>
    public static HistorySeed Empty { get; } = new([], new Dictionary<string, long>());
}

/// <summary>Reads the history a source need not fetch again (OiStream's own store), once its instruments are known.</summary>
public interface IHistorySeed
{
    /// <summary>Loads what is held for <paramref name="instruments"/>.</summary>
    Task<HistorySeed> LoadAsync(IReadOnlyList<InstrumentInfo> instruments, CancellationToken cancellationToken);

    /// <summary>
    /// The instruments tracked when the history was last written (empty when none were recorded): what a source that
    /// cannot reach its exchange at start serves from the store until it can.
    /// </summary>
    Task<IReadOnlyList<InstrumentInfo>> LoadInstrumentsAsync(CancellationToken cancellationToken);
}
