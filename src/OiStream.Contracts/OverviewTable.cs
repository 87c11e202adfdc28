using System.Text.Json;
using System.Text.Json.Serialization;

namespace OiStream.Contracts;

/// <summary>
/// The overview in table form (hub event <c>overviewTable</c>, method <c>SubscribeOverviewTable</c>): the same rows as
/// <c>overview</c>, each written as one JSON array in the order of <see cref="Fields"/>, for pages that draw every
/// instrument every second. A row is a fifth of an <see cref="InstrumentState"/>'s size: field names are sent once,
/// quadrants as indexes into <see cref="Signals"/>, and change percentages rounded to <see cref="ChangeDecimals"/>
/// decimal places.
/// </summary>
/// <remarks>
/// <para>Wire shape:</para>
/// <code>
/// { "source": "binance", "fields": ["symbol", "market", …, "change.5m", …, "signal.5m", …],
///   "signals": ["neutral", "strongBullish", "weakeningRally", "strongBearish", "weakeningSelloff"],
///   "rows": [["BTCUSDT", "usdm", "PERPETUAL", "BTC", 1841, false, 1763712000123, …], …] }
/// </code>
/// <para>
/// <c>null</c> stands for a missing value (no reading yet, a window not covered, no quadrant). The row layout follows
/// the hub's configured windows, so a client reads <see cref="Fields"/> rather than fixed positions.
/// </para>
/// </remarks>
[JsonConverter(typeof(OverviewTableConverter))]
public sealed class OverviewTable
{
    /// <summary>Decimal places kept in change percentages (0.0001 %: finer than any display needs).</summary>
    public const int ChangeDecimals = 4;

    /// <summary>Fields before the per-window ones, in row order.</summary>
    public static IReadOnlyList<string> LeadingFields { get; } =
    [
        "symbol", "market", "contractType", "coin", "seq", "stale", "oiTime", "priceTime",
        "openInterest", "openInterestCoin", "openInterestUsd", "markPrice", "fundingRate",
    ];

    /// <summary>Quadrant names in index order (a row's <c>signal.*</c> fields index this list).</summary>
    public static IReadOnlyList<string> Signals { get; } =
        [SignalNames.Neutral, SignalNames.StrongBullish, SignalNames.WeakeningRally, SignalNames.StrongBearish, SignalNames.WeakeningSelloff];

    /// <summary>Creates a table of <paramref name="rows"/> with a <c>change.*</c>, a <c>priceChange.*</c> and a <c>signal.*</c> field per window.</summary>
    public OverviewTable(IReadOnlyList<string> windows, IReadOnlyList<InstrumentState> rows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(rows);
        Windows = windows;
        Rows = rows;
        Fields = [.. LeadingFields, .. windows.Select(w => $"change.{w}"), .. windows.Select(w => $"priceChange.{w}"), .. windows.Select(w => $"signal.{w}")];
    }

    /// <summary>The change windows, in the order of their fields.</summary>
    public IReadOnlyList<string> Windows { get; }

    /// <summary>The field names of a row, in order.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The rows' instruments.</summary>
    public IReadOnlyList<InstrumentState> Rows { get; }

    /// <summary>The cells of one row, in the order of <see cref="Fields"/>: the one place the row layout is written down.</summary>
    /// <param name="state">The row's instrument.</param>
    /// <param name="cells">At least <see cref="Fields"/>.Count cells.</param>
    /// <returns>The number of cells written.</returns>
    public int FillRow(InstrumentState state, Span<OverviewCell> cells)
    {
        ArgumentNullException.ThrowIfNull(state);
        var i = 0;
        cells[i++] = OverviewCell.Of(state.Symbol);
        cells[i++] = OverviewCell.Of(state.Market);
        cells[i++] = OverviewCell.Of(state.ContractType);
        cells[i++] = OverviewCell.Of(state.Coin);
        cells[i++] = OverviewCell.Of(state.Seq);
        cells[i++] = OverviewCell.Of(state.Stale);
        cells[i++] = OverviewCell.Of(state.OiTime);
        cells[i++] = OverviewCell.Of(state.PriceTime);
        cells[i++] = OverviewCell.Of(state.OpenInterest);
        cells[i++] = OverviewCell.Of(state.OpenInterestCoin);
        cells[i++] = OverviewCell.Of(state.OpenInterestUsd);
        cells[i++] = OverviewCell.Of(state.MarkPrice);
        cells[i++] = OverviewCell.Of(state.FundingRate);
        foreach (var w in Windows)
        {
            cells[i++] = OverviewCell.Of(state.Change.TryGetValue(w, out var c) && c is { } v ? Math.Round(v, ChangeDecimals) : null);
        }
        // OI-in-USD change is not sent: USD value = coins × price, so it is (1 + change) × (1 + priceChange) − 1.
        foreach (var w in Windows)
        {
            cells[i++] = OverviewCell.Of(state.PriceChange.TryGetValue(w, out var c) && c is { } v ? Math.Round(v, ChangeDecimals) : null);
        }
        foreach (var w in Windows)
        {
            cells[i++] = state.Signal.TryGetValue(w, out var q) && q is not null && SignalIndex.TryGetValue(q, out var index) ? OverviewCell.Of((long)index) : default;
        }
        return i;
    }

