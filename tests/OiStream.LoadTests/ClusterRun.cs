using System.Diagnostics;
using System.Globalization;
using OiStream.Testing;

namespace OiStream.LoadTests;

/// <summary>
/// The cluster path against a standalone hub, same run: a standalone hub on a simulator of its own, and a leader (an
/// ingest node on PostgreSQL, publishing through Redis) with an edge following it, on a second simulator (each
/// simulator counts request weight per IP, so two hubs polling one would share one budget). 100 clients × 20 symbols
/// are measured on the standalone hub, then on the edge, in turns: tick-to-client p50/p99 (the simulator's mark-price
/// tick to the client's receipt), CPU per 1M delivered updates of the serving process, the leader's CPU, and Redis's
/// traffic while the edge is measured (Redis's own byte counters, <c>INFO stats</c>).
/// </summary>
internal static class ClusterRun
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = int.Parse(args.SkipWhile(a => a != "--seconds").Skip(1).FirstOrDefault() ?? "30", CultureInfo.InvariantCulture);
        var rounds = int.Parse(args.SkipWhile(a => a != "--rounds").Skip(1).FirstOrDefault() ?? "2", CultureInfo.InvariantCulture);
        await using var postgres = await PostgresServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var sim1 = await HubProcess.StartSimulatorAsync();
        await using var sim2 = await HubProcess.StartSimulatorAsync();
        static string[] At(HubProcess sim)
        {
            var rest = sim.Url.ToString().TrimEnd('/');
            return HubProcess.VenuesAt(rest, "ws" + rest[4..]);
        }
        string[] cluster = ["--OiStream:Storage:Provider=postgres", "--OiStream:Storage:ConnectionString=" + postgres.ConnectionString, "--OiStream:Storage:Schema=cluster",
            "--OiStream:Storage:ImportDays=0", "--OiStream:Cluster:Redis=" + redis.Configuration];
        await using var standalone = await HubProcess.StartAsync(null, simulate: false, [.. At(sim1), "--OiStream:Storage:ImportDays=0"]);
        await using var leader = await HubProcess.StartAsync(null, simulate: false, [.. At(sim2), .. cluster, "--OiStream:Cluster:Role=ingest"]);
        await standalone.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await leader.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await using var edge = await HubProcess.StartAsync(null, simulate: false, [.. cluster, "--OiStream:Cluster:Role=edge"]);
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(10)); // past the start-up bursts of both ingesters

        Console.WriteLine($"100 clients × 20 symbols, {seconds} s per measurement, {rounds} rounds; standalone and edge measured in turns");
        Console.WriteLine($"{"round",5} {"node",10} {"updates",9} {"p50 ms",7} {"p99 ms",7} {"CPU ms/1M",10} {"leader CPU %",12} {"Redis in KB/s",13} {"Redis out KB/s",14}");
        var rows = new List<(string Node, LatencyRun.Measurement M, double CpuPerM)>();
        for (var r = 1; r <= rounds; r++)
        {
            foreach (var (name, node) in new[] { ("standalone", standalone), ("edge", edge) })
            {
                var before = await RedisStatsAsync(redis.Port);
                var leaderCpu = leader.CpuTime();
                var sw = Stopwatch.StartNew();
                using var sampling = new CancellationTokenSource();
                var sampler = name == "edge" ? SampleBatchesAsync(edge, sampling.Token) : Task.FromResult(new List<(int, double, double, long)>());
                var m = await LatencyRun.MeasureAsync(node, seconds);
                await sampling.CancelAsync();
                var batches = await sampler;
                var elapsed = sw.Elapsed.TotalSeconds;
                var after = await RedisStatsAsync(redis.Port);
                var leaderShare = (leader.CpuTime() - leaderCpu).TotalSeconds / elapsed * 100;
                var cpuPerM = m.HubCpu.TotalMilliseconds / m.Delivered * 1e6;
                rows.Add((name, m, cpuPerM));
                Console.WriteLine($"{r,5} {name,10} {m.Count,9} {m.P50,7:0} {m.P99,7:0} {cpuPerM,10:0} {leaderShare,12:0.0} " +
                    $"{(after.In - before.In) / 1024.0 / elapsed,13:0.0} {(after.Out - before.Out) / 1024.0 / elapsed,14:0.0}");
                if (batches.Count > 0)
                {
                    static double Med(IEnumerable<double> xs) => xs.Order().ElementAt(xs.Count() / 2);
                    Console.WriteLine($"      the mark-price bursts' batches at the edge ({batches.Count} sampled, {batches[0].Item1} instruments): median encode {Med(batches.Select(b => b.Item2)):0.0} ms at the leader, " +
                        $"decode {Med(batches.Select(b => b.Item3)):0.0} ms at the edge, leader → Redis → edge {Med(batches.Select(b => (double)b.Item4)):0} ms");
                }
            }
        }
        double Mean(string node, Func<(string Node, LatencyRun.Measurement M, double CpuPerM), double> f) => rows.Where(x => x.Node == node).Average(f);
        Console.WriteLine($"edge ÷ standalone (mean of rounds): p50 {Mean("edge", x => x.M.P50) / Mean("standalone", x => x.M.P50):0.00}, " +
            $"p99 {Mean("edge", x => x.M.P99) / Mean("standalone", x => x.M.P99):0.00} (goal ≤ 1.2), " +
            $"CPU per 1M delivered {Mean("edge", x => x.CpuPerM) / Mean("standalone", x => x.CpuPerM):0.00}");
        var replication = (await leader.StatusAsync()).GetProperty("cluster").GetProperty("replication");
        Console.WriteLine($"leader replication: {replication.GetProperty("messages").GetInt64()} messages, {replication.GetProperty("bytes").GetInt64() / 1024.0 / 1024.0:0.0} MiB since start; " +
            $"instruments {(await leader.StatusAsync()).GetProperty("instruments").GetInt32()}; edge RSS {edge.RssMiB():0} MiB, standalone RSS {standalone.RssMiB():0} MiB");
    }

    // The edge's last batch, sampled: the bursts' batches (at least 100 instruments), each once.
    private static async Task<List<(int Instruments, double EncodeMs, double DecodeMs, long TransitMs)>> SampleBatchesAsync(HubProcess edge, CancellationToken cancellationToken)
    {
        var seen = new List<(int, double, double, long)>();
        var last = "";
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var status = await edge.StatusAsync();
                if (status.GetProperty("cluster").GetProperty("replication").GetProperty("lastBatch") is { ValueKind: System.Text.Json.JsonValueKind.Object } b
                    && b.GetRawText() != last && b.GetProperty("instruments").GetInt32() >= 100)
                {
                    last = b.GetRawText();
                    seen.Add((b.GetProperty("instruments").GetInt32(), b.GetProperty("encodeMs").GetDouble(), b.GetProperty("decodeMs").GetDouble(), b.GetProperty("transitMs").GetInt64()));
                }
                await Task.Delay(1000, cancellationToken); // a light touch: the status page costs the edge CPU
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return seen;
    }

    // Redis's own counters of the bytes it read from and wrote to its clients.
    private static async Task<(long In, long Out)> RedisStatsAsync(int port)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "info", "stats" })
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        long Read(string key) => long.Parse(text.Split('\n').First(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);
        return (Read("total_net_input_bytes"), Read("total_net_output_bytes"));
    }
}
