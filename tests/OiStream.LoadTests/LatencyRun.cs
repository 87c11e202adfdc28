using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Client;

namespace OiStream.LoadTests;

/// <summary>
/// Tick-to-client latency, from the simulator's mark-price tick (its exchange time) to the update received by a client,
/// p50 and p99, with 100 clients subscribed to 20 symbols each (issue target: p99 ≤ publish interval + 20 ms). The hub
/// runs as its own process (so its RSS is its own), with the simulator embedded; the clients run here. Only updates
/// that carry a new mark price count (an update caused by an OI poll carries an older tick).
/// </summary>
internal static class LatencyRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        await using var hub = await HubProcess.StartAsync(null);
        await hub.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var result = await MeasureAsync(hub, seconds);
        Console.WriteLine($"clients: 100 × 20 symbols ({result.Symbols} distinct USD-M perpetuals); publish interval 250 ms; {seconds} s measured");
        Console.WriteLine($"tick-to-client latency over {result.Count} updates: p50 {result.P50:0} ms, p90 {result.P90:0} ms, p99 {result.P99:0} ms, max {result.Max:0} ms (target p99 ≤ 270 ms)");
        Console.WriteLine($"hub RSS: {result.RssMiB:0} MiB with {result.Instruments} instruments, {result.Clients} clients (simulator embedded; the history import running)");
    }

    /// <summary>What one measurement saw.</summary>
    internal sealed record Measurement(int Symbols, int Count, double P50, double P90, double P99, double Max, double RssMiB, int Instruments, int Clients)
    {
        /// <summary>Instrument updates the clients received while measuring.</summary>
        public long Delivered { get; init; }

        /// <summary>The hub process's CPU time while measuring.</summary>
        public TimeSpan HubCpu { get; init; }
    }

    /// <summary>Connects 100 clients × 20 symbols to a ready hub and measures for <paramref name="seconds"/>.</summary>
    internal static async Task<Measurement> MeasureAsync(HubProcess hub, int seconds, OiStreamProtocol protocol = OiStreamProtocol.Json)
    {
        long delivered = 0;
        TimeSpan cpu;
        var all = (await hub.Http.GetFromJsonAsync<JsonElement[]>(new Uri(hub.Url, "/api/v1/instruments")))!
            .Where(s => s.GetProperty("market").GetString() == "usdm" && s.GetProperty("contractType").GetString() == "PERPETUAL")
            .Select(s => s.GetProperty("symbol").GetString()!).Take(100).ToList();
        var latencies = new ConcurrentBag<double>();
        var clients = new List<OiStreamClient>();
        var measuring = false;
        double rss;
        int instruments, connected;
        for (var c = 0; c < 100; c++)
        {
            var client = new OiStreamClient(new Uri(hub.Url, "/hubs/oi"), new OiStreamClientOptions { Protocol = protocol });
            var lastTick = new ConcurrentDictionary<string, long>();
            client.InstrumentReceived += s =>
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref delivered);
                }
                if (s.PriceTime is { } t && lastTick.TryGetValue(s.Symbol, out var prev) && t > prev && Volatile.Read(ref measuring))
                {
                    latencies.Add(now - t);
                }
                if (s.PriceTime is { } p)
                {
                    lastTick[s.Symbol] = p;
                }
            };
            clients.Add(client);
        }
        try
        {
            await Task.WhenAll(clients.Select(c => c.StartAsync()));
            await Task.WhenAll(clients.Select((c, i) => c.SubscribeAsync(Enumerable.Range(0, 20).Select(k => all[((i * 7) + k) % all.Count]))));
            await Task.Delay(TimeSpan.FromSeconds(5)); // connections settle, first updates seed lastTick
            var cpuBefore = hub.CpuTime();
            Volatile.Write(ref measuring, true);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            Volatile.Write(ref measuring, false);
            cpu = hub.CpuTime() - cpuBefore;
            var status = await hub.StatusAsync();
            rss = hub.RssMiB();
            instruments = status.GetProperty("instruments").GetInt32();
            connected = status.GetProperty("clients").GetInt32();
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
        var sorted = latencies.Order().ToList();
        double Pct(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
        return new Measurement(all.Count, sorted.Count, Pct(0.50), Pct(0.90), Pct(0.99), Pct(1), rss, instruments, connected) { Delivered = delivered, HubCpu = cpu };
    }
}