    private static readonly Dictionary<string, int> SignalIndex =
        Signals.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
}

/// <summary>One cell of an overview row: a string, a whole number, a boolean, a number, or null (<c>default</c>).</summary>
public readonly record struct OverviewCell(OverviewCellKind Kind, string? Text, long Whole, double Number)
{
    /// <summary>A string (null: a null cell).</summary>
    public static OverviewCell Of(string? text) => text is null ? default : new(OverviewCellKind.Text, text, 0, 0);

    /// <summary>A whole number (null: a null cell).</summary>
    public static OverviewCell Of(long? whole) => whole is { } v ? new(OverviewCellKind.Whole, null, v, 0) : default;

    /// <summary>A boolean.</summary>
    public static OverviewCell Of(bool flag) => new(OverviewCellKind.Boolean, null, flag ? 1 : 0, 0);

    /// <summary>A number (null, NaN or infinite: a null cell).</summary>
    public static OverviewCell Of(double? number) => number is { } v && double.IsFinite(v) ? new(OverviewCellKind.Number, null, 0, v) : default;
}

/// <summary>What an <see cref="OverviewCell"/> holds.</summary>
public enum OverviewCellKind : byte
{
    /// <summary>Nothing: null on the wire.</summary>
    Null,

    /// <summary><see cref="OverviewCell.Text"/>.</summary>
    Text,

    /// <summary><see cref="OverviewCell.Whole"/>.</summary>
    Whole,

    /// <summary><see cref="OverviewCell.Whole"/> as 0 or 1.</summary>
    Boolean,

    /// <summary><see cref="OverviewCell.Number"/>.</summary>
    Number,
}

/// <summary>Writes an <see cref="OverviewTable"/> in its compact wire shape, straight from the states (no copies).</summary>
public sealed class OverviewTableConverter : JsonConverter<OverviewTable>
{
    /// <summary>Tables are written by the hub only; reading one back is not supported.</summary>
    public override OverviewTable Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("An overview table is a wire format for pages; read InstrumentState (SubscribeOverview) instead.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, OverviewTable value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("source", value.Rows.Count > 0 ? value.Rows[0].Source : null);
        writer.WriteStartArray("fields");
        foreach (var field in value.Fields)
        {
            writer.WriteStringValue(field);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("signals");
        foreach (var name in OverviewTable.Signals)
        {
            writer.WriteStringValue(name);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("rows");
        var cells = new OverviewCell[value.Fields.Count];
        foreach (var s in value.Rows)
        {
            writer.WriteStartArray();
            var n = value.FillRow(s, cells);
            foreach (var cell in cells[..n])
            {
                switch (cell.Kind)
                {
                    case OverviewCellKind.Text:
                        writer.WriteStringValue(cell.Text);
                        break;
                    case OverviewCellKind.Whole:
                        writer.WriteNumberValue(cell.Whole);
                        break;
                    case OverviewCellKind.Boolean:
                        writer.WriteBooleanValue(cell.Whole != 0);
                        break;
                    case OverviewCellKind.Number:
                        writer.WriteNumberValue(cell.Number);
                        break;
                    default:
                        writer.WriteNullValue();
                        break;
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
