using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.LoadTests;

/// <summary>
/// OiStream's fan-out against a bare SignalR hub (<see cref="BareHub"/>) carrying the same traffic, in one run: for
/// each point (clients × symbols each), both hubs as their own processes, the same number of real clients connected
/// here, and the ratios OiStream / bare of tick-to-client p99, hub CPU per million delivered messages and the time to
/// connect and subscribe every client. Also the bytes of an <c>instrumentDelta</c> frame, which the bare hub's
/// messages are padded to.
/// </summary>
internal static class FanoutRun
{
    private sealed record Point(int Clients, int Symbols);

    /// <summary>
    /// What one hub did at one point. <paramref name="Gaps"/> counts updates lost at a client: a delta whose base is not
    /// the seq held, a bare-hub message whose seq does not follow. <paramref name="Jumps"/> counts OiStream full states
    /// whose seq skipped ahead: a client coalesced while behind, which the protocol allows (a full state loses nothing).
    /// </summary>
    private sealed record Result(double P50, double P99, long Delivered, double CpuSeconds, double ConnectSeconds, int Gaps, int Jumps)
    {
        public double CpuPerMillion => CpuSeconds / Delivered * 1e6;
    }

    public static async Task RunAsync(string[] args)
    {
        var seconds = int.Parse(Arg(args, "--seconds") ?? "30", CultureInfo.InvariantCulture);
        var points = (Arg(args, "--points") ?? "1000x20,5000x4,10000x2").Split(',')
            .Select(p => p.Split('x')).Select(p => new Point(int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList();

        var fullStates = args.Contains("--full-states");
        // Raw SignalR clients on both hubs by default, so the comparison is of the hubs; --client oistream takes
        // OiStream's own client (which applies deltas and hands over full states) for OiStream's runs.
        var ownClient = Arg(args, "--client") == "oistream";
        // The simulator runs as a process of its own, not in the hub's, so the hub's CPU is the hub's own (and the
        // simulator's load falls on both hubs' runs alike).
        await using var simulator = await HubProcess.StartSimulatorAsync();
        var rest = simulator.Url.ToString().TrimEnd('/');
        await using var hub = await HubProcess.StartAsync(null, simulate: false,
            [.. HubProcess.VenuesAt(rest, "ws" + rest[4..]),
                "--OiStream:Storage:ImportDays=0", "--OiStream:MaxSymbolsPerConnection=200"]);
        await hub.WaitReadyAsync(TimeSpan.FromSeconds(120));
        var symbols = (await hub.Http.GetFromJsonAsync<JsonElement[]>(new Uri(hub.Url, "/api/v1/instruments")))!
            .Where(s => s.GetProperty("market").GetString() == "usdm")
            .Select(s => s.GetProperty("symbol").GetString()!).ToList();
        var (frame, values) = await DeltaFramesAsync(hub.Url, symbols.Take(20).ToArray());
        Console.WriteLine($"OiStream: {symbols.Count} USD-M instruments (from the simulator, its own process), {(fullStates ? "full states" : "deltas")} to {(ownClient ? "OiStream's .NET client" : "bare SignalR clients")}; " +
            $"an instrumentDelta frame is {frame:0} B on average (JSON) with {values:0} numbers in its set; the bare hub's message carries as many numbers and is padded to that size");
        // By default the bare hub relays the simulator's mark-price frames (one burst per frame, stamped with its tick),
        // so both latencies run from the exchange's tick; --bare-timer gives it a timer stamped at its own send instead.
        var bareTimer = args.Contains("--bare-timer");
        await using var bare = await HubProcess.StartBareAsync(symbols.Count, (int)Math.Round(frame), (int)Math.Round(values), bareTimer ? null : new Uri("ws" + rest[4..]));
        Console.WriteLine(bareTimer ? "bare hub: a burst a second on a timer, latency from its send" : "bare hub: a burst per mark-price frame of the simulator, latency from the frame's tick (as OiStream's)");

        // What each hub spends with no client at all, over the same time: OiStream's own work (the exchange's socket,
        // polls, the engine, history), the bare hub's timer.
        var idleOi = await IdleCpuAsync(hub, seconds);
        var idleBare = await IdleCpuAsync(bare, seconds);
        Console.WriteLine($"with no client: OiStream {idleOi * 1000 / seconds:0} ms CPU per second, bare {idleBare * 1000 / seconds:0} ms");
        Console.WriteLine($"{"point",-12} {"hub",-9} {"p50 ms",7} {"p99 ms",7} {"delivered/s",12} {"CPU s/1M",9} {"connect s",10} {"gaps",5} {"jumps",6}");
        foreach (var point in points)
        {
            var oi = await MeasureAsync(point, seconds, hub, symbols, oistream: true, fullStates, ownClient);
            Print(point, "OiStream", oi);
            var b = await MeasureAsync(point, seconds, bare, symbols, oistream: false, fullStates, ownClient);
            Print(point, "bare", b);
            Console.WriteLine($"{$"{point.Clients}x{point.Symbols}",-12} ratios    p99 {oi.P99 / b.P99:0.00}   CPU per 1M {oi.CpuPerMillion / b.CpuPerMillion:0.00}   connect {oi.ConnectSeconds / b.ConnectSeconds:0.00}" +
                $"   (CPU per 1M above each hub's no-client CPU: {(oi.CpuSeconds - idleOi) / oi.Delivered * 1e6:0.00} vs {(b.CpuSeconds - idleBare) / b.Delivered * 1e6:0.00}, ratio {(oi.CpuSeconds - idleOi) / oi.Delivered / ((b.CpuSeconds - idleBare) / b.Delivered):0.00})");
        }

        void Print(Point p, string name, Result r) =>
            Console.WriteLine($"{$"{p.Clients}x{p.Symbols}",-12} {name,-9} {r.P50,7:0} {r.P99,7:0} {r.Delivered / (double)seconds,12:N0} {r.CpuPerMillion,9:0.00} {r.ConnectSeconds,10:0.0} {r.Gaps,5} {r.Jumps,6}");
    }

    // The cumulative buckets of the hub's oistream_publish_tick_age_seconds histogram, in order.
    private static async Task<List<(double Le, long Count)>> TickAgesAsync(HubProcess hub)
    {
        var text = await hub.Http.GetStringAsync(new Uri(hub.Url, "/metrics"));
        return [.. text.Split('\n').Where(l => l.StartsWith("oistream_publish_tick_age_seconds_bucket", StringComparison.Ordinal))
            .Select(l =>
            {
                var le = l[(l.IndexOf("le=\"", StringComparison.Ordinal) + 4)..];
                le = le[..le.IndexOf('"', StringComparison.Ordinal)];
                return (le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            })
            .OrderBy(b => b.Item1)];
    }

    private static async Task<double> IdleCpuAsync(HubProcess hub, int seconds)
    {
        var before = hub.CpuTime();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        return (hub.CpuTime() - before).TotalSeconds;
    }

    private static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    // The mean size of instrumentDelta frames over 5 s and the mean count of numbers in their set, from a raw WebSocket
    // subscribed to these symbols.
    private static async Task<(double Bytes, double Values)> DeltaFramesAsync(Uri hub, string[] symbols)
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://{hub.Authority}/hubs/oi"), CancellationToken.None);
        async Task Send(string text) => await ws.SendAsync(Encoding.UTF8.GetBytes(text + "\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);
        await Send("{\"protocol\":\"json\",\"version\":1}");
        await Send($"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"SubscribeDeltas\",\"arguments\":[{JsonSerializer.Serialize(symbols)}]}}");
        var sizes = new List<int>();
        var counts = new List<int>();
        var buffer = new byte[1 << 20];
        var pending = new StringBuilder();
        var until = DateTime.UtcNow.AddSeconds(5);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < until)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            pending.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
            var text = pending.ToString();
            int end;
            while ((end = text.IndexOf('\u001e', StringComparison.Ordinal)) >= 0)
            {
                var message = text[..end];
                text = text[(end + 1)..];
                if (message.Contains("\"target\":\"instrumentDelta\"", StringComparison.Ordinal))
                {
                    sizes.Add(Encoding.UTF8.GetByteCount(message) + 1);
                    using var doc = JsonDocument.Parse(message);
                    counts.Add(doc.RootElement.GetProperty("arguments")[0].GetProperty("set").GetArrayLength());
                }
            }
            pending.Clear().Append(text);
        }
        return sizes.Count == 0 ? throw new InvalidOperationException("No instrumentDelta frame in 5 s.") : (sizes.Average(), counts.Average());
    }

    private static async Task<Result> MeasureAsync(Point point, int seconds, HubProcess hub, List<string> symbols, bool oistream, bool fullStates, bool ownClient)
    {
        var tally = new Tally();
        var disposers = new List<Func<ValueTask>>();
        var connect = Stopwatch.StartNew();
        try
        {
            // Connected and subscribed 100 at a time, as a crowd arriving after a restart would.
            using var gate = new SemaphoreSlim(100);
            var tasks = Enumerable.Range(0, point.Clients).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var mine = Enumerable.Range(0, point.Symbols).Select(k => ((i * 7) + k) % symbols.Count).ToArray();
                    if (oistream && !ownClient)
                    {
                        // A bare SignalR client of OiStream's protocol: deltas (or full states), seq checked against base.
                        var connection = new HubConnectionBuilder()
                            .WithUrl(new Uri(hub.Url, "/hubs/oi"), o => { o.Transports = HttpTransportType.WebSockets; o.SkipNegotiation = true; })
                            .Build();
                        var seen = new Seen(tally);
                        var seqs = new ConcurrentDictionary<string, long>();
                        // A full state may jump in seq: the protocol's coalescing of a client that fell behind (a jump, not a gap).
                        connection.On<InstrumentState>("instrument", st => seen.Update(st.Symbol, st.Seq, st.PriceTime, newTicksOnly: true, jumpIsCoalescing: true));
                        connection.On<InstrumentDelta>("instrumentDelta", d =>
                        {
                            long? tick = null;
                            for (var k = 0; k + 1 < d.Set.Count; k += 2)
                            {
                                if (d.Set[k] == 2)
                                {
                                    tick = (long?)d.Set[k + 1];
                                }
                            }
                            seen.Delta(d.Symbol, d.Base, d.Seq, tick);
                        });
                        lock (disposers)
                        {
                            disposers.Add(connection.DisposeAsync);
                        }
                        await connection.StartAsync();
                        var names = mine.Select(k => symbols[k]).ToArray();
                        foreach (var st in fullStates
                            ? await connection.InvokeAsync<InstrumentState[]>("Subscribe", names)
                            : (await connection.InvokeAsync<DeltaSubscription>("SubscribeDeltas", names)).States)
                        {
                            seen.Update(st.Symbol, st.Seq, st.PriceTime, newTicksOnly: true, quiet: true);
                        }
                    }
                    else if (oistream)
                    {
                        var client = new OiStreamClient(new Uri(hub.Url, "/hubs/oi"), new OiStreamClientOptions { Transports = HttpTransportType.WebSockets, SkipNegotiation = true, FullStates = fullStates });
                        var seen = new Seen(tally);
                        // Only updates that carry a new mark price count for latency: an OI poll's update carries an older tick.
                        client.InstrumentReceived += s => seen.Update(s.Symbol, s.Seq, s.PriceTime, newTicksOnly: true, jumpIsCoalescing: true);
                        lock (disposers)
                        {
                            disposers.Add(client.DisposeAsync);
                        }
                        await client.StartAsync();
                        await client.SubscribeAsync(mine.Select(k => symbols[k]));
                    }
                    else
                    {
                        var connection = new HubConnectionBuilder()
                            .WithUrl(new Uri(hub.Url, "/hubs/oi"), o => { o.Transports = HttpTransportType.WebSockets; o.SkipNegotiation = true; })
                            .Build();
                        var seen = new Seen(tally);
                        connection.On<BareHub.Update>("instrumentDelta", u => seen.Update(u.Symbol, u.Seq, u.PriceTime, newTicksOnly: false));
                        lock (disposers)
                        {
                            disposers.Add(connection.DisposeAsync);
                        }
                        await connection.StartAsync();
                        await connection.InvokeAsync("Subscribe", mine.Select(BareHub.GroupName).ToArray());
                    }
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks);
            connect.Stop();
            await Task.Delay(TimeSpan.FromSeconds(5)); // settle; the first updates seed the last ticks
            var ages = oistream ? await TickAgesAsync(hub) : null;
            var cpu = hub.CpuTime();
            var self = Process.GetCurrentProcess().TotalProcessorTime;
            tally.Measuring = true;
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            tally.Measuring = false;
            var used = (hub.CpuTime() - cpu).TotalSeconds;
            // The clients' side: how much of the machine the measuring process took meanwhile.
            var clientsCpu = (Process.GetCurrentProcess().TotalProcessorTime - self).TotalSeconds;
            Console.WriteLine($"{"",-12} {(oistream ? "OiStream" : "bare")}: the clients' process used {clientsCpu / seconds / Environment.ProcessorCount:P0} of the {Environment.ProcessorCount} vCPUs, the hub {used / seconds / Environment.ProcessorCount:P0}");
            if (ages is not null)
            {
                // The hub's own share: from the tick to the burst handed to every connection, from its histogram.
                var after = await TickAgesAsync(hub);
                var delta = after.Select((b, i) => (b.Le, Count: b.Count - ages[i].Count)).ToList();
                var total = delta[^1].Count;
                string Upto(double p) => total == 0 ? "?" : delta.First(b => b.Count >= p * total).Le is var le && double.IsPositiveInfinity(le) ? "> 2.5 s" : $"≤ {le * 1000:0} ms";
                Console.WriteLine($"{"",-12} OiStream: tick → burst handed to every connection (hub side, {total} bursts): p50 {Upto(0.5)}, p99 {Upto(0.99)}");
            }
            var sorted = tally.Latencies.Order().ToList();
            double Pct(double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
            return new Result(Pct(0.5), Pct(0.99), tally.Delivered, used, connect.Elapsed.TotalSeconds, tally.Gaps, tally.Jumps);
        }
        finally
        {
            foreach (var d in disposers)
            {
                await d();
            }
        }
    }

    /// <summary>What all clients of one measurement saw.</summary>
    private sealed class Tally
    {
        private long _delivered;
        private int _gaps;
        private int _jumps;
        private volatile bool _measuring;

        public ConcurrentBag<long> Latencies { get; } = [];

        public bool Measuring { get => _measuring; set => _measuring = value; }

        public long Delivered => Interlocked.Read(ref _delivered);

        public int Gaps => Volatile.Read(ref _gaps);

        public int Jumps => Volatile.Read(ref _jumps);

        public void Gap() => Interlocked.Increment(ref _gaps);

        public void Jump() => Interlocked.Increment(ref _jumps);

        public void Deliver() => Interlocked.Increment(ref _delivered);
    }

    /// <summary>One client's view: the last seq and tick time per symbol, counted into the tally.</summary>
    private sealed class Seen(Tally tally)
    {
        private readonly ConcurrentDictionary<string, (long Seq, long Tick)> _last = new();

        /// <summary>A delta: a gap unless it applies to the state held (its base is the last seq).</summary>
        public void Delta(string symbol, long baseSeq, long seq, long? tick)
        {
            if (_last.TryGetValue(symbol, out var last) && baseSeq != last.Seq)
            {
                tally.Gap();
            }
            Update(symbol, seq, tick, newTicksOnly: true, checkSeq: false);
        }

        /// <summary>
        /// A full state (or, <paramref name="quiet"/>, a snapshot: a state the client holds, not a delivery); unless seq
        /// follows the last, a gap (or a jump, when <paramref name="jumpIsCoalescing"/>).
        /// </summary>
        public void Update(string symbol, long seq, long? tick, bool newTicksOnly, bool quiet = false, bool checkSeq = true, bool jumpIsCoalescing = false)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var had = _last.TryGetValue(symbol, out var last);
            if (quiet && had && seq <= last.Seq)
            {
                return; // a snapshot older than an update that overtook its answer
            }
            if (had && seq != last.Seq + 1 && !quiet && checkSeq)
            {
                if (jumpIsCoalescing && seq > last.Seq)
                {
                    tally.Jump();
                }
                else
                {
                    tally.Gap();
                }
            }
            var newTick = tick is { } t && (!newTicksOnly || (had && t > last.Tick));
            _last[symbol] = (seq, tick is { } k && k > last.Tick ? k : last.Tick);
            if (quiet || !tally.Measuring)
            {
                return;
            }
            tally.Deliver();
            if (newTick)
            {
                tally.Latencies.Add(now - tick!.Value);
            }
        }
    }
}
