using System.Text;

namespace OiStream.Binance.Streams;

/// <summary>
/// Maps symbols as they appear in frames (UTF-8 bytes) to the canonical strings the engine knows, without allocating:
/// a frame of 600 entries must not create 600 strings.
/// </summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, string> _symbols;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Creates a table of the given canonical symbols.</summary>
    public SymbolTable(IEnumerable<string> symbols)
    {
        _symbols = symbols.Distinct(StringComparer.Ordinal).ToDictionary(s => s, s => s, StringComparer.Ordinal);
        _lookup = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of symbols.</summary>
    public int Count => _symbols.Count;

    /// <summary>Finds the canonical string of a UTF-8 symbol.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string symbol)
    {
        if (utf8.Length > 128)
        {
            symbol = null!;
            return false;
        }
        Span<char> chars = stackalloc char[128];
        var n = Encoding.UTF8.GetChars(utf8, chars);
        return _lookup.TryGetValue(chars[..n], out symbol!);
    }

    /// <summary>Finds the canonical string of a symbol.</summary>
    public bool TryGet(ReadOnlySpan<char> text, out string symbol) => _lookup.TryGetValue(text, out symbol!);
}
