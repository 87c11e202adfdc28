using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Core.Candles;
using OiStream.Simulator;
using OiStream.Storage.Sqlite;

namespace OiStream.LoadTests;

/// <summary>
/// The history store under a live hub (docs/history.md):
///   import-latency: tick-to-client p99 while the first-start import writes 30 days of history, against the same hub
///     with the import off, in one run; then the import's wall time.
///   restart: a store holding 30 days of the whole simulated universe, and the time from starting the hub on it to
///     /readyz (every window warm from the store).
/// </summary>
internal static class HistoryLoadRun
{
    public static async Task ImportLatencyAsync(string[] args)
    {
        var seconds = Arg(args, "--seconds", 60);
        var coins = Arg(args, "--usdm-coins", 30);
        string[] universe = [$"--OiStream:Simulator:UsdmCoins={coins}", "--OiStream:Simulator:CoinmCoins=4"];

        Console.WriteLine($"universe: {coins} USD-M coins and 4 COIN-M ones; {seconds} s measured per phase");
        LatencyRun.Measurement idle;
        await using (var hub = await HubProcess.StartAsync(null, [.. universe, "--OiStream:Storage:ImportDays=0"]))
        {
            await hub.WaitReadyAsync(TimeSpan.FromSeconds(120));
            idle = await LatencyRun.MeasureAsync(hub, seconds);
            Console.WriteLine($"idle store:  p50 {idle.P50:0} ms, p99 {idle.P99:0} ms over {idle.Count} updates");
        }
        await using (var hub = await HubProcess.StartAsync(null, [.. universe, "--OiStream:Storage:ImportDays=30", "--OiStream:Storage:ImportRequestsPer5Min=800"]))
        {
            var started = Stopwatch.StartNew();
            await hub.WaitReadyAsync(TimeSpan.FromSeconds(120));
            var importing = await LatencyRun.MeasureAsync(hub, seconds);
            var state = (await hub.StatusAsync()).GetProperty("historyImport");
            Console.WriteLine($"importing:   p50 {importing.P50:0} ms, p99 {importing.P99:0} ms over {importing.Count} updates (import {state.GetProperty("state").GetString()} at the end: {state.GetProperty("rows").GetInt64():N0} rows, {state.GetProperty("requests").GetInt64()} requests)");
            Console.WriteLine($"p99 ratio importing / idle: {importing.P99 / idle.P99:F2} (goal ≤ 1.2)");
            while (true)
            {
                state = (await hub.StatusAsync()).GetProperty("historyImport");
                if (state.GetProperty("state").GetString() == "done")
                {
                    break;
                }
                await Task.Delay(1000);
            }
            Console.WriteLine($"import of 30 days: {state.GetProperty("rows").GetInt64():N0} rows, {state.GetProperty("requests").GetInt64()} requests, {started.Elapsed.TotalMinutes:F1} min from start (paced at 800 requests / 5 min); store {new FileInfo(hub.StorePath).Length / 1024.0 / 1024:F1} MiB");
        }
    }

