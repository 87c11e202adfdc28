using System.Text.Json;
using OiStream.Core.Engine;

namespace OiStream.Binance.Streams;

/// <summary>What parsing one frame produced.</summary>
internal struct FrameStats
{
    /// <summary>Events written.</summary>
    public int Events;

    /// <summary>Entries whose symbol is not tracked.</summary>
    public int UnknownSymbols;

    /// <summary>Events the channel refused (full): counted, never silent.</summary>
    public int Dropped;
}

/// <summary>
/// Parses Binance <c>/market</c> frames (fact sheet 7.2, 5.3): combined (<c>{"stream":…,"data":…}</c>) or raw, a single
/// <c>markPriceUpdate</c> object or an array of them, and options <c>openInterest</c> arrays. Walks the bytes with
/// <see cref="Utf8JsonReader"/>: no string or object per entry. Options entries of one frame (one underlying and
/// expiry) are summed into one OI event of the expiry instrument (<c>BTC-261128</c>).
/// </summary>
internal static class FrameParser
{
    /// <summary>
    /// Parses a frame and writes its events. Subscription acknowledgements (<c>{"result":null,"id":1}</c>) yield nothing.
    /// </summary>
    /// <exception cref="JsonException">The frame is not valid JSON, or an entry lacks a required field.</exception>
    public static FrameStats Parse(ReadOnlySpan<byte> frame, SymbolTable symbols, Func<MarketEvent, bool> write)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(write);
        var stats = default(FrameStats);
        if (FastScan.TryParse(frame, symbols, write, ref stats, out var done))
        {
            return stats;
        }
        // Outside the fast path's shape: the reader takes over after the entries already emitted.
        var skip = done;
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read())
        {
            throw new JsonException("Empty frame.");
        }
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            ParseEntries(ref reader, frame, symbols, write, ref stats, skip);
            return stats;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A frame is a JSON object or array.");
        }

        // Combined mode wraps the payload in "data"; raw mode is the payload itself.
        var probe = reader;
        var combined = false;
        while (probe.Read() && probe.TokenType == JsonTokenType.PropertyName)
        {
            if (probe.ValueTextEquals("data"u8))
            {
                combined = true;
                break;
            }
            probe.Skip(); // on a property name, Skip moves to the end of its value
        }
        if (!combined)
        {
            ParseObjectEntry(ref reader, frame, symbols, write, ref stats, new OptionSum());
            return stats;
        }

        reader = probe;
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            ParseEntries(ref reader, frame, symbols, write, ref stats, skip);
        }
        else if (reader.TokenType == JsonTokenType.StartObject)
        {
            ParseObjectEntry(ref reader, frame, symbols, write, ref stats, new OptionSum());
        }
        else
        {
            throw new JsonException("\"data\" is neither an object nor an array.");
        }
        return stats;
    }

    private static void ParseEntries(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame, SymbolTable symbols, Func<MarketEvent, bool> write, ref FrameStats stats, int skip = 0)
    {
        var sum = new OptionSum();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("An array entry is not an object.");
            }
            if (index++ < skip)
            {
                reader.Skip(); // emitted by the fast path already
                continue;
            }
            sum = ParseObjectEntry(ref reader, frame, symbols, write, ref stats, sum);
        }
        if (sum.Symbol is not null)
        {
            Emit(MarketEvent.OpenInterest(sum.Symbol, sum.Time, sum.Contracts, sum.Usd), write, ref stats);
        }
    }

    private static OptionSum ParseObjectEntry(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame, SymbolTable symbols, Func<MarketEvent, bool> write, ref FrameStats stats, OptionSum sum)
    {
        ReadOnlySpan<byte> kind = default, symbol = default, price = default, funding = default, oi = default, usd = default;
        long time = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }
            // Binance's single-letter keys are case-sensitive: "p" is the mark, "P" the settle estimate.
            var name = frame.Slice((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
            reader.Read();
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            if (name.Length == 1)
            {
                switch (name[0])
                {
                    case (byte)'e': kind = Value(ref reader, frame); break;
                    case (byte)'E': time = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : 0; break;
                    case (byte)'s': symbol = Value(ref reader, frame); break;
                    case (byte)'p': price = Value(ref reader, frame); break;
                    case (byte)'r': funding = Value(ref reader, frame); break;
                    case (byte)'o': oi = Value(ref reader, frame); break;
                    case (byte)'h': usd = Value(ref reader, frame); break;
                }
            }
            else if (name.SequenceEqual("result"u8) || name.SequenceEqual("id"u8))
            {
                kind = "ack"u8;
            }
        }

        return Entry(kind, time, symbol, price, funding, oi, usd, symbols, write, ref stats, sum);
    }

    // One entry's fields, from either path. Options entries are summed into `sum` until the expiry changes.
    internal static OptionSum Entry(ReadOnlySpan<byte> kind, long time, ReadOnlySpan<byte> symbol, ReadOnlySpan<byte> price, ReadOnlySpan<byte> funding,
        ReadOnlySpan<byte> oi, ReadOnlySpan<byte> usd, SymbolTable symbols, Func<MarketEvent, bool> write, ref FrameStats stats, OptionSum sum)
    {
        if (kind.SequenceEqual("markPriceUpdate"u8))
        {
            if (!symbols.TryGet(symbol, out var s))
            {
                stats.UnknownSymbols++;
                return sum;
            }
            var mark = Number(price, "p");
            var rate = funding.IsEmpty ? double.NaN : Number(funding, "r");
            Emit(MarketEvent.MarkPrice(s, time, mark, rate), write, ref stats);
        }
        else if (kind.SequenceEqual("openInterest"u8))
        {
            // Option symbol BTC-261128-86000-C: its expiry instrument is everything before the second '-'.
            var first = symbol.IndexOf((byte)'-');
            var second = first < 0 ? -1 : symbol[(first + 1)..].IndexOf((byte)'-');
            if (second < 0 || !symbols.TryGet(symbol[..(first + 1 + second)], out var expiry))
            {
                stats.UnknownSymbols++;
                return sum;
            }
            if (sum.Symbol is not null && !ReferenceEquals(sum.Symbol, expiry))
            {
                Emit(MarketEvent.OpenInterest(sum.Symbol, sum.Time, sum.Contracts, sum.Usd), write, ref stats);
                sum = new OptionSum();
            }
            sum.Symbol = expiry;
            sum.Time = Math.Max(sum.Time, time);
            sum.Contracts += Number(oi, "o");
            sum.Usd += Number(usd, "h");
        }
        else if (!kind.SequenceEqual("ack"u8) && !kind.IsEmpty)
        {
            // Another event type on the same socket: not ours, not an error.
        }
        return sum;
    }

    // The frame is one contiguous span, so a value is a slice of it (cut by index: the reader itself cannot lend spans
    // out of this call).
    private static ReadOnlySpan<byte> Value(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> frame)
    {
        if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
        {
            // Binance sends no escapes in these fields; an escaped value would not be a number or symbol anyway.
            if (reader.ValueIsEscaped)
            {
                throw new JsonException("Escaped value where a plain one was expected.");
            }
            var start = (int)reader.TokenStartIndex + (reader.TokenType == JsonTokenType.String ? 1 : 0);
            return frame.Slice(start, reader.ValueSpan.Length);
        }
        return default;
    }

    internal static double Number(ReadOnlySpan<byte> text, string field)
    {
        if (text.IsEmpty)
        {
            // "" is Binance's way of saying "none" (COIN-M delivery funding).
            return double.NaN;
        }
        return FastDecimal.TryParse(text, out var value)
            ? value
            : throw new JsonException($"Field \"{field}\" is not a number.");
    }

    internal static void Emit(MarketEvent e, Func<MarketEvent, bool> write, ref FrameStats stats)
    {
        if (write(e))
        {
            stats.Events++;
        }
        else
        {
            stats.Dropped++;
        }
    }

    internal struct OptionSum
    {
        public string? Symbol;
        public long Time;
        public double Contracts;
        public double Usd;
    }
}
