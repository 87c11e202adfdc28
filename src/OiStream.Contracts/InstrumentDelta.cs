using System.Runtime.Serialization;

namespace OiStream.Contracts;

/// <summary>
/// An <c>instrumentDelta</c> event: what changed in one instrument between the update numbered <see cref="Base"/> and
/// the one numbered <see cref="Seq"/>, as pairs of a field index (into <see cref="DeltaSubscription.Fields"/>) and
/// its new value. A client applies it to its state only when that state's <c>seq</c> equals <see cref="Base"/>; one
/// whose state is already at <see cref="Seq"/> or later drops it; any other is behind by a lost update and resyncs.
/// </summary>
/// <remarks>
/// <para>Wire shape: <c>{"symbol":"BTCUSDT","base":41,"seq":42,"set":[6,95123.4,2,1763712000123,26,-0.1234]}</c>.</para>
/// <para>
/// Values are numbers or null: a boolean as 0 or 1, a time in Unix ms, a quadrant as its index into
/// <see cref="OverviewTable.Signals"/>, and change percentages rounded to <see cref="OverviewTable.ChangeDecimals"/>
/// places (a change smaller than that is not sent).
/// </para>
/// </remarks>
[DataContract]
public sealed record InstrumentDelta
{
    /// <summary>The instrument.</summary>
    [DataMember(Name = "symbol")]
    public required string Symbol { get; init; }

    /// <summary>The <c>seq</c> of the state this delta applies to.</summary>
    [DataMember(Name = "base")]
    public long Base { get; init; }

    /// <summary>The <c>seq</c> of the state it makes.</summary>
    [DataMember(Name = "seq")]
    public long Seq { get; init; }

    /// <summary>Pairs of field index and value, flattened: <c>[index, value, index, value, …]</c>.</summary>
    [DataMember(Name = "set")]
    public required IReadOnlyList<double?> Set { get; init; }
}

/// <summary>
/// The answer of <c>SubscribeDeltas</c>: the names of the fields that deltas index, and each instrument's full state,
/// the base its first delta applies to.
/// </summary>
[DataContract]
public sealed record DeltaSubscription
{
    /// <summary>Field names in index order (see <see cref="InstrumentFields"/>).</summary>
    [DataMember(Name = "fields")]
    public required IReadOnlyList<string> Fields { get; init; }

    /// <summary>Quadrant names in index order (a <c>signal.*</c> field's value indexes this list).</summary>
    [DataMember(Name = "signals")]
    public IReadOnlyList<string> Signals { get; init; } = OverviewTable.Signals;

    /// <summary>The current state of each subscribed instrument.</summary>
    [DataMember(Name = "states")]
    public required IReadOnlyList<InstrumentState> States { get; init; }
}

/// <summary>
/// The fields an <see cref="InstrumentDelta"/> can set, for a hub's windows: the one place their order is written
/// down, used by the hub to compute deltas and by the .NET client to apply them. Identity fields (symbol, market,
/// contract type, coin, margin, source) never change and are not among them.
/// </summary>
public sealed class InstrumentFields
{
    /// <summary>Fields before the per-window ones, in index order.</summary>
    public static IReadOnlyList<string> LeadingFields { get; } =
        ["stale", "oiTime", "priceTime", "coverageStart", "openInterest", "openInterestCoin", "openInterestUsd", "markPrice", "fundingRate"];

