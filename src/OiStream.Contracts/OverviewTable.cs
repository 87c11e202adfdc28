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

    /// <summary>Creates a table of <paramref name="rows"/> with a <c>change.*</c> and a <c>signal.*</c> field per window.</summary>
    public OverviewTable(IReadOnlyList<string> windows, IReadOnlyList<InstrumentState> rows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(rows);
        Windows = windows;
        Rows = rows;
        Fields = [.. LeadingFields, .. windows.Select(w => $"change.{w}"), .. windows.Select(w => $"signal.{w}")];
    }

    /// <summary>The change windows, in the order of their fields.</summary>
    public IReadOnlyList<string> Windows { get; }

    /// <summary>The field names of a row, in order.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The rows' instruments.</summary>
    public IReadOnlyList<InstrumentState> Rows { get; }
}

/// <summary>Writes an <see cref="OverviewTable"/> in its compact wire shape, straight from the states (no copies).</summary>
public sealed class OverviewTableConverter : JsonConverter<OverviewTable>
{
    private static readonly Dictionary<string, int> SignalIndex =
        OverviewTable.Signals.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);

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
        foreach (var s in value.Rows)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(s.Symbol);
            writer.WriteStringValue(s.Market);
            writer.WriteStringValue(s.ContractType);
            writer.WriteStringValue(s.Coin);
            writer.WriteNumberValue(s.Seq);
            writer.WriteBooleanValue(s.Stale);
            Number(writer, s.OiTime);
            Number(writer, s.PriceTime);
            Number(writer, s.OpenInterest);
            Number(writer, s.OpenInterestCoin);
            Number(writer, s.OpenInterestUsd);
            Number(writer, s.MarkPrice);
            Number(writer, s.FundingRate);
            foreach (var w in value.Windows)
            {
                Number(writer, s.Change.TryGetValue(w, out var c) && c is { } v ? Math.Round(v, OverviewTable.ChangeDecimals) : null);
            }
            foreach (var w in value.Windows)
            {
                if (s.Signal.TryGetValue(w, out var q) && q is not null && SignalIndex.TryGetValue(q, out var index))
                {
                    writer.WriteNumberValue(index);
                }
                else
                {
                    writer.WriteNullValue();
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter writer, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void Number(Utf8JsonWriter writer, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
