using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OiStream.Client;

namespace OiStream.LoadTests;

/// <summary>
/// Issue target: tick-to-client latency, from the simulator's mark-price tick (its exchange time) to the update
/// received by a client, p50 and p99, with 100 clients subscribed to 20 symbols each: p99 ≤ publish interval + 20 ms.
/// The hub runs as its own process (so its RSS is its own), with the simulator embedded; the clients run here.
/// Only updates that carry a new mark price count (an update caused by an OI poll carries an older tick).
/// </summary>
internal static partial class LatencyRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        var root = FindRoot();
        var dll = Path.Combine(root, "src/OiStream.Server/bin/Release/net10.0/OiStream.Server.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the hub first: dotnet build -c Release src/OiStream.Server ({dll} is missing).");
        }
        // A fresh history store per run, so every run starts the same way (from the simulator's history).
        var store = Path.Combine(Path.GetTempPath(), "oistream-latency-" + Guid.NewGuid().ToString("N"), "history.db");
        using var hub = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\" --simulate --urls http://127.0.0.1:0 --OiStream:Storage:Path={store}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var urlSource = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } m)
            {
                urlSource.TrySetResult(m.Groups[1].Value);
            }
        };
        hub.ErrorDataReceived += (_, _) => { };
        hub.BeginOutputReadLine();
        hub.BeginErrorReadLine();
        try
        {
            var url = await urlSource.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!(await http.GetAsync(new Uri(url + "/readyz"))).IsSuccessStatusCode)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("The hub did not become ready within 120 s.");
                }
                await Task.Delay(200);
            }

            var all = (await http.GetFromJsonAsync<JsonElement[]>(new Uri(url + "/api/v1/instruments")))!
                .Where(s => s.GetProperty("market").GetString() == "usdm" && s.GetProperty("contractType").GetString() == "PERPETUAL")
                .Select(s => s.GetProperty("symbol").GetString()!).Take(100).ToList();
            var latencies = new ConcurrentBag<double>();
            var clients = new List<OiStreamClient>();
            var measuring = false;
            for (var c = 0; c < 100; c++)
            {
                var client = new OiStreamClient(new Uri(url + "/hubs/oi"));
                var lastTick = new ConcurrentDictionary<string, long>();
                client.InstrumentReceived += s =>
                {
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    if (s.PriceTime is { } t && lastTick.TryGetValue(s.Symbol, out var prev) && t > prev && measuring)
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
            await Task.WhenAll(clients.Select(c => c.StartAsync()));
            await Task.WhenAll(clients.Select((c, i) => c.SubscribeAsync(Enumerable.Range(0, 20).Select(k => all[((i * 7) + k) % all.Count]))));
            await Task.Delay(TimeSpan.FromSeconds(5)); // connections settle, first updates seed lastTick
            measuring = true;
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            measuring = false;

            var sorted = latencies.Order().ToList();
            double Pct(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
            var rssKb = File.ReadAllLines($"/proc/{hub.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            var status = await http.GetFromJsonAsync<JsonElement>(new Uri(url + "/api/v1/status"));
            Console.WriteLine($"clients: 100 × 20 symbols ({all.Count} distinct USD-M perpetuals); publish interval 250 ms; {seconds} s measured");
            Console.WriteLine($"tick-to-client latency over {sorted.Count} updates: p50 {Pct(0.50):0} ms, p90 {Pct(0.90):0} ms, p99 {Pct(0.99):0} ms, max {Pct(1):0} ms (target p99 ≤ 270 ms)");
            Console.WriteLine($"hub RSS: {long.Parse(rssKb, CultureInfo.InvariantCulture) / 1024.0:0} MiB with {status.GetProperty("instruments").GetInt32()} instruments, {status.GetProperty("clients").GetInt32()} clients (simulator embedded)");
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
        finally
        {
            hub.Kill(entireProcessTree: true);
            await hub.WaitForExitAsync();
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OiStream.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("Run from inside the OiStream repository.");
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
