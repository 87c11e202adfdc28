using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using OiStream.Client;
using OiStream.Testing;

namespace OiStream.LoadTests;

/// <summary>
/// Failover of ingest: two ingest nodes (processes) on one PostgreSQL store (a server of the harness's own) and one
/// simulator (a process); <c>kill -9</c> of the leader, again and again. For each kill: the time to the standby's
/// <c>feedStatus</c> <c>cluster: leader</c> (the lease handed over), and to the first BTCUSDT update with an OI reading
/// taken after the kill at a client of the standby (the goal: ≤ 10 s). The killed node is started again as the next
/// standby; each leader lives <c>--leader-seconds</c> (60) before it is killed. At the end, the simulator's count of
/// 429s and bans.
/// </summary>
internal static class FailoverRun
{
    public static async Task RunAsync(string[] args)
    {
        var kills = int.Parse(args.SkipWhile(a => a != "--kills").Skip(1).FirstOrDefault() ?? "10", CultureInfo.InvariantCulture);
        // How long each leader lives before it is killed. Binance's weight is counted per IP per minute, and every new
        // leader spends a start-up burst (discovery, marks, a first OI sweep): leaders killed seconds apart would run
        // the minute's budget dry, which no real failover does.
        var lifetime = TimeSpan.FromSeconds(double.Parse(args.SkipWhile(a => a != "--leader-seconds").Skip(1).FirstOrDefault() ?? "60", CultureInfo.InvariantCulture));
        // With --edge, the clients are an edge's (through Redis), as in a cluster; without, the standby's own.
        var viaEdge = args.Contains("--edge");
        await using var postgres = await PostgresServer.StartAsync();
        await using var redis = viaEdge ? await RedisServer.StartAsync() : null;
        await using var simulator = await HubProcess.StartSimulatorAsync();
        var rest = simulator.Url.ToString().TrimEnd('/');
        string[] shared = ["--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.ConnectionString, "--OiStream:Storage:Schema=failover",
            .. redis is null ? Array.Empty<string>() : ["--OiStream:Cluster:Redis=" + redis.Configuration]];
        string[] node = [.. HubProcess.VenuesAt(rest, "ws" + rest[4..]), .. shared, "--OiStream:Storage:ImportDays=0", "--OiStream:Cluster:Role=ingest"];

        var leader = await HubProcess.StartAsync(null, simulate: false, node);
        await leader.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await using var edge = viaEdge ? await HubProcess.StartAsync(null, simulate: false, [.. shared, "--OiStream:Cluster:Role=edge"]) : null;
        if (edge is not null)
        {
            await edge.WaitReadyAsync(TimeSpan.FromSeconds(60));
            Console.WriteLine("clients on an edge (leader → Redis → edge); the lease column is the edge's feedStatus naming the new leader");
        }
        var standby = await StartStandbyAsync(node);
        var lease = new List<double>();
        var fresh = new List<double>();
        try
        {
            Console.WriteLine($"{"kill",5} {"lease handed over s",20} {"subscribed s",16} {"fresh OI at a client s",23} {"USD-M weight peak/budget",24}");
            for (var k = 1; k <= kills; k++)
            {
                await Task.Delay(lifetime);
                var (leaseSeconds, subscribedSeconds, freshSeconds, weight) = await KillOnceAsync(leader, standby, edge);
                lease.Add(leaseSeconds);
                fresh.Add(freshSeconds);
                Console.WriteLine($"{k,5} {leaseSeconds,20:0.00} {subscribedSeconds,16:0.00} {freshSeconds,23:0.00} {weight,24}");
                leader = standby; // the killed one was disposed by the kill
                standby = await StartStandbyAsync(node);
            }
        }
        finally
        {
            await leader.DisposeAsync();
            await standby.DisposeAsync();
        }
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var stats = await simulator.Http.GetFromJsonAsync<JsonElement>(new Uri(simulator.Url, "/admin/stats"));
        Console.WriteLine($"over {kills} kills: lease handed over median {Median(lease):0.00} s, max {lease.Max():0.00} s; " +
            $"fresh OI at a client median {Median(fresh):0.00} s, max {fresh.Max():0.00} s (goal ≤ 10 s)");
        Console.WriteLine($"the simulator answered {stats.GetProperty("requests").GetInt64()} requests: {stats.GetProperty("tooManyRequests").GetInt64()} × 429, {stats.GetProperty("bans").GetInt64()} bans");
    }

