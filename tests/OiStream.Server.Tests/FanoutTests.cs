using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OiStream.Client;
using OiStream.Contracts;

namespace OiStream.Server.Tests;

/// <summary>
/// The fan-out on the real hub: clients that stop reading are coalesced and then cut while everyone else gets every
/// update; a subscribe storm loses nothing; deltas rebuild exactly the full states protocol v1 sends.
/// </summary>
public sealed class FanoutTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Watched = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

    private readonly HubHost _hub = new()
    {
        // The whole simulated universe, so a client that stops reading backs up the kernel's socket buffers (megabytes) in seconds.
        Arguments = HubHost.Args("--OiStream:Simulator:UsdmCoins=300", "--OiStream:MaxSymbolsPerConnection=20", "--OiStream:SlowClientCutAfter=00:00:04",
            "--OiStream:Security:ConnectionsPerClient=1000", "--OiStream:Security:RequestBurst=2000"),
    };

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    [Fact]
    public async Task Twenty_clients_that_stop_reading_delay_and_cost_nobody_an_update_and_are_cut()
    {
        await using var watcher = await Watcher.StartAsync(_hub.BaseUri, fullStates: false);
        await using var v1 = await Watcher.StartAsync(_hub.BaseUri, fullStates: true);
        var stalled = new List<StalledClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                stalled.Add(await StalledClient.ConnectAsync(_hub.BaseUri, i % 2 == 0 ? "SubscribeOverview" : "SubscribeOverviewTable"));
            }
            // The stalled clients' socket buffers fill; from then on their updates are coalesced.
            await Wait.UntilAsync(async () => (await EventsAsync()).GetProperty("coalescedMessages").GetInt64() > 0, Timeout, "coalesced messages to the stalled clients");
            var before = watcher.Count;
            await Wait.UntilAsync(() => watcher.Count >= before + 24 && v1.Count >= 24, Timeout, "8 more updates of each watched symbol");
            // Unread for longer than OiStream:SlowClientCutAfter: each stalled connection is closed with a reason.
            await Wait.UntilAsync(async () => (await EventsAsync()).GetProperty("clientsCut").GetInt64() >= 20, Timeout, "the 20 stalled clients cut");
            await Wait.UntilAsync(async () => (await _hub.GetJsonAsync<JsonElement>("/api/v1/status")).GetProperty("clients").GetInt32() == 2, Timeout, "only the two healthy clients left connected");
            var after = watcher.Count;
            await Wait.UntilAsync(() => watcher.Count >= after + 6, Timeout, "updates after the cut");
        }
        finally
        {
            stalled.ForEach(s => s.Dispose());
        }
        watcher.AssertEveryUpdate();
        v1.AssertEveryUpdate();
    }

    [Fact]
    public async Task A_subscribe_storm_of_200_clients_loses_no_update_of_anyone()
    {
        await using var watcher = await Watcher.StartAsync(_hub.BaseUri, fullStates: false);
        var symbols = (await _hub.GetJsonAsync<JsonElement[]>("/api/v1/instruments"))!.Select(s => s.GetProperty("symbol").GetString()!).ToList();
        var clients = Enumerable.Range(0, 200).Select(i => new StormClient(_hub.BaseUri, i % 4 == 0)).ToList();
        try
        {
            await Task.WhenAll(clients.Select(c => c.Client.StartAsync()));
            // Every client subscribes to 20 symbols at once, 4,000 subscriptions while the market ticks.
            await Task.WhenAll(clients.Select((c, i) => c.Client.SubscribeAsync(Enumerable.Range(0, 20).Select(k => symbols[((i * 7) + k) % symbols.Count]))));
            await Wait.UntilAsync(() => clients.All(c => c.Updates >= 40), Timeout, "40 updates at every storm client");
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.Client.DisposeAsync();
            }
        }
        Assert.All(clients, c =>
        {
            Assert.Equal(0, c.Client.GapsDetected);
            Assert.Empty(c.Jumps);
        });
        watcher.AssertEveryUpdate();
        Assert.Equal(0, (await EventsAsync()).GetProperty("clientsCut").GetInt64());
    }

    [Fact]
    public async Task Deltas_rebuild_the_full_states_of_protocol_v1_and_are_a_fraction_of_their_size()
    {
        await using var deltas = await Watcher.StartAsync(_hub.BaseUri, fullStates: false);
        await using var full = await Watcher.StartAsync(_hub.BaseUri, fullStates: true);
        await Wait.UntilAsync(() => deltas.Count >= 30 && full.Count >= 30, Timeout, "10 updates of each symbol, both ways");
        var pairs = deltas.States.Join(full.States, d => (d.Symbol, d.Seq), f => (f.Symbol, f.Seq), (d, f) => (d, f)).ToList();
        Assert.True(pairs.Count >= 20, $"{pairs.Count} updates seen both ways");
        foreach (var (d, f) in pairs)
        {
            // Changes travel rounded to 4 decimal places; everything else exactly.
            Assert.Equal(f with { Change = d.Change, ChangeUsd = d.ChangeUsd, PriceChange = d.PriceChange, Signal = d.Signal }, d);
            Assert.Equal(f.Signal, d.Signal);
            foreach (var (mine, theirs) in new[] { (d.Change, f.Change), (d.ChangeUsd, f.ChangeUsd), (d.PriceChange, f.PriceChange) })
            {
                Assert.Equal(theirs.Keys, mine.Keys);
                Assert.All(theirs, kv => Assert.Equal(kv.Value ?? double.NaN, mine[kv.Key] ?? double.NaN, 0.0001));
            }
        }

        // On the wire: a delta is a fraction of a full state.
        await using var raw = await RawHubConnection.ConnectAsync(_hub.HubUri);
        await raw.InvokeAsync("SubscribeDeltas", "[[\"BTCUSDT\"]]", Timeout);
        await raw.InvokeAsync("Subscribe", "[[\"ETHUSDT\"]]", Timeout);
        var sizes = new Dictionary<string, List<int>> { ["instrumentDelta"] = [], ["instrument"] = [] };
        while (sizes.Values.Any(v => v.Count < 8))
        {
            using var m = await raw.ReceiveAsync(Timeout, m => m.RootElement.TryGetProperty("target", out _));
            Assert.NotNull(m);
            var target = m.RootElement.GetProperty("target").GetString()!;
            if (sizes.TryGetValue(target, out var list))
            {
                list.Add(Encoding.UTF8.GetByteCount(m.RootElement.GetRawText()));
            }
        }
        Assert.True(sizes["instrumentDelta"].Average() * 2 < sizes["instrument"].Average(),
            $"deltas average {sizes["instrumentDelta"].Average():0} B, full states {sizes["instrument"].Average():0} B");
    }

    private async Task<JsonElement> EventsAsync() =>
        (await _hub.GetJsonAsync<JsonElement>("/api/v1/status")).GetProperty("events");

    /// <summary>A healthy client on the watched symbols that records every state it is handed, in order.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly ConcurrentQueue<InstrumentState> _states = new();
        private readonly Dictionary<string, long> _snapshots = [];

        private Watcher(OiStreamClient client) => Client = client;

        public OiStreamClient Client { get; }

        public int Count => _states.Count;

        public IReadOnlyList<InstrumentState> States => [.. _states];

        public static async Task<Watcher> StartAsync(Uri hub, bool fullStates)
        {
            var w = new Watcher(new OiStreamClient(hub, new OiStreamClientOptions { FullStates = fullStates }));
            w.Client.InstrumentReceived += w._states.Enqueue;
            await w.Client.StartAsync();
            foreach (var s in await w.Client.SubscribeAsync(Watched))
            {
                w._snapshots[s.Symbol] = s.Seq;
            }
            return w;
        }

        /// <summary>Every update of every watched symbol arrived: seq goes up by one from the snapshot on.</summary>
        public void AssertEveryUpdate()
        {
            Assert.Equal(0, Client.GapsDetected);
            foreach (var symbol in Watched)
            {
                var seqs = _states.Where(s => s.Symbol == symbol).Select(s => s.Seq).Prepend(_snapshots[symbol]).ToList();
                Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1), $"{symbol} seq: {string.Join(",", seqs)}");
            }
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    /// <summary>One of the storm's clients, recording any update that does not follow the one before.</summary>
    private sealed class StormClient
    {
        private readonly ConcurrentDictionary<string, long> _last = new();
        private int _updates;

        public StormClient(Uri hub, bool fullStates)
        {
            Client = new OiStreamClient(hub, new OiStreamClientOptions { FullStates = fullStates });
            Client.InstrumentReceived += s =>
            {
                Interlocked.Increment(ref _updates);
                if (_last.TryGetValue(s.Symbol, out var last) && s.Seq != last + 1)
                {
                    Jumps.Add($"{s.Symbol} {last}→{s.Seq}");
                }
                _last[s.Symbol] = s.Seq;
            };
        }

        public OiStreamClient Client { get; }

        public int Updates => Volatile.Read(ref _updates);

        public ConcurrentBag<string> Jumps { get; } = [];
    }

    /// <summary>
    /// A hub client that subscribes and then never reads (a raw WebSocket on a socket with a small receive buffer),
    /// though it stays alive: it pings the hub, so SignalR's own client timeout does not close it.
    /// </summary>
    private sealed class StalledClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();

        private StalledClient(Socket socket)
        {
            _socket = socket;
            _ = PingAsync();
        }

        private async Task PingAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                    await _socket.SendAsync(Frame("{\"type\":6}\u001e"), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // stopped, or the hub closed the connection
            }
        }

        public static async Task<StalledClient> ConnectAsync(Uri baseUri, string method)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync("127.0.0.1", baseUri.Port);
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"GET /hubs/oi HTTP/1.1\r\nHost: 127.0.0.1:{baseUri.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var header = new StringBuilder();
            var one = new byte[1];
            while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await socket.ReceiveAsync(one) == 0)
                {
                    throw new IOException("The hub closed the connection during the upgrade: " + header);
                }
                header.Append((char)one[0]);
            }
            Assert.StartsWith("HTTP/1.1 101", header.ToString(), StringComparison.Ordinal);
            await socket.SendAsync(Frame("{\"protocol\":\"json\",\"version\":1}\u001e"));
            await socket.SendAsync(Frame($"{{\"type\":1,\"target\":\"{method}\",\"arguments\":[]}}\u001e"));
            return new StalledClient(socket);
        }

        // A masked text frame, as a client must send (RFC 6455 §5.3).
        private static byte[] Frame(string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            Assert.True(payload.Length < 126);
            var mask = new byte[] { 1, 2, 3, 4 };
            var frame = new byte[6 + payload.Length];
            frame[0] = 0x81;
            frame[1] = (byte)(0x80 | payload.Length);
            mask.CopyTo(frame, 2);
            for (var i = 0; i < payload.Length; i++)
            {
                frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
            }
            return frame;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
