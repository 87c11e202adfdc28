using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using OiStream.Contracts;
using OiStream.Core.Engine;
using OiStream.Server.Configuration;
using OiStream.Server.Fanout;
using OiStream.Server.Pipeline;

namespace OiStream.Server.Hubs;

/// <summary>
/// <c>/hubs/oi</c>, protocol v1 (design section 6). Thin: it validates input, joins and leaves groups, and returns the
/// engine's current snapshots; broadcasting happens in <see cref="Pipeline.Publisher"/>. Bad input is answered with a
/// <see cref="HubException"/> that names the problem and the fix; the connection stays open. Subscriptions are
/// topics of <see cref="ConnectionFanout"/>, which serves each connection at its own pace.
/// </summary>
public sealed class OiHub(IMarketView engine, SubscriptionRegistry registry, ConnectionFanout fanout, PublishedStates published,
    InstrumentFields fields, IOptions<OiStreamOptions> options) : Hub<IOiClient>
{
    /// <summary>Joins each symbol's topic of full states (protocol v1) and returns each one's current state.</summary>
    public InstrumentState[] Subscribe(string[]? symbols)
    {
        var states = Join(symbols, Topics.Instrument);
        // The snapshots are read after joining: an update published between a read and the join would reach neither
        // the snapshot nor the topic. Read after, an update sent meanwhile is at most the snapshot's seq (clients drop it).
        for (var i = 0; i < states.Length; i++)
        {
            if (engine.TryGetInstrument(states[i].Symbol, out var now))
            {
                states[i] = now;
            }
        }
        return states;
    }

    /// <summary>
    /// Joins each symbol's topic of deltas and returns the field names deltas index and each symbol's state as last
    /// sent to subscribers: the base of the first delta the caller receives.
    /// </summary>
    public DeltaSubscription SubscribeDeltas(string[]? symbols)
    {
        var states = Join(symbols, Topics.InstrumentDeltas);
        // After joining (see PublishedStates); a symbol never published yet starts from the engine's state, and its
        // first update comes as a full state.
        for (var i = 0; i < states.Length; i++)
        {
            if (published.TryGetInstrument(states[i].Symbol, out var sent) || engine.TryGetInstrument(states[i].Symbol, out sent))
            {
                states[i] = sent;
            }
        }
        return new DeltaSubscription { Fields = fields.Names, States = states };
    }

    private InstrumentState[] Join(string[]? symbols, Func<string, string> topic)
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
            if (!fanout.Join(Context.ConnectionId, topic(name)))
            {
                throw new HubException("The connection has closed.");
            }
        }
        return states;
    }

    /// <summary>Ends those symbols' subscriptions, full states and deltas alike.</summary>
    public void Unsubscribe(string[]? symbols)
    {
        var states = Resolve(symbols);
        var names = states.Select(s => s.Symbol).ToList();
        registry.Remove(Context.ConnectionId, names);
        foreach (var name in names)
        {
            fanout.Leave(Context.ConnectionId, Topics.Instrument(name));
            fanout.Leave(Context.ConnectionId, Topics.InstrumentDeltas(name));
        }
    }

    /// <summary>Joins coin aggregate topics (e.g. <c>["BTC","ETH"]</c>) and returns their current state.</summary>
    public CoinState[] SubscribeCoins(string[]? coins)
    {
        var states = ResolveCoins(coins);
        foreach (var s in states)
        {
            JoinOrThrow(Topics.Coin(s.Coin));
        }
        // Read again after joining, as in Subscribe: no update falls between the snapshot and the topic.
        for (var i = 0; i < states.Length; i++)
        {
            if (engine.TryGetCoin(states[i].Coin, out var now))
            {
                states[i] = now;
            }
        }
        return states;
    }

    /// <summary>Leaves coin aggregate topics.</summary>
    public void UnsubscribeCoins(string[]? coins)
    {
        foreach (var s in ResolveCoins(coins))
        {
            fanout.Leave(Context.ConnectionId, Topics.Coin(s.Coin));
        }
    }

    /// <summary>Returns the whole table and then sends batched <c>overview</c> updates.</summary>
    public IReadOnlyList<InstrumentState> SubscribeOverview()
    {
        JoinOrThrow(Topics.Overview);
        return engine.GetInstruments();
    }

    /// <summary>Stops overview updates.</summary>
    public void UnsubscribeOverview() => fanout.Leave(Context.ConnectionId, Topics.Overview);

    /// <summary>
    /// The overview in table form: returns the whole table and then sends the same batches as <c>overview</c>, as
    /// <c>overviewTable</c> events (a quarter of the bytes; see <see cref="OverviewTable"/>).
    /// </summary>
    public OverviewTable SubscribeOverviewTable()
    {
        JoinOrThrow(Topics.OverviewTable);
        return new OverviewTable(engine.WindowNames, engine.GetInstruments());
    }

    /// <summary>
    /// The overview in table form, then <c>overviewDelta</c> batches (<see cref="OverviewDelta"/>): returns the table
    /// as last sent to overview subscribers (the base of the first deltas), with rows never sent yet from the engine.
    /// </summary>
    public OverviewTable SubscribeOverviewDeltas()
    {
        JoinOrThrow(Topics.OverviewDeltas);
        var rows = engine.GetInstruments()
            .Select(s => published.TryGetOverviewRow(s.Symbol, out var sent) ? sent : s)
            .ToList();
        return new OverviewTable(engine.WindowNames, rows);
    }

    /// <summary>Stops table-form overview updates, whole rows and deltas alike.</summary>
    public void UnsubscribeOverviewTable()
    {
        fanout.Leave(Context.ConnectionId, Topics.OverviewTable);
        fanout.Leave(Context.ConnectionId, Topics.OverviewDeltas);
    }

    private void JoinOrThrow(string topic)
    {
        if (!fanout.Join(Context.ConnectionId, topic))
        {
            throw new HubException("The connection has closed.");
        }
    }

    /// <summary>What this hub computes and allows: its windows, publish interval, symbol limit, quadrant names and source.</summary>
    public HubInfo GetInfo() => new()
    {
        Windows = engine.WindowNames,
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
