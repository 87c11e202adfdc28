using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Server.Configuration;

namespace OiStream.Server.Hubs;

/// <summary>
/// <c>/hubs/oi</c>, protocol v1 (design section 6). Thin: it validates input, joins and leaves groups, and returns the
/// engine's current snapshots; broadcasting happens in <see cref="Pipeline.Publisher"/>. Bad input is answered with a
/// <see cref="HubException"/> that names the problem and the fix; the connection stays open.
/// </summary>
public sealed class OiHub(MarketEngine engine, SubscriptionRegistry registry, IOptions<OiStreamOptions> options) : Hub<IOiClient>
{
    /// <summary>The group of one instrument.</summary>
    public static string InstrumentGroup(string symbol) => "i:" + symbol;

    /// <summary>The group of one coin aggregate.</summary>
    public static string CoinGroup(string coin) => "c:" + coin;

    /// <summary>The group of overview subscribers.</summary>
    public const string OverviewGroup = "overview";

    /// <summary>The group of overview subscribers that take the table form (<see cref="OverviewTable"/>).</summary>
    public const string OverviewTableGroup = "overview-table";

    /// <summary>Joins each symbol's group and returns each one's current state.</summary>
    public async Task<InstrumentState[]> Subscribe(string[]? symbols)
    {
        var states = Resolve(symbols);
        var limit = options.Value.MaxSymbolsPerConnection;
        var names = states.Select(s => s.Symbol).ToList();
        var added = registry.TryAdd(Context.ConnectionId, names, limit);
        if (added == AddResult.Gone)
        {
            // The connection closed while this call ran: nobody is left to answer or to join groups for.
            throw new HubException("The connection has closed.");
        }
        if (added == AddResult.OverLimit)
        {
            throw new HubException(
                $"Too many symbols: this connection would hold {registry.CountFor(Context.ConnectionId) + names.Count} of at most {limit}. Unsubscribe some first, use SubscribeOverview for the whole table, or open another connection.");
        }
        foreach (var name in names)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, InstrumentGroup(name), Context.ConnectionAborted);
        }
        // The snapshots are read after joining: an update published between a read and the join would reach neither
        // the snapshot nor the group, and the client would see seq jump. Read after, an update sent meanwhile is at
        // most the snapshot's seq (clients drop it), and the next one is seq + 1.
        for (var i = 0; i < states.Length; i++)
        {
            if (engine.TryGetInstrument(states[i].Symbol, out var now))
            {
                states[i] = now;
            }
        }
        return states;
    }

    /// <summary>Leaves those symbols' groups.</summary>
    public async Task Unsubscribe(string[]? symbols)
    {
        var states = Resolve(symbols);
        var names = states.Select(s => s.Symbol).ToList();
        registry.Remove(Context.ConnectionId, names);
        foreach (var name in names)
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, InstrumentGroup(name), Context.ConnectionAborted);
        }
    }

    /// <summary>Joins coin aggregate groups (e.g. <c>["BTC","ETH"]</c>) and returns their current state.</summary>
    public async Task<CoinState[]> SubscribeCoins(string[]? coins)
    {
        var states = ResolveCoins(coins);
        foreach (var s in states)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, CoinGroup(s.Coin), Context.ConnectionAborted);
        }
        // Read again after joining, as in Subscribe: no update falls between the snapshot and the group.
        for (var i = 0; i < states.Length; i++)
        {
            if (engine.TryGetCoin(states[i].Coin, out var now))
            {
                states[i] = now;
            }
        }
        return states;
    }

    /// <summary>Leaves coin aggregate groups.</summary>
    public async Task UnsubscribeCoins(string[]? coins)
    {
        foreach (var s in ResolveCoins(coins))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, CoinGroup(s.Coin), Context.ConnectionAborted);
        }
    }

    /// <summary>Returns the whole table and then sends batched <c>overview</c> updates.</summary>
    public async Task<IReadOnlyList<InstrumentState>> SubscribeOverview()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, OverviewGroup, Context.ConnectionAborted);
        return engine.GetInstruments();
    }

    /// <summary>Stops overview updates.</summary>
    public Task UnsubscribeOverview() => Groups.RemoveFromGroupAsync(Context.ConnectionId, OverviewGroup, Context.ConnectionAborted);

    /// <summary>
    /// The overview in table form: returns the whole table and then sends the same batches as <c>overview</c>, as
    /// <c>overviewTable</c> events (a quarter of the bytes; see <see cref="OverviewTable"/>).
    /// </summary>
    public async Task<OverviewTable> SubscribeOverviewTable()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, OverviewTableGroup, Context.ConnectionAborted);
        return new OverviewTable(engine.Windows.Names, engine.GetInstruments());
    }

    /// <summary>Stops table-form overview updates.</summary>
    public Task UnsubscribeOverviewTable() => Groups.RemoveFromGroupAsync(Context.ConnectionId, OverviewTableGroup, Context.ConnectionAborted);

    /// <summary>What this hub computes and allows: its windows, publish interval, symbol limit, quadrant names and source.</summary>
    public HubInfo GetInfo() => new()
    {
        Windows = engine.Windows.Names,
        PublishIntervalMs = (long)options.Value.PublishInterval.TotalMilliseconds,
        MaxSymbolsPerConnection = options.Value.MaxSymbolsPerConnection,
        Signals = OverviewTable.Signals,
        Source = engine.Source,
    };

    /// <inheritdoc />
    public override Task OnConnectedAsync()
    {
        registry.Connected(Context.ConnectionId);
        return base.OnConnectedAsync();
    }

    /// <inheritdoc />
    public override Task OnDisconnectedAsync(Exception? exception)
    {
        registry.Disconnected(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>The longest symbol or coin a call may name (Binance's longest today, an option expiry such as BTC-261225, is far shorter).</summary>
    public const int MaxNameLength = 40;

    // Before any lookup, so that an oversize call costs nothing and is never echoed back.
    private void CheckSize(string[] names, string what, string example)
    {
        var limit = options.Value.MaxSymbolsPerConnection;
        if (names.Length > limit)
        {
            throw new HubException($"Too many {what}s in one call: {names.Length}, at most {limit} (OiStream:MaxSymbolsPerConnection). Send fewer, or use SubscribeOverview for the whole table.");
        }
        foreach (var name in names)
        {
            if (name is { Length: > MaxNameLength })
            {
                throw new HubException($"A {what} of {name.Length} characters: at most {MaxNameLength}. Use {example}.");
            }
        }
    }

    private InstrumentState[] Resolve(string[]? symbols)
    {
        if (symbols is null || symbols.Length == 0)
        {
            throw new HubException("No symbols given: pass at least one, e.g. [\"BTCUSDT\"]. GET /api/v1/instruments lists every symbol.");
        }
        CheckSize(symbols, "symbol", "symbols such as \"BTCUSDT\"");
        var result = new List<InstrumentState>(symbols.Length);
        var unknown = new List<string>();
        foreach (var raw in symbols.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                throw new HubException("An empty symbol was given: remove it, or use symbols such as \"BTCUSDT\".");
            }
            if (engine.TryGetInstrument(raw, out var state))
            {
                result.Add(state);
            }
            else
            {
                unknown.Add(raw);
            }
        }
        if (unknown.Count > 0)
        {
            throw new HubException(
                $"Unknown symbol{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Take(10).Select(u => $"'{u}'"))}: not among the {engine.InstrumentCount} tracked instruments. Use Binance symbols such as BTCUSDT, BTCUSD_PERP or BTC-261225; GET /api/v1/instruments lists them all.");
        }
        return [.. result];
    }

    private CoinState[] ResolveCoins(string[]? coins)
    {
        if (coins is null || coins.Length == 0)
        {
            throw new HubException("No coins given: pass at least one, e.g. [\"BTC\"].");
        }
        CheckSize(coins, "coin", "coins such as \"BTC\"");
        var result = new List<CoinState>();
        foreach (var raw in coins.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(raw) || !engine.TryGetCoin(raw, out var state))
            {
                throw new HubException($"Unknown coin '{raw}': use a base asset such as BTC or ETH; GET /api/v1/instruments shows each instrument's coin.");
            }
            result.Add(state);
        }
        return [.. result];
    }
}
