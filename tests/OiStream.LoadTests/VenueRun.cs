using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.LoadTests;

/// <summary>
/// The three-venue universe of the simulator (Binance, Bybit, OKX) in one hub process: per venue, the OI age a client
/// holds (sampled every 200 ms: local time minus the exchange time of the newest OI reading the client holds) for up
/// to 200 subscribed instruments (updates every publish interval, 250 ms) and for every instrument of the overview
/// (batches every second), and the arrival delay of each new reading (its exchange time to its arrival); the engine's
/// events per second, and the hub's RSS.
/// </summary>
internal static class VenueRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        // The universe of the dashboard bench: 600 Binance coins, 350 on Bybit and OKX each (about 1,400 instruments).
        await using var hub = await HubProcess.StartAsync(null, "--OiStream:Storage:ImportDays=0", "--OiStream:Simulator:UsdmCoins=600",
            "--OiStream:Simulator:BybitCoins=350", "--OiStream:Simulator:OkxCoins=350");
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

        // One subscriber per venue, on as many of its futures as a connection may take.
        var subscribed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var arrivals = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
        var measuring = false;
        var subscribers = new List<OiStreamClient>();
        foreach (var venue in new[] { "binance", "bybit", "okx" })
        {
            var symbols = held.Keys.Where(k => Venue(k) == venue).Order(StringComparer.Ordinal).Take(200).ToList();
            var subscriber = new OiStreamClient(new Uri(hub.Url, "/hubs/oi"));
            var bag = arrivals.GetOrAdd(venue, _ => []);
            subscriber.InstrumentReceived += s =>
            {
                if (s.OiTime is not { } t)
                {
                    return;
                }
                var previous = subscribed.GetValueOrDefault(s.Symbol);
                if (t > previous)
                {
                    subscribed[s.Symbol] = t;
                    if (previous > 0 && Volatile.Read(ref measuring))
                    {
                        bag.Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - t) / 1000.0);
                    }
                }
            };
            await subscriber.StartAsync();
            foreach (var s in await subscriber.SubscribeAsync(symbols))
            {
                subscribed[s.Symbol] = s.OiTime ?? 0;
            }
            subscribers.Add(subscriber);
        }
        await Task.Delay(TimeSpan.FromSeconds(5));

        var ages = new Dictionary<string, List<double>>(StringComparer.Ordinal) { ["binance"] = [], ["bybit"] = [], ["okx"] = [] };
        var subscribedAges = new Dictionary<string, List<double>>(StringComparer.Ordinal) { ["binance"] = [], ["bybit"] = [], ["okx"] = [] };
        Volatile.Write(ref measuring, true);
        var before = await hub.StatusAsync();
        var cpuBefore = hub.CpuTime();
        var started = DateTimeOffset.UtcNow;
        double rssMax = 0;
        while (DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(seconds))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (symbol, t) in held)
            {
                ages[Venue(symbol)].Add((now - t) / 1000.0);
            }
            foreach (var (symbol, t) in subscribed)
            {
                subscribedAges[Venue(symbol)].Add((now - t) / 1000.0);
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
        foreach (var (venue, list) in subscribedAges)
        {
            list.Sort();
            var arrived = arrivals[venue].Order().ToList();
            Console.WriteLine($"{venue}: OI age held by a subscriber ({subscribed.Keys.Count(k => Venue(k) == venue)} instruments): median {Quantile(list, 0.5):0.00} s, p99 {Quantile(list, 0.99):0.00} s; " +
                $"a new reading arrives {Quantile(arrived, 0.5):0.00} s (median), {Quantile(arrived, 0.99):0.00} s (p99) after its exchange time ({arrived.Count} readings)");
        }
        foreach (var (venue, list) in ages)
        {
            list.Sort();
            Console.WriteLine($"{venue}: OI age held by an overview client (every instrument, 1 s batches): median {Quantile(list, 0.5):0.00} s, p99 {Quantile(list, 0.99):0.00} s ({list.Count} samples)");
        }
        foreach (var subscriber in subscribers)
        {
            await subscriber.DisposeAsync();
        }
        Console.WriteLine($"engine events applied: {applied / elapsed:0} per second; dropped in the channel since start: {dropped}");
        Console.WriteLine($"hub RSS: {rssMax:0} MiB at most (simulator of the three venues embedded); hub CPU {cpu.TotalSeconds / elapsed * 100:0} % of one core");
    }

    private static string Venue(string symbol)
    {
        var colon = symbol.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? symbol[..colon].ToLowerInvariant() : "binance";
    }

    private static double Quantile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