    public static async Task RestartAsync(string[] args)
    {
        var days = Arg(args, "--days", 30);
        // With --binance-unreachable the first hub runs on a standalone simulator as its "Binance" (so it records its
        // instruments in the store), and the restarted one finds nothing at Binance's address.
        var unreachable = args.Contains("--binance-unreachable");
        var store = Path.Combine(Path.GetTempPath(), "oistream-restart-" + Guid.NewGuid().ToString("N"), "history.db");
        static string[] VenuesAt(string rest, string ws) => [.. HubProcess.VenuesAt(rest, ws), "--OiStream:Storage:ImportDays=0"];
        var simulator = unreachable ? await SimulatorServer.StartAsync(new SimulatorOptions()) : null;

        // The instruments and coins of the default simulated universe, as a hub lists them, with their OI now (the
        // stored history leads up to it, so the restarted hub's changes stay in a sane range).
        List<(string Name, SeriesKind Kind, double Oi, double Price)> series;
        await using (var probe = simulator is null
            ? await HubProcess.StartAsync(null, "--OiStream:Storage:ImportDays=0")
            : await HubProcess.StartAsync(store, simulate: false, VenuesAt(simulator.BaseUri.ToString().TrimEnd('/'), simulator.WebSocketUri.ToString().TrimEnd('/'))))
        {
            await probe.WaitReadyAsync(TimeSpan.FromSeconds(180));
            var instruments = await probe.Http.GetFromJsonAsync<JsonElement[]>(new Uri(probe.Url, "/api/v1/instruments"));
            var coinList = await probe.Http.GetFromJsonAsync<JsonElement[]>(new Uri(probe.Url, "/api/v1/coins"));
            static double Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 1_000;
            series = [.. instruments!.Select(i => (i.GetProperty("symbol").GetString()!, SeriesKind.Instrument, Num(i, "openInterestCoin"), Num(i, "markPrice"))),
                .. coinList!.Select(c => (c.GetProperty("coin").GetString()!, SeriesKind.Coin, Num(c, "openInterestCoin"), Num(c, "markPrice")))];
        }

        if (simulator is not null)
        {
            await simulator.DisposeAsync();
        }
        var sw = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var end = now - (now % OiCandle.OneMinute);
        await using (var s = new SqliteHistoryStore(store))
        {
            await s.OpenAsync(unreachable ? "binance" : "simulated", CancellationToken.None);
            var random = new Random(5);
            // 30 days of five-minute buckets (what the import leaves), then the last 26 hours of minutes (what a hub that
            // ran until a moment ago wrote), for every series.
            var batch = new List<OiCandle>(20_000);
            foreach (var (name, kind, oi, price) in series)
            {
                var key = new SeriesKey(kind, name);
                var value = oi;
                for (var t = end - (days * 86_400_000L); t < end - (26 * 3_600_000L); t += OiCandle.FiveMinutes)
                {
                    value *= 1 + ((random.NextDouble() - 0.5) * 0.001);
                    batch.Add(new OiCandle(key, OiCandle.FiveMinutes, t, value, value, value, value, value * price, price, 1));
                    await Flush(s, batch, 20_000);
                }
                for (var t = end - (26 * 3_600_000L); t < end; t += OiCandle.OneMinute)
                {
                    value *= 1 + ((random.NextDouble() - 0.5) * 0.0005);
                    batch.Add(new OiCandle(key, OiCandle.OneMinute, t, value * 0.999, value * 1.001, value * 0.998, value, value * price, price, 12));
                    await Flush(s, batch, 20_000);
                }
            }
            await Flush(s, batch, 0);
        }
        Console.WriteLine($"store: {series.Count(x => x.Kind == SeriesKind.Instrument)} instruments and {series.Count(x => x.Kind == SeriesKind.Coin)} coins, {days} days, {new FileInfo(store).Length / 1024.0 / 1024:F0} MiB, written in {sw.Elapsed.TotalSeconds:F0} s");

        var started = Stopwatch.StartNew();
        await using var hub = unreachable
            ? await HubProcess.StartAsync(store, simulate: false, VenuesAt("http://127.0.0.1:1", "ws://127.0.0.1:1"))
            : await HubProcess.StartAsync(store, "--OiStream:Storage:ImportDays=0");
        await hub.WaitReadyAsync(TimeSpan.FromSeconds(300));
        var toReady = started.Elapsed;
        var btc = await hub.Http.GetFromJsonAsync<JsonElement>(new Uri(hub.Url, "/api/v1/instruments/BTCUSDT"));
        var ready = await hub.Http.GetFromJsonAsync<JsonElement>(new Uri(hub.Url, "/readyz"));
        Console.WriteLine($"restart to ready{(unreachable ? " with Binance unreachable" : "")}: {toReady.TotalSeconds:F1} s (process start to /readyz {ready.GetProperty("status")}; goal ≤ 15 s); " +
            $"BTCUSDT 24h change {btc.GetProperty("change").GetProperty("24h")}, stale {btc.GetProperty("stale")}; hub RSS {hub.RssMiB():0} MiB");
        Directory.Delete(Path.GetDirectoryName(store)!, recursive: true);
    }

    private static async Task Flush(SqliteHistoryStore store, List<OiCandle> batch, int above)
    {
        if (batch.Count > above)
        {
            await store.WriteAsync(batch, CancellationToken.None);
            batch.Clear();
        }
    }

    private static int Arg(string[] args, string name, int fallback)
        => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
