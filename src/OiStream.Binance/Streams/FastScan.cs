using OiStream.Core.Engine;

namespace OiStream.Binance.Streams;

/// <summary>
/// The fast path of <see cref="FrameParser"/>: one forward scan over the shape Binance actually sends, an array of flat
/// objects whose values are short strings or numbers (<c>{"stream":…,"data":[{"e":…,"E":…,"s":…,…},…]}</c>), without
/// tokenizing the full JSON grammar. Written by hand because <see cref="System.Text.Json.Utf8JsonReader"/>'s full
/// validation alone takes nearly the whole per-frame budget (docs/benchmarks.md, the frame-parse row).
/// Anything outside the shape (escapes, nesting, a truncated frame) returns false with the number of entries already
/// emitted, and the reader takes over from there; malformed input thus still ends in the reader's JsonException.
/// </summary>
internal static class FastScan
{
    public static bool TryParse(ReadOnlySpan<byte> frame, SymbolTable symbols, Func<MarketEvent, bool> write, ref FrameStats stats, out int emitted)
    {
        emitted = 0;
        var pos = SkipWs(frame, 0);
        var combined = false;
        if (pos < frame.Length && frame[pos] == (byte)'{')
        {
            var data = frame.IndexOf("\"data\":"u8);
            if (data < 0)
            {
                return false;
            }
            pos = SkipWs(frame, data + 7);
            combined = true;
        }
        if (pos >= frame.Length || frame[pos] != (byte)'[')
        {
            return false; // a single object (per-symbol streams): the reader handles it
        }
        pos++;

        var sum = default(FrameParser.OptionSum);
        pos = SkipWs(frame, pos);
        if (pos < frame.Length && frame[pos] == (byte)']')
        {
            return Close(frame, pos, combined);
        }
        while (true)
        {
            if (pos >= frame.Length || frame[pos] != (byte)'{')
            {
                return false;
            }
            pos++;
            ReadOnlySpan<byte> kind = default, symbol = default, price = default, funding = default, oi = default, usd = default;
            long time = 0;
            while (true)
            {
                pos = SkipWs(frame, pos);
                if (pos >= frame.Length || frame[pos] != (byte)'"')
                {
                    return false;
                }
                var keyEnd = End(frame, pos + 1);
                if (keyEnd < 0)
                {
                    return false;
                }
                var key = frame[(pos + 1)..keyEnd];
                pos = SkipWs(frame, keyEnd + 1);
                if (pos >= frame.Length || frame[pos] != (byte)':')
                {
                    return false;
                }
                pos = SkipWs(frame, pos + 1);
                if (pos >= frame.Length)
                {
                    return false;
                }
                ReadOnlySpan<byte> value;
                var quoted = frame[pos] == (byte)'"';
                if (quoted)
                {
                    var valueEnd = End(frame, pos + 1);
                    if (valueEnd < 0)
                    {
                        return false;
                    }
                    value = frame[(pos + 1)..valueEnd];
                    pos = valueEnd + 1;
                }
                else
                {
                    var start = pos;
                    while (pos < frame.Length && IsScalar(frame[pos]))
                    {
                        pos++;
                    }
                    if (pos == start)
                    {
                        return false; // an object, array or something unexpected
                    }
                    value = frame[start..pos];
                }
                if (key.Length == 1)
                {
                    switch (key[0])
                    {
                        case (byte)'e': kind = value; break;
                        case (byte)'E':
                            if (quoted || !TryLong(value, out time))
                            {
                                return false;
                            }
                            break;
                        case (byte)'s': symbol = value; break;
                        case (byte)'p': price = value; break;
                        case (byte)'r': funding = value; break;
                        case (byte)'o': oi = value; break;
                        case (byte)'h': usd = value; break;
                    }
                }
                pos = SkipWs(frame, pos);
                if (pos >= frame.Length)
                {
                    return false;
                }
                if (frame[pos] == (byte)',')
                {
                    pos++;
                    continue;
                }
                if (frame[pos] == (byte)'}')
                {
                    pos++;
                    break;
                }
                return false;
            }

            if (!kind.SequenceEqual("markPriceUpdate"u8) && !kind.SequenceEqual("openInterest"u8))
            {
                return false; // not an entry this path knows: let the reader decide
            }
            sum = FrameParser.Entry(kind, time, symbol, price, funding, oi, usd, symbols, write, ref stats, sum);
            emitted++;
            pos = SkipWs(frame, pos);
            if (pos < frame.Length && frame[pos] == (byte)',')
            {
                pos = SkipWs(frame, pos + 1);
                continue;
            }
            if (pos < frame.Length && frame[pos] == (byte)']')
            {
                if (!Close(frame, pos, combined))
                {
                    return false;
                }
                if (sum.Symbol is not null)
                {
                    FrameParser.Emit(MarketEvent.OpenInterest(sum.Symbol, sum.Time, sum.Contracts, sum.Usd), write, ref stats);
                }
                return true;
            }
            return false;
        }
    }

    // After the array: nothing (raw) or the wrapper's closing brace (combined), then only white space.
    private static bool Close(ReadOnlySpan<byte> frame, int bracket, bool combined)
    {
        var pos = SkipWs(frame, bracket + 1);
        if (combined)
        {
            if (pos >= frame.Length || frame[pos] != (byte)'}')
            {
                return false;
            }
            pos = SkipWs(frame, pos + 1);
        }
        return pos == frame.Length;
    }

    // Index of the closing quote of a string starting at `start`, or -1 if it ends first or holds an escape.
    private static int End(ReadOnlySpan<byte> frame, int start)
    {
        var rest = frame[start..];
        var quote = rest.IndexOfAny((byte)'"', (byte)'\\');
        return quote < 0 || rest[quote] == (byte)'\\' ? -1 : start + quote;
    }

    private static bool IsScalar(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E'
        or (>= (byte)'a' and <= (byte)'z');

    private static bool TryLong(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            value = (value * 10) + (b - '0');
        }
        return true;
    }

    private static int SkipWs(ReadOnlySpan<byte> frame, int pos)
    {
        while (pos < frame.Length && frame[pos] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            pos++;
        }
        return pos;
    }
}
