using System.Text;

namespace OiStream.Binance.Streams;

/// <summary>
/// Maps symbols as they appear in frames (UTF-8 bytes) to the canonical strings the engine knows, without allocating:
/// a frame of 600 entries must not create 600 strings.
/// </summary>
/// <remarks>
/// An open-addressing table keyed by the UTF-8 bytes themselves with an FNV-1a hash: symbols are short, and hashing the
/// bytes directly costs a fraction of decoding them to chars for a string dictionary (measured in the frame-parse
/// benchmark). Immutable after construction, so any thread may read it.
/// </remarks>
public sealed class SymbolTable
{
    private readonly byte[][] _keys;
    private readonly string[] _values;
    private readonly int _mask;

    /// <summary>Creates a table of the given canonical symbols.</summary>
    public SymbolTable(IEnumerable<string> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var distinct = symbols.Distinct(StringComparer.Ordinal).ToList();
        Count = distinct.Count;
        var size = 16;
        while (size < distinct.Count * 4)
        {
            size <<= 1;
        }
        _keys = new byte[size][];
        _values = new string[size];
        _mask = size - 1;
        foreach (var symbol in distinct)
        {
            var key = Encoding.UTF8.GetBytes(symbol);
            var slot = (int)Hash(key) & _mask;
            while (_keys[slot] is not null)
            {
                slot = (slot + 1) & _mask;
            }
            _keys[slot] = key;
            _values[slot] = symbol;
        }
    }

    /// <summary>Number of symbols.</summary>
    public int Count { get; }

    /// <summary>Finds the canonical string of a UTF-8 symbol.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string symbol)
    {
        var slot = (int)Hash(utf8) & _mask;
        while (_keys[slot] is { } key)
        {
            if (utf8.SequenceEqual(key))
            {
                symbol = _values[slot];
                return true;
            }
            slot = (slot + 1) & _mask;
        }
        symbol = null!;
        return false;
    }

    /// <summary>Finds the canonical string of a symbol.</summary>
    public bool TryGet(ReadOnlySpan<char> text, out string symbol)
    {
        Span<byte> utf8 = stackalloc byte[256];
        if (Encoding.UTF8.GetMaxByteCount(text.Length) > utf8.Length && Encoding.UTF8.GetByteCount(text) > utf8.Length)
        {
            symbol = null!;
            return false;
        }
        var n = Encoding.UTF8.GetBytes(text, utf8);
        return TryGet(utf8[..n], out symbol);
    }

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var h = 2166136261u;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 16777619u;
        }
        return h ^ (h >> 15);
    }
}
