using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using OiStream.Binance.Rest;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Simulator;

namespace OiStream.Binance.Tests;

/// <summary>A simulator on 127.0.0.1:0 and an adapter pointed at it, with every event it writes collected.</summary>
internal sealed class AdapterHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private Task? _feed;

    private AdapterHarness(SimulatorServer simulator, BinanceOptions options)
    {
        Simulator = simulator;
        Options = options;
        Governor = new WeightGovernor(options);
        Http = new HttpClient();
        Rest = new BinanceRestClient(Http, options, Governor);
        Channel = System.Threading.Channels.Channel.CreateUnbounded<MarketEvent>(new UnboundedChannelOptions { SingleReader = true });
        Writer = new FaultyWriter(Channel.Writer);
        Feed = new BinanceFeed(Rest, options, Writer, TimeProvider.System, NullLoggerFactory.Instance, loops: Loops);
        _reader = Task.Run(async () =>
        {
            await foreach (var e in Channel.Reader.ReadAllAsync())
            {
                Events.Enqueue(e);
            }
        });
    }

    public SimulatorServer Simulator { get; }

    public BinanceOptions Options { get; }

    public WeightGovernor Governor { get; }

    public HttpClient Http { get; }

    public BinanceRestClient Rest { get; }

    public Channel<MarketEvent> Channel { get; }

    /// <summary>The writer the feed writes through: a test can make it throw.</summary>
    public FaultyWriter Writer { get; }

    /// <summary>The feed's loops.</summary>
    public LoopMonitor Loops { get; } = new();

    public BinanceFeed Feed { get; }

    public ConcurrentQueue<MarketEvent> Events { get; } = new();

    public static async Task<AdapterHarness> StartAsync(SimulatorOptions? simulator = null, Action<BinanceOptions>? configure = null)
    {
        var sim = await SimulatorServer.StartAsync(simulator ?? new SimulatorOptions { UsdmCoins = 40, CoinmCoins = 5 });
        var options = new BinanceOptions
        {
            ReconnectMin = TimeSpan.FromMilliseconds(100),
            ReconnectMax = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(5),
        }.PointedAt(sim.BaseUri, sim.WebSocketUri);
        configure?.Invoke(options);
        return new AdapterHarness(sim, options);
    }

    public void StartFeed() => _feed = Feed.RunAsync(_stop.Token);

    /// <summary>Runs the feed as the hub does: started again after a failure, with <paramref name="health"/>'s pauses.</summary>
    public void StartSupervisedFeed(LoopHealth health) => _feed = health.SuperviseAsync(Feed.RunAsync, TimeProvider.System, (_, _) => { }, _stop.Token);

    public IEnumerable<MarketEvent> Of(MarketEventKind kind) => Events.Where(e => e.Kind == kind);

    /// <summary>Injects a fault over the simulator's admin endpoint, e.g. <c>"silent?seconds=4"</c>.</summary>
    public async Task AdminAsync(string pathAndQuery)
    {
        using var response = await Http.PostAsync(new Uri(Simulator.BaseUri, "/admin/" + pathAndQuery), null);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_feed is not null)
        {
            try
            {
                await _feed.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // stopping is the point
            }
        }
        Channel.Writer.TryComplete();
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        Http.Dispose();
        _stop.Dispose();
        await Simulator.DisposeAsync();
    }
}

/// <summary>
/// The feed's channel writer, which throws an exception no loop expects while a test says so: the way to prove that
/// the poller, the streams and the feed's start survive a fault of their own code or of the channel's reader.
/// </summary>
internal sealed class FaultyWriter(ChannelWriter<MarketEvent> inner) : ChannelWriter<MarketEvent>
{
    private int _remaining;
    private long _thrown;

    /// <summary>Exceptions thrown so far.</summary>
    public long Thrown => Interlocked.Read(ref _thrown);

    /// <summary>The next <paramref name="writes"/> writes throw (-1: every write until <see cref="Heal"/>).</summary>
    public void Fail(int writes) => Volatile.Write(ref _remaining, writes);

    /// <summary>Writes succeed again.</summary>
    public void Heal() => Volatile.Write(ref _remaining, 0);

    public override bool TryWrite(MarketEvent item)
    {
        while (Volatile.Read(ref _remaining) is var left && left != 0)
        {
            if (left < 0 || Interlocked.CompareExchange(ref _remaining, left - 1, left) == left)
            {
                Interlocked.Increment(ref _thrown);
                throw new InvalidOperationException("injected: the channel's writer failed");
            }
        }
        return inner.TryWrite(item);
    }

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);
}
