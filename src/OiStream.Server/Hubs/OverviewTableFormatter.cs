using MessagePack;
using MessagePack.Formatters;
using OiStream.Contracts;

namespace OiStream.Server.Hubs;

/// <summary>
/// Writes an <see cref="OverviewTable"/> for the MessagePack protocol in the same shape as its JSON form: a map of
/// <c>source</c>, <c>fields</c>, <c>signals</c> and <c>rows</c>, each row an array of cells (<see cref="OverviewTable.FillRow"/>).
/// </summary>
public sealed class OverviewTableFormatter : IMessagePackFormatter<OverviewTable?>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, OverviewTable? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(4);
        writer.Write("source");
        writer.Write(value.Rows.Count > 0 ? value.Rows[0].Source : null);
        writer.Write("fields");
        writer.WriteArrayHeader(value.Fields.Count);
        foreach (var f in value.Fields)
        {
            writer.Write(f);
        }
        writer.Write("signals");
        writer.WriteArrayHeader(OverviewTable.Signals.Count);
        foreach (var name in OverviewTable.Signals)
        {
            writer.Write(name);
        }
        writer.Write("rows");
        writer.WriteArrayHeader(value.Rows.Count);
        var cells = new OverviewCell[value.Fields.Count];
        foreach (var row in value.Rows)
        {
            var n = value.FillRow(row, cells);
            writer.WriteArrayHeader(n);
            for (var i = 0; i < n; i++)
            {
                var cell = cells[i];
                switch (cell.Kind)
                {
                    case OverviewCellKind.Text:
                        writer.Write(cell.Text);
                        break;
                    case OverviewCellKind.Whole:
                        writer.Write(cell.Whole);
                        break;
                    case OverviewCellKind.Boolean:
                        writer.Write(cell.Whole != 0);
                        break;
                    case OverviewCellKind.Number:
                        writer.Write(cell.Number);
                        break;
                    default:
                        writer.WriteNil();
                        break;
                }
            }
        }
    }

    /// <summary>Tables are written by the hub only.</summary>
    public OverviewTable? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new NotSupportedException("An overview table is a wire format for pages; read InstrumentState (SubscribeOverview) instead.");
}