    private static readonly Dictionary<string, int> SignalIndex =
        OverviewTable.Signals.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);

    private readonly string[] _windows;

    /// <summary>The fields for these windows: the leading ones, then <c>change.*</c>, <c>changeUsd.*</c>, <c>priceChange.*</c> and <c>signal.*</c> per window.</summary>
    public InstrumentFields(IReadOnlyList<string> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        _windows = [.. windows];
        Names = [.. LeadingFields, .. Per("change"), .. Per("changeUsd"), .. Per("priceChange"), .. Per("signal")];
        IEnumerable<string> Per(string block) => _windows.Select(w => $"{block}.{w}");
    }

    /// <summary>Reads the windows back from field names (a <see cref="DeltaSubscription.Fields"/> list).</summary>
    /// <exception cref="FormatException">The names are not a field list this version knows.</exception>
    public static InstrumentFields FromNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var windows = names.Where(n => n.StartsWith("change.", StringComparison.Ordinal)).Select(n => n["change.".Length..]).ToList();
        var fields = new InstrumentFields(windows);
        if (!fields.Names.SequenceEqual(names, StringComparer.Ordinal))
        {
            throw new FormatException($"The hub's delta fields ({string.Join(", ", names.Take(12))}…) are not a layout this client knows: update the client.");
        }
        return fields;
    }

    /// <summary>Field names in index order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The pairs that turn <paramref name="from"/> into <paramref name="to"/> (empty when nothing visible changed).</summary>
    public double?[] Diff(InstrumentState from, InstrumentState to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var set = new List<double?>(32);
        void Put(int index, double? before, double? after)
        {
            if (before != after)
            {
                set.Add(index);
                set.Add(after);
            }
        }
        Put(0, from.Stale ? 1 : 0, to.Stale ? 1 : 0);
        Put(1, from.OiTime, to.OiTime);
        Put(2, from.PriceTime, to.PriceTime);
        Put(3, from.CoverageStart, to.CoverageStart);
        Put(4, Finite(from.OpenInterest), Finite(to.OpenInterest));
        Put(5, Finite(from.OpenInterestCoin), Finite(to.OpenInterestCoin));
        Put(6, Finite(from.OpenInterestUsd), Finite(to.OpenInterestUsd));
        Put(7, Finite(from.MarkPrice), Finite(to.MarkPrice));
        Put(8, Finite(from.FundingRate), Finite(to.FundingRate));
        var at = LeadingFields.Count;
        var n = _windows.Length;
        for (var i = 0; i < n; i++)
        {
            var w = _windows[i];
            Put(at + i, Change(from.Change, w), Change(to.Change, w));
            Put(at + n + i, Change(from.ChangeUsd, w), Change(to.ChangeUsd, w));
            Put(at + (2 * n) + i, Change(from.PriceChange, w), Change(to.PriceChange, w));
            Put(at + (3 * n) + i, Quadrant(from.Signal, w), Quadrant(to.Signal, w));
        }
        return [.. set];
    }

    /// <summary>The state <paramref name="delta"/> makes of <paramref name="state"/> (whose seq must be the delta's base).</summary>
    /// <exception cref="FormatException">A field index or value outside this layout.</exception>
    public InstrumentState Apply(InstrumentState state, InstrumentDelta delta)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(delta);
        var set = delta.Set;
        if (set.Count % 2 != 0)
        {
            throw new FormatException($"A delta of {delta.Symbol} with an odd number of values ({set.Count}): they come in pairs of index and value.");
        }
        var n = _windows.Length;
        var at = LeadingFields.Count;
        Dictionary<string, double?>? change = null, changeUsd = null, priceChange = null;
        Dictionary<string, string?>? signal = null;
        var (stale, oiTime, priceTime, coverageStart) = (state.Stale, state.OiTime, state.PriceTime, state.CoverageStart);
        var (oi, oiCoin, oiUsd, mark, funding) = (state.OpenInterest, state.OpenInterestCoin, state.OpenInterestUsd, state.MarkPrice, state.FundingRate);
        for (var k = 0; k < set.Count; k += 2)
        {
            var index = set[k] is { } i && i >= 0 && i < Names.Count && i == Math.Floor(i)
                ? (int)i
                : throw new FormatException($"A delta of {delta.Symbol} sets field {set[k]}: there are {Names.Count} (0 to {Names.Count - 1}).");
            var value = set[k + 1];
            switch (index)
            {
                case 0: stale = value == 1; break;
                case 1: oiTime = (long?)value; break;
                case 2: priceTime = (long?)value; break;
                case 3: coverageStart = (long?)value; break;
                case 4: oi = value; break;
                case 5: oiCoin = value; break;
                case 6: oiUsd = value; break;
                case 7: mark = value; break;
                case 8: funding = value; break;
                default:
                    var block = (index - at) / n;
                    var w = _windows[(index - at) % n];
                    switch (block)
                    {
                        case 0: (change ??= new(state.Change))[w] = value; break;
                        case 1: (changeUsd ??= new(state.ChangeUsd))[w] = value; break;
                        case 2: (priceChange ??= new(state.PriceChange))[w] = value; break;
                        default:
                            (signal ??= new(state.Signal))[w] = value is { } q
                                ? q >= 0 && q < OverviewTable.Signals.Count ? OverviewTable.Signals[(int)q] : throw new FormatException($"A delta of {delta.Symbol} sets signal.{w} to {q}: quadrants are 0 to {OverviewTable.Signals.Count - 1}.")
                                : null;
                            break;
                    }
                    break;
            }
        }
        return state with
        {
            Seq = delta.Seq,
            Stale = stale,
            OiTime = oiTime,
            PriceTime = priceTime,
            CoverageStart = coverageStart,
            OpenInterest = oi,
            OpenInterestCoin = oiCoin,
            OpenInterestUsd = oiUsd,
            MarkPrice = mark,
            FundingRate = funding,
            Change = change ?? state.Change,
            ChangeUsd = changeUsd ?? state.ChangeUsd,
            PriceChange = priceChange ?? state.PriceChange,
            Signal = signal ?? state.Signal,
        };
    }

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static double? Change(IReadOnlyDictionary<string, double?> block, string window) =>
        block.TryGetValue(window, out var c) && c is { } v && double.IsFinite(v) ? Math.Round(v, OverviewTable.ChangeDecimals) : null;

    private static double? Quadrant(IReadOnlyDictionary<string, string?> block, string window) =>
        block.TryGetValue(window, out var q) && q is not null && SignalIndex.TryGetValue(q, out var i) ? i : null;
}

/// <summary>
/// An <c>overviewDelta</c> event (<c>SubscribeOverviewDeltas</c>): the rows of an overview batch as changes to the
/// table a client holds. Each row is <c>[symbol, base, index, value, index, value, …]</c>: the row's <c>seq</c> it
/// applies to, then pairs of a field index into the table's <see cref="OverviewTable.Fields"/> and the cell's new
/// value (the <c>seq</c> cell among them). A row with base 0 is new and sets every cell. Apply a row only when the
/// held row's <c>seq</c> equals its base; drop it when the held row is newer; otherwise an update was lost: subscribe again.
/// </summary>
[DataContract]
public sealed record OverviewDelta
{
    /// <summary>The changed rows.</summary>
    [DataMember(Name = "rows")]
    public required IReadOnlyList<object?[]> Rows { get; init; }
}
