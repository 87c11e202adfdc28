using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using OiStream.Binance;
using OiStream.Binance.Rest;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Simulator;

namespace OiStream.Benchmarks;

/// <summary>
/// Issue target: in a simulated run with every USD-M and COIN-M contract and 20 subscribed symbols, the subscribed
/// symbols' median OI age ≤ 2 s, every other instrument's median ≤ 15 s, zero 429s, weight used ≤ the configured share.
/// OI age = local time − exchange time of the newest OI reading the adapter has delivered, sampled every second.
/// </summary>
internal static class FreshnessRun
{
    public static async Task RunAsync(TimeSpan duration)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions());
        var options = new BinanceOptions().PointedAt(sim.BaseUri, sim.WebSocketUri);
        var governor = new WeightGovernor(options);
        using var http = new HttpClient();
        var rest = new BinanceRestClient(http, options, governor);
        var channel = Channel.CreateBounded<MarketEvent>(new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var feed = new BinanceFeed(rest, options, channel.Writer, TimeProvider.System, NullLoggerFactory.Instance);
        var latest = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in channel.Reader.ReadAllAsync(stop.Token))
            {
                if (e.Kind == MarketEventKind.OpenInterest)
                {
                    latest.AddOrUpdate(e.Symbol!, e.Time, (_, old) => Math.Max(old, e.Time));
                }
            }
        });
        var run = feed.RunAsync(stop.Token);
        while (!feed.IsLive)
        {
            await Task.Delay(100);
        }

        var futures = feed.Instruments.Where(i => i.Market != Market.Options).ToList();
        // 20 subscribed symbols spread over the list (not simply the largest, which are favoured anyway).
        var hot = futures.Where(i => i.Market == Market.UsdM).Where((_, n) => n % 15 == 7).Take(20).Select(i => i.Symbol).ToHashSet();
        feed.Poller.SetHotSymbols(hot);
        Console.WriteLine($"instruments: {futures.Count(i => i.Market == Market.UsdM)} USD-M, {futures.Count(i => i.Market == Market.CoinM)} COIN-M; subscribed: {hot.Count}; running {duration.TotalMinutes:0.#} min");

        // Let the first full cycle pass before measuring.
        await Task.Delay(options.MaxOiAge * 2);
        var ages = futures.ToDictionary(i => i.Symbol, _ => new List<double>());
        var maxUsed = 0;
        var maxServerUsed = 0;
        var end = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < end)
        {
            await Task.Delay(1000);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var i in futures)
            {
                ages[i.Symbol].Add(latest.TryGetValue(i.Symbol, out var t) ? (now - t) / 1000.0 : double.PositiveInfinity);
            }
            var usage = governor.GetUsage(ApiFamily.UsdM);
            maxUsed = Math.Max(maxUsed, usage.UsedThisMinute);
            maxServerUsed = Math.Max(maxServerUsed, usage.ServerUsed);
        }

        static double Median(List<double> xs)
        {
            var s = xs.Order().ToList();
            return s.Count == 0 ? double.NaN : s[s.Count / 2];
        }
        var hotMedian = Median(ages.Where(a => hot.Contains(a.Key)).SelectMany(a => a.Value).ToList());
        var otherMedians = ages.Where(a => !hot.Contains(a.Key)).Select(a => (a.Key, Median: Median(a.Value))).OrderByDescending(a => a.Median).ToList();
        var budget = governor.GetUsage(ApiFamily.UsdM).Budget;
        var intervals = feed.Poller.Intervals(ApiFamily.UsdM);
        Console.WriteLine($"subscribed symbols: median OI age {hotMedian:0.00} s (target ≤ 2 s)");
        Console.WriteLine($"other instruments: worst median OI age {otherMedians[0].Median:0.00} s ({otherMedians[0].Key}), median of medians {otherMedians[otherMedians.Count / 2].Median:0.00} s (target ≤ 15 s each)");
        Console.WriteLine($"USD-M schedule: subscribed every {intervals.Hot.TotalSeconds:0.0} s, largest every {intervals.Largest.TotalSeconds:0.0} s, others every {intervals.Others.TotalSeconds:0.0} s");
        Console.WriteLine($"429 responses: {sim.Faults.TooManyRequests}; 418: {sim.Faults.Bans}");
        Console.WriteLine($"USD-M weight per minute: most used {Math.Max(maxUsed, maxServerUsed)} (our count {maxUsed}, server header {maxServerUsed}) of a {budget} share ({options.BudgetShare:P0} of {governor.GetUsage(ApiFamily.UsdM).Limit})");
        Console.WriteLine($"polls: {feed.Poller.Polls}, failures: {feed.Poller.Failures}");
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(run, reader).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }
}
