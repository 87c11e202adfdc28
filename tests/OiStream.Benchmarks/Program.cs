using BenchmarkDotNet.Running;
using OiStream.Benchmarks;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;

if (args.Length > 0 && args[0] == "memory")
{
    MemoryReport.Run();
    return;
}
if (args.Length > 0 && args[0] == "freshness")
{
    var minutes = args.Length > 2 && args[1] == "--minutes" ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
    await FreshnessRun.RunAsync(TimeSpan.FromMinutes(minutes));
    return;
}
if (args.Length > 0 && args[0] == "sockets")
{
    await SocketRun.RunAsync(args.Length > 2 && args[1] == "--frames" ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3000);
    return;
}
if (args.Length > 0 && args[0] == "history")
{
    await HistoryRun.RunAsync();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(EngineApplyBenchmarks).Assembly).Run(args);

/// <summary>Measures what one tracked instrument costs in memory (issue target: ≤ 64 KB at default settings).</summary>
internal static class MemoryReport
{
    public static void Run()
    {
        const int count = 600;
        var engine = new MarketEngine(new EngineOptions(), new FarFutureClock());
        // A universe shaped like Binance's: most coins list one USDT perpetual; 40 majors list five contracts each
        // (USDT and USDC perpetuals, two quarterlies, a COIN-M perpetual), so they carry a coin aggregate of their own.
        var instruments = new List<InstrumentInfo>();
        for (var c = 0; c < 40; c++)
        {
            instruments.Add(new InstrumentInfo($"M{c}USDT", Market.UsdM, $"M{c}", "PERPETUAL"));
            instruments.Add(new InstrumentInfo($"M{c}USDC", Market.UsdM, $"M{c}", "PERPETUAL", QuoteAsset: "USDC"));
            instruments.Add(new InstrumentInfo($"M{c}USDT_260327", Market.UsdM, $"M{c}", "CURRENT_QUARTER"));
            instruments.Add(new InstrumentInfo($"M{c}USDT_260626", Market.UsdM, $"M{c}", "NEXT_QUARTER"));
            instruments.Add(new InstrumentInfo($"M{c}USD_PERP", Market.CoinM, $"M{c}", "PERPETUAL", 10, "USD"));
        }
        for (var c = instruments.Count; c < count; c++)
        {
            instruments.Add(new InstrumentInfo($"C{c}USDT", Market.UsdM, $"C{c}", "PERPETUAL"));
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        engine.Apply(MarketEvent.Instruments(new InstrumentListChange(instruments)));
        var t = 1_763_712_000_000L;
        for (var i = 0; i < count; i++)
        {
            // One sample each, so that every instrument holds its first snapshot and live state.
            engine.Apply(MarketEvent.MarkPrice(instruments[i].Symbol, t, 100, 0.0001));
            engine.Apply(MarketEvent.OpenInterest(instruments[i].Symbol, t, 1_000));
        }
        engine.PublishChanges(new List<OiStream.Contracts.InstrumentState>(), new List<OiStream.Contracts.CoinState>());
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(engine);
        var perInstrument = (after - before) / (double)count;
        Console.WriteLine($"instruments: {count} (coins: {engine.GetCoins().Count})");
        Console.WriteLine($"retained heap: {(after - before) / 1024.0 / 1024.0:F1} MiB");
        Console.WriteLine($"per instrument (measured, incl. its coin aggregate and snapshots): {perInstrument / 1024.0:F1} KiB");
        Console.WriteLine($"per instrument (engine's own estimate of its arrays): {engine.BytesPerInstrument / 1024.0:F1} KiB");
    }
}
