using OiStream.Contracts;
using OiStream.Core.Instruments;

namespace OiStream.Core.Engine;

/// <summary>
/// The read side of the market: the latest published state of every instrument and coin, and the instruments' static
/// facts. The hub and the REST API answer from it. A node that ingests reads its own <see cref="MarketEngine"/>; an edge
/// node of a cluster reads the leader's publications as replicated to it. Every member is safe from any thread.
/// </summary>
public interface IMarketView
{
    /// <summary>The names of the windows every change block carries, shortest first.</summary>
    IReadOnlyList<string> WindowNames { get; }

    /// <summary><c>binance</c> or <c>simulated</c>: where the states come from.</summary>
    string Source { get; }

    /// <summary>Number of tracked instruments.</summary>
    int InstrumentCount { get; }

    /// <summary>The latest state of an instrument (symbol matched case-insensitively).</summary>
    bool TryGetInstrument(string symbol, out InstrumentState state);

    /// <summary>The static facts of a tracked instrument (symbol matched case-insensitively).</summary>
    bool TryGetInfo(string symbol, out InstrumentInfo info);

    /// <summary>The latest state of a coin aggregate (case-insensitive).</summary>
    bool TryGetCoin(string coin, out CoinState state);

    /// <summary>The latest state of every instrument.</summary>
    IReadOnlyList<InstrumentState> GetInstruments();

    /// <summary>The latest state of every coin aggregate.</summary>
    IReadOnlyList<CoinState> GetCoins();
}