    private static async Task<HubProcess> StartStandbyAsync(string[] node)
    {
        var standby = await HubProcess.StartAsync(null, simulate: false, node);
        var sw = Stopwatch.StartNew();
        while ((await standby.StatusAsync()).GetProperty("cluster") is not { ValueKind: JsonValueKind.Object } c || c.GetProperty("leader").GetBoolean())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The new node did not come up as a standby within 60 s.");
            }
            await Task.Delay(100);
        }
        return standby;
    }

    // Kills the leader; returns the seconds to the lease at the standby and to a fresh OI reading at its client.
    private static async Task<(double Lease, double Subscribed, double Fresh, string Weight)> KillOnceAsync(HubProcess leader, HubProcess standby, HubProcess? edge)
    {
        await using var client = new OiStreamClient(new Uri((edge ?? standby).Url, "/hubs/oi"));
        var tookOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var freshOi = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long killedAt = long.MaxValue;
        client.FeedStatusReceived += f =>
        {
            // A standby's own client hears "leader"; an edge's client hears the edge follow the new leader (named host:pid).
            if (f is { Feed: "cluster", State: "leader" } || (edge is not null && f is { Feed: "cluster", State: "following", Message: { } m }
                && m.Contains(":" + standby.Id.ToString(CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal)))
            {
                tookOver.TrySetResult();
            }
        };
        client.InstrumentReceived += s =>
        {
            if (s.Symbol == "BTCUSDT" && s.OiTime > Interlocked.Read(ref killedAt))
            {
                freshOi.TrySetResult();
            }
        };
        await client.StartAsync();
        if (edge is not null)
        {
            await client.SubscribeAsync(["BTCUSDT"]); // an edge knows BTCUSDT all along
        }
        var sw = Stopwatch.StartNew();
        Interlocked.Exchange(ref killedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await leader.DisposeAsync(); // SIGKILL: no shutdown code runs, the lease's session is cut by the kernel
        await tookOver.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var leaseSeconds = sw.Elapsed.TotalSeconds;
        // The new leader knows BTCUSDT once its discovery is done: subscribe as soon as it accepts.
        while (true)
        {
            try
            {
                await client.SubscribeAsync(["BTCUSDT"]);
                break;
            }
            catch (HubException) when (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
        }
        var subscribed = sw.Elapsed.TotalSeconds;
        // The new leader's request weight this minute, watched while the client waits: a budget run dry holds polls back.
        var peak = 0;
        using var waited = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!waited.IsCancellationRequested)
            {
                try
                {
                    var weights = (await standby.StatusAsync()).GetProperty("weight");
                    foreach (var w in weights.ValueKind == JsonValueKind.Array ? weights.EnumerateArray() : default)
                    {
                        if (w.GetProperty("api").GetString() == "UsdM")
                        {
                            peak = Math.Max(peak, w.GetProperty("usedThisMinute").GetInt32());
                        }
                    }
                    await Task.Delay(250, waited.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
                {
                    // the wait is over, or the node is busy
                }
            }
        });
        await freshOi.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var fresh = sw.Elapsed.TotalSeconds;
        await waited.CancelAsync();
        await watch;
        var budget = (await standby.StatusAsync()).GetProperty("weight").EnumerateArray().First(w => w.GetProperty("api").GetString() == "UsdM").GetProperty("budget").GetInt32();
        return (leaseSeconds, subscribed, fresh, $"{peak}/{budget}");
    }
}
