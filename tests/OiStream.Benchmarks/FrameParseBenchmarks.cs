using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using OiStream.Binance.Streams;
using OiStream.Core.Engine;

namespace OiStream.Benchmarks;

/// <summary>
/// Issue target: parse and dispatch a 600-entry <c>!markPrice@arr@1s</c> frame in ≤ 150 µs with no per-entry
/// allocation. Dispatch here is the same delegate the stream client passes (a channel's TryWrite), into a counter.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class FrameParseBenchmarks
{
    private byte[] _frame = null!;
    private SymbolTable _symbols = null!;
    private Func<MarketEvent, bool> _write = null!;
    private long _sink;

    [GlobalSetup]
    public void Setup()
    {
        (_frame, _symbols) = MarkPriceFrame();
        _write = e =>
        {
            _sink += e.Time;
            return true;
        };
    }

    /// <summary>A 600-entry <c>!markPrice@arr@1s</c> frame in Binance's shape, and the symbols it names.</summary>
    public static (byte[] Frame, SymbolTable Symbols) MarkPriceFrame()
    {
        var symbols = Enumerable.Range(0, 600).Select(i => string.Create(CultureInfo.InvariantCulture, $"C{i:000}USDT")).ToList();
        var sb = new StringBuilder("{\"stream\":\"!markPrice@arr@1s\",\"data\":[");
        for (var i = 0; i < symbols.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(CultureInfo.InvariantCulture, $"{{\"e\":\"markPriceUpdate\",\"E\":1763712000000,\"s\":\"{symbols[i]}\",\"p\":\"{100 + (i * 1.37):0.########}\",\"ap\":\"{100 + (i * 1.37):0.########}\",\"i\":\"{100 + (i * 1.36):0.########}\",\"P\":\"{100 + (i * 1.35):0.########}\",\"r\":\"0.00010000\",\"T\":1763740800000}}");
        }
        sb.Append("]}");
        return (Encoding.UTF8.GetBytes(sb.ToString()), new SymbolTable(symbols));
    }

    /// <summary>Frame size, for the README.</summary>
    public int FrameBytes => _frame.Length;

    [Benchmark]
    public int Parse600EntryFrame() => FrameParser.Parse(_frame, _symbols, _write).Events;

    /// <summary>The floor: Utf8JsonReader walking every token of the same frame and doing nothing else.</summary>
    [Benchmark(Baseline = true)]
    public int TokenizeOnly()
    {
        var reader = new System.Text.Json.Utf8JsonReader(_frame);
        var n = 0;
        while (reader.Read())
        {
            n++;
        }
        return n;
    }
}
