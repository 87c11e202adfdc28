using System.Collections.Concurrent;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;

namespace OiStream.Server.Replication;

/// <summary>
/// An edge node's market: the latest state of every instrument and coin as the leader published them, and the
/// leader's instrument catalog. One writer (the <see cref="ReplicaFollower"/>), readers on any thread. A state is
/// taken only when its <c>seq</c> is newer than the one held, so the same state arriving twice (from the channel and
/// from the kept hashes) or a deposed leader's late publication changes nothing.
/// </summary>
public sealed class ReplicaState(IReadOnlyList<string> windowNames, string source) : IMarketView
{
    private readonly ConcurrentDictionary<string, InstrumentState> _instruments = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CoinState> _coins = new(StringComparer.OrdinalIgnoreCase);
    private volatile Dictionary<string, InstrumentInfo> _catalog = new(StringComparer.OrdinalIgnoreCase);
    private volatile string _source = source;

    /// <inheritdoc />
    public IReadOnlyList<string> WindowNames { get; } = windowNames;

    /// <inheritdoc />
    public string Source => _source;

    /// <inheritdoc />
    public int InstrumentCount => _instruments.Count;

    /// <summary>Takes an instrument's state if it is newer than the one held.</summary>
    public bool Offer(InstrumentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_instruments.TryGetValue(state.Symbol, out var held) && held.Seq >= state.Seq)
        {
            return false;
        }
        _instruments[state.Symbol] = state;
        _source = state.Source;
        return true;
    }

    /// <summary>Takes a coin's state if it is newer than the one held.</summary>
    public bool Offer(CoinState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_coins.TryGetValue(state.Coin, out var held) && held.Seq >= state.Seq)
        {
            return false;
        }
        _coins[state.Coin] = state;
        return true;
    }

    /// <summary>Replaces the catalog; instruments no longer in it are dropped.</summary>
    public void SetCatalog(IReadOnlyList<InstrumentInfo> catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var next = new Dictionary<string, InstrumentInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var info in catalog)
        {
            next[info.Symbol] = info;
        }
        _catalog = next;
        if (next.Count > 0)
        {
            foreach (var symbol in _instruments.Keys.Where(s => !next.ContainsKey(s)).ToList())
            {
                _instruments.TryRemove(symbol, out _);
            }
        }
    }

    /// <inheritdoc />
    public bool TryGetInstrument(string symbol, out InstrumentState state)
    {
        if (symbol is not null && _instruments.TryGetValue(symbol.Trim(), out var s))
        {
            state = s;
            return true;
        }
        state = null!;
        return false;
    }

    /// <inheritdoc />
    public bool TryGetInfo(string symbol, out InstrumentInfo info)
    {
        if (symbol is not null && _catalog.TryGetValue(symbol.Trim(), out var i))
        {
            info = i;
            return true;
        }
        info = null!;
        return false;
    }

    /// <inheritdoc />
    public bool TryGetCoin(string coin, out CoinState state)
    {
        if (coin is not null && _coins.TryGetValue(coin.Trim(), out var c))
        {
            state = c;
            return true;
        }
        state = null!;
        return false;
    }

    /// <inheritdoc />
    public IReadOnlyList<InstrumentState> GetInstruments() => [.. _instruments.Values.OrderBy(s => s.Symbol, StringComparer.Ordinal)];

    /// <inheritdoc />
    public IReadOnlyList<CoinState> GetCoins() => [.. _coins.Values.OrderBy(c => c.Coin, StringComparer.Ordinal)];
}
