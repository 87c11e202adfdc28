using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.LoadTests;

/// <summary>
/// The three-venue universe of the simulator (Binance, Bybit, OKX) in one hub process: the OI age a client holds per
/// venue (sampled every 200 ms across every instrument of the overview: local time minus the exchange time of the
/// newest OI reading the client holds), the engine's events per second, and the hub's RSS.
/// </summary>
internal static class VenueRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        await using var hub = await HubProcess.StartAsync(null, "--OiStream:Storage:ImportDays=0");
        await hub.WaitReadyAsync(TimeSpan.FromSeconds(180));
        var held = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        await using var client = new OiStreamClient(new Uri(hub.Url, "/hubs/oi"));
        void Hold(IReadOnlyList<InstrumentState> rows)
        {
            foreach (var s in rows)
            {
                if (s.OiTime is { } t && s.Market != "options")
                {
                    held.AddOrUpdate(s.Symbol, t, (_, old) => Math.Max(old, t));
                }
            }
        }
        client.OverviewReceived += Hold;
        await client.StartAsync();
        Hold(await client.SubscribeOverviewAsync());
        // Settle: every venue's sockets and first pushes.
        await Task.Delay(TimeSpan.FromSeconds(20));

        var ages = new Dictionary<string, List<double>>(StringComparer.Ordinal) { ["binance"] = [], ["bybit"] = [], ["okx"] = [] };
        var before = await hub.StatusAsync();
        var cpuBefore = hub.CpuTime();
        var started = DateTimeOffset.UtcNow;
        double rssMax = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(seconds))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (symbol, t) in held)
            {
                var colon = symbol.IndexOf(':', StringComparison.Ordinal);
                ages[colon > 0 ? symbol[..colon].ToLowerInvariant() : "binance"].Add((now - t) / 1000.0);
            }
            rssMax = Math.Max(rssMax, hub.RssMiB());
            await Task.Delay(200);
        }
        var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
        var after = await hub.StatusAsync();
        var cpu = hub.CpuTime() - cpuBefore;
        var applied = after.GetProperty("events").GetProperty("applied").GetInt64() - before.GetProperty("events").GetProperty("applied").GetInt64();
        var dropped = after.GetProperty("events").GetProperty("droppedInChannel").GetInt64();
        Console.WriteLine($"{after.GetProperty("instruments").GetInt32()} instruments ({held.Count} futures in the client's overview); {seconds} s measured");
        foreach (var v in after.GetProperty("venues").EnumerateArray())
        {
            Console.WriteLine($"  {v.GetProperty("exchange").GetString()}: {v.GetProperty("instruments").GetInt32()} instruments, {v.GetProperty("backfilledRows").GetInt32()} history rows at start, " +
                $"REST requests {v.GetProperty("requests").GetInt64()}, refused {v.GetProperty("refused").GetInt64()}");
        }
        foreach (var (venue, list) in ages)
        {
            list.Sort();
            Console.WriteLine($"OI age held by the client, {venue}: median {Quantile(list, 0.5):0.00} s, p99 {Quantile(list, 0.99):0.00} s ({list.Count} samples)");
        }
        Console.WriteLine($"engine events applied: {applied / elapsed:0} per second; dropped in the channel since start: {dropped}");
        Console.WriteLine($"hub RSS: {rssMax:0} MiB at most (simulator of the three venues embedded); hub CPU {cpu.TotalSeconds / elapsed * 100:0} % of one core");
    }

    private static double Quantile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
