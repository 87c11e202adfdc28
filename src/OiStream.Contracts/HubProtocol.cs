using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>
/// Protocol v1's hub methods (client → hub), by the names clients invoke. The hub's methods and the .NET client use
/// these; a test fails when the hub, the JavaScript client or its type declarations disagree with them.
/// </summary>
public static class HubMethods
{
    /// <summary><c>Subscribe(symbols)</c>: snapshots, then <c>instrument</c> updates.</summary>
    public const string Subscribe = "Subscribe";

    /// <summary>
    /// <c>SubscribeDeltas(symbols)</c>: a <see cref="DeltaSubscription"/> (field names and snapshots), then
    /// <c>instrumentDelta</c> updates (and a full <c>instrument</c> state where a delta cannot apply).
    /// </summary>
    public const string SubscribeDeltas = "SubscribeDeltas";

    /// <summary><c>Unsubscribe(symbols)</c>: ends both kinds of subscription.</summary>
    public const string Unsubscribe = "Unsubscribe";

    /// <summary><c>SubscribeCoins(coins)</c>: snapshots, then <c>coin</c> updates.</summary>
    public const string SubscribeCoins = "SubscribeCoins";

    /// <summary><c>UnsubscribeCoins(coins)</c>.</summary>
    public const string UnsubscribeCoins = "UnsubscribeCoins";

    /// <summary><c>SubscribeOverview()</c>: every instrument, then <c>overview</c> batches.</summary>
    public const string SubscribeOverview = "SubscribeOverview";

    /// <summary><c>UnsubscribeOverview()</c>.</summary>
    public const string UnsubscribeOverview = "UnsubscribeOverview";

    /// <summary><c>SubscribeOverviewTable()</c>: the overview in table form, then <c>overviewTable</c> batches.</summary>
    public const string SubscribeOverviewTable = "SubscribeOverviewTable";

    /// <summary>
    /// <c>SubscribeOverviewDeltas()</c>: the overview in table form, then <c>overviewDelta</c> batches (and a full
    /// <c>overviewTable</c> where deltas cannot apply).
    /// </summary>
    public const string SubscribeOverviewDeltas = "SubscribeOverviewDeltas";

    /// <summary><c>UnsubscribeOverviewTable()</c>: ends both table forms.</summary>
    public const string UnsubscribeOverviewTable = "UnsubscribeOverviewTable";

    /// <summary><c>GetInfo()</c>: the hub's <see cref="HubInfo"/> (its windows, publish interval and limits).</summary>
    public const string GetInfo = "GetInfo";

    /// <summary>Every method, in the order above.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Subscribe, SubscribeDeltas, Unsubscribe, SubscribeCoins, UnsubscribeCoins, SubscribeOverview, UnsubscribeOverview, SubscribeOverviewTable,
            SubscribeOverviewDeltas, UnsubscribeOverviewTable, GetInfo];
}

/// <summary>Protocol v1's events (hub → client), by the names clients listen to.</summary>
public static class HubEvents
{
    /// <summary>An <see cref="InstrumentState"/> of a subscribed symbol.</summary>
    public const string Instrument = "instrument";

    /// <summary>An <see cref="Contracts.InstrumentDelta"/> of a symbol subscribed with <c>SubscribeDeltas</c>.</summary>
    public const string InstrumentDelta = "instrumentDelta";

    /// <summary>A <see cref="CoinState"/> of a subscribed coin.</summary>
    public const string Coin = "coin";

    /// <summary>A batch of changed instruments for overview subscribers.</summary>
    public const string Overview = "overview";

    /// <summary>The same batch in table form (<see cref="OverviewTable"/>).</summary>
    public const string OverviewTable = "overviewTable";

    /// <summary>An overview batch as row deltas (<see cref="Contracts.OverviewDelta"/>).</summary>
    public const string OverviewDelta = "overviewDelta";

    /// <summary>A <see cref="SignalEvent"/>.</summary>
    public const string Signal = "signal";

    /// <summary>A <see cref="FeedStatus"/> change.</summary>
    public const string FeedStatus = "feedStatus";

    /// <summary>Every event, in the order above.</summary>
    public static IReadOnlyList<string> All { get; } = [Instrument, InstrumentDelta, Coin, Overview, OverviewTable, OverviewDelta, Signal, FeedStatus];
}

/// <summary>
/// What a hub tells its clients about itself (<c>GetInfo</c>): a client reads the windows from here (or from an overview
/// table's fields) rather than assuming protocol v1's defaults, so a hub configured with other windows works in every client.
/// </summary>
[DataContract]
public sealed record HubInfo
{
    /// <summary>The protocol version (1).</summary>
    [DataMember(Name = "protocol")]
    public int Protocol { get; init; } = 1;

    /// <summary>The change windows the hub computes, shortest first (e.g. <c>5m</c> … <c>24h</c>).</summary>
    [DataMember(Name = "windows")]
    public required IReadOnlyList<string> Windows { get; init; }

    /// <summary>The least time between two updates of one symbol, in ms.</summary>
    [DataMember(Name = "publishIntervalMs")]
    public long PublishIntervalMs { get; init; }

    /// <summary>The most symbols (or coins) one connection may subscribe to.</summary>
    [DataMember(Name = "maxSymbolsPerConnection")]
    public int MaxSymbolsPerConnection { get; init; }

    /// <summary>The quadrant names a signal takes (an overview table's <c>signal.*</c> cells index this list).</summary>
    [DataMember(Name = "signals")]
    public required IReadOnlyList<string> Signals { get; init; }

    /// <summary><c>binance</c> or <c>simulated</c>.</summary>
    [DataMember(Name = "source")]
    public required string Source { get; init; }
}
