using System.Collections.Concurrent;
using OiStream.Contracts;

namespace OiStream.Server.Pipeline;

/// <summary>
/// The broadcast stage's read model: the state of each instrument as last sent to its subscribers (the base of its
/// next delta) and as last sent in an overview batch. The hub answers delta subscriptions from here, not from the
/// engine, so a new subscriber's snapshot is exactly the base of the first delta it receives.
/// </summary>
/// <remarks>
/// The publisher records a state here before it offers the update to a topic's members, and the hub joins a topic
/// before it reads here: so a subscriber either is among the members the update reaches or reads that state.
/// </remarks>
public sealed class PublishedStates
{
    private readonly ConcurrentDictionary<string, InstrumentState> _instruments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InstrumentState> _overviewRows = new(StringComparer.Ordinal);

    /// <summary>The state last sent for this symbol, if any.</summary>
    public bool TryGetInstrument(string symbol, out InstrumentState state) => _instruments.TryGetValue(symbol, out state!);

    /// <summary>The state last sent in an overview batch for this symbol, if any.</summary>
    public bool TryGetOverviewRow(string symbol, out InstrumentState state) => _overviewRows.TryGetValue(symbol, out state!);

    /// <summary>Every row as last sent in an overview batch.</summary>
    public IReadOnlyList<InstrumentState> OverviewRows() => [.. _overviewRows.Values];

    internal void SetInstrument(InstrumentState state) => _instruments[state.Symbol] = state;

    internal void SetOverviewRow(InstrumentState state) => _overviewRows[state.Symbol] = state;
}
