using OiStream.Contracts;

namespace OiStream.Server.Pipeline;

/// <summary>What one engine publication produced, handed to the publisher in one piece.</summary>
public sealed record PublishBatch(
    IReadOnlyList<InstrumentState> Instruments,
    IReadOnlyList<CoinState> Coins,
    IReadOnlyList<SignalEvent> Signals);
