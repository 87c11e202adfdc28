using System.Globalization;
using OiStream.Client;

namespace OiStream.LoadTests;

/// <summary>
/// How old an overview batch is when it reaches a client: its arrival time minus the newest exchange time among its
/// rows (the tick that made it), p50 and p99 over every batch, with overviews on the fixed grid and aligned to the
/// market's burst, one hub process each, in one run.
/// </summary>
internal static class OverviewAgeRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = Array.IndexOf(args, "--seconds") is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 30;
        foreach (var mode in new[] { "Grid", "Burst" })
        {
            await using var hub = await HubProcess.StartAsync(null, $"--OiStream:OverviewAlignment={mode}", "--OiStream:Storage:ImportDays=0");
            await hub.WaitReadyAsync(TimeSpan.FromSeconds(180));
            var ages = new List<double>();
            await using var client = new OiStreamClient(hub.Url);
            client.OverviewReceived += rows =>
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var tick = rows.Max(r => Math.Max(r.PriceTime ?? 0, r.OiTime ?? 0));
                lock (ages)
                {
                    ages.Add(now - tick);
                }
            };
            await client.StartAsync();
            await client.SubscribeOverviewAsync();
            await Task.Delay(TimeSpan.FromSeconds(seconds)); // a measuring window, not a wait for a condition
            List<double> sorted;
            lock (ages)
            {
                sorted = [.. ages.Order()];
            }
            double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
            Console.WriteLine($"{mode,-6} {sorted.Count} overview batches in {seconds} s; batch age from the tick: p50 {P(0.5):0} ms, p99 {P(0.99):0} ms, max {(sorted.Count > 0 ? sorted[^1] : double.NaN):0} ms");
        }
    }
}
