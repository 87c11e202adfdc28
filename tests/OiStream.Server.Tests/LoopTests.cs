using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Server.Configuration;
using OiStream.Server.Hubs;
using OiStream.Server.Pipeline;
using OiStream.Storage.Sqlite;

namespace OiStream.Server.Tests;

/// <summary>
/// Each background loop survives an exception it does not expect: it counts it (status: <c>loops</c>), pauses for a
/// time that grows while the failure repeats (so it never spins), and goes on when the fault is gone.
/// </summary>
public class LoopTests
{
    [Fact]
    public async Task The_engine_loop_pauses_1_2_4_s_while_a_failure_repeats_then_works_again()
    {
        var clock = new FaultingClock();
        var options = Options.Create(new OiStreamOptions());
        var status = new StatusBoard();
        var pipeline = new MarketPipeline(options);
        var engine = new MarketEngine(options.Value.Engine, clock);
        var dir = Directory.CreateTempSubdirectory("oistream-loop-");
        await using var store = new SqliteHistoryStore(Path.Combine(dir.FullName, "h.db"));
        var history = new HistoryWriter(store, status, options, clock, NullLogger<HistoryWriter>.Instance);
        var service = new EngineService(pipeline, engine, new PublishChannel(), history, status, options, clock, NullLogger<EngineService>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            var health = status.Loops.Loops.Single(l => l.Name == "engine");
            await Wait.UntilAsync(() => clock.Timestamps > 0, TimeSpan.FromSeconds(10), "a first pass");

            clock.Failing = true;
            pipeline.Channel.Writer.TryWrite(MarketEvent.Instruments(new InstrumentListChange([new InstrumentInfo("BTCUSDT", Market.UsdM, "BTC", "PERPETUAL")])));
            await Wait.UntilAsync(() => clock.Pauses.Count == 1, TimeSpan.FromSeconds(10), "a first pause");
            Assert.Equal(1, health.Failures);
            Assert.Equal([TimeSpan.FromSeconds(1)], clock.Pauses);
            // The loop waits on the clock: only when its pause is over does it try again, and fail again.
            clock.Advance(TimeSpan.FromSeconds(1));
            await Wait.UntilAsync(() => clock.Pauses.Count == 2, TimeSpan.FromSeconds(10), "a second pause");
            clock.Advance(TimeSpan.FromSeconds(2));
            await Wait.UntilAsync(() => clock.Pauses.Count == 3, TimeSpan.FromSeconds(10), "a third pause");
            Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], clock.Pauses);
            Assert.Equal(3, health.Failures);
            Assert.Equal(3, clock.Thrown);
            Assert.Equal("InvalidOperationException: injected: the clock failed", health.LastError);

            clock.Failing = false;
            clock.Advance(TimeSpan.FromSeconds(4));
            await Wait.UntilAsync(() => health.Consecutive == 0, TimeSpan.FromSeconds(10), "the loop healthy again");
            pipeline.Channel.Writer.TryWrite(MarketEvent.OpenInterest("BTCUSDT", clock.GetUtcNow().ToUnixTimeMilliseconds(), 1234));
            await Wait.UntilAsync(() => engine.TryGetInstrument("BTCUSDT", out var s) && s.OpenInterest == 1234, TimeSpan.FromSeconds(10), "an event applied after the fault");
            Assert.Equal(3, health.Failures);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_subscription_that_completes_after_its_connection_closed_adds_nothing()
    {
        var registry = new SubscriptionRegistry();
        var changes = new List<IReadOnlyCollection<string>>();
        registry.WatchedChanged += w => changes.Add(w);
        registry.Connected("c1");
        Assert.Equal(AddResult.Added, registry.TryAdd("c1", ["BTCUSDT"], 10));
        registry.Disconnected("c1");
        // The hub's Subscribe finished its checks before the disconnect and records the symbols after it.
        Assert.Equal(AddResult.Gone, registry.TryAdd("c1", ["ETHUSDT"], 10));
        Assert.Empty(registry.Watched);
        Assert.Equal(0, registry.Connections);
        Assert.Equal(0, registry.CountFor("c1"));
        Assert.Equal(2, changes.Count);
        Assert.Empty(changes[^1]);
    }

    [Fact]
    public async Task Subscribes_racing_disconnects_leave_no_symbol_watched_and_no_connection_counted()
    {
        var registry = new SubscriptionRegistry();
        var symbols = Enumerable.Range(0, 50).Select(i => $"S{i}USDT").ToArray();
        await Parallel.ForAsync(0, 2_000, async (i, ct) =>
        {
            var id = "c" + i;
            registry.Connected(id);
            var subscribe = Task.Run(() => registry.TryAdd(id, symbols[(i % 40)..((i % 40) + 10)], 20), ct);
            var disconnect = Task.Run(() => registry.Disconnected(id), ct);
            await Task.WhenAll(subscribe, disconnect);
        });
        Assert.Empty(registry.Watched);
        Assert.Equal(0, registry.Connections);
    }

    [Fact]
    public async Task The_publisher_survives_a_send_that_throws_and_broadcasts_the_next_change()
    {
        var clock = new FakeTimeProvider();
        var status = new StatusBoard();
        var hub = new FaultyFanout { Failures = 1 };
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new Telemetry.OiStreamMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), status, new SubscriptionRegistry());
        var publisher = new Publisher(new PublishChannel(), status, hub, new PublishedStates(), new Contracts.InstrumentFields(["5m"]), Options.Create(new OiStreamOptions()), clock, NullLogger<Publisher>.Instance, metrics);
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            var health = status.Loops.Loops.Single(l => l.Name == "publisher");
            status.Record(new Contracts.FeedStatus { Feed = "usdm-ws", State = "connected", Message = "first", Source = "simulated" });
            await Wait.UntilAsync(() => health.Failures == 1, TimeSpan.FromSeconds(10), "the failed send counted");
            Assert.Equal("InvalidOperationException: injected: the hub failed", health.LastError);
            status.Record(new Contracts.FeedStatus { Feed = "usdm-ws", State = "stale", Message = "second", Source = "simulated" });
            // The loop starts again once its pause (1 s on the clock) is over, and sends what came meanwhile.
            clock.Advance(TimeSpan.FromSeconds(1));
            await Wait.UntilAsync(() => hub.Sent.Contains("second"), TimeSpan.FromSeconds(10), "the next change broadcast");
            Assert.Equal(0, health.Consecutive);
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A fan-out whose first offers throw at once (as a bug in a send path would), then records feed statuses.</summary>
    private sealed class FaultyFanout : Fanout.IFanout
    {
        private int _failures;

        public int Failures { init => _failures = value; }

        public System.Collections.Concurrent.ConcurrentBag<string> Sent { get; } = [];

        public bool HasMembers(string topic) => true;

        public void Publish(string topic, Fanout.Outgoing message) => Check();

        public void Publish(IEnumerable<string> topics, Fanout.Outgoing message) => Check();

        public void PublishAll(Fanout.Outgoing message)
        {
            Check();
            var invocation = (Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage)message.Message.Message!;
            Sent.Add(((Contracts.FeedStatus)invocation.Arguments[0]!).Message ?? "");
        }

        public void Flush()
        {
        }

        private void Check()
        {
            if (Interlocked.Decrement(ref _failures) >= 0)
            {
                throw new InvalidOperationException("injected: the hub failed");
            }
        }
    }

    /// <summary>A test clock whose timestamps throw while <see cref="Failing"/>, and which records the pauses asked of it meanwhile.</summary>
    private sealed class FaultingClock : FakeTimeProvider
    {
        private long _thrown;
        private long _timestamps;

        public FaultingClock() => AutoAdvanceAmount = TimeSpan.Zero;

        private volatile bool _failing;

        public bool Failing { get => _failing; set => _failing = value; }

        public List<TimeSpan> Pauses { get; } = [];

        public long Thrown => Interlocked.Read(ref _thrown);

        public long Timestamps => Interlocked.Read(ref _timestamps);

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _timestamps);
            if (Failing)
            {
                Interlocked.Increment(ref _thrown);
                throw new InvalidOperationException("injected: the clock failed");
            }
            return base.GetTimestamp();
        }

        // A pause is the first timer after a throw: the loop's own idle wait (also a timer, possibly started just as
        // the clock began to fail) is not one.
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Pauses)
            {
                if (Failing && Thrown > _thrownAtLastPause)
                {
                    Pauses.Add(dueTime);
                    _thrownAtLastPause = Thrown;
                }
            }
            return base.CreateTimer(callback, state, dueTime, period);
        }

        private long _thrownAtLastPause;
    }
}

/// <summary>A hub whose HTTP client to the exchange throws an exception no loop expects while a test says so.</summary>
public sealed class FaultyHttpHubHost : IAsyncLifetime
{
    public FaultyHttpHubHost() => Host = new HubHost
    {
        Configure = b => b.Services.AddHttpClient("binance").AddHttpMessageHandler(() => new FaultyHandler(this)),
    };

    public HubHost Host { get; }

    private volatile bool _failOpenInterest;

    /// <summary>While true, every current-OI request throws <see cref="InvalidOperationException"/>.</summary>
    public bool FailOpenInterest { get => _failOpenInterest; set => _failOpenInterest = value; }

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();

    private sealed class FaultyHandler(FaultyHttpHubHost owner) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => owner.FailOpenInterest && request.RequestUri!.AbsolutePath.EndsWith("/openInterest", StringComparison.Ordinal)
                ? throw new InvalidOperationException("injected: the HTTP pipeline failed")
                : base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The poll loop of a real hub, faulted through its HTTP client, as <c>/api/v1/status</c> shows it.</summary>
public class PollLoopTests(FaultyHttpHubHost fixture) : IClassFixture<FaultyHttpHubHost>
{
    private readonly HubHost _hub = fixture.Host;

    [Fact]
    public async Task A_poller_that_meets_an_unexpected_exception_shows_it_in_status_and_polls_again_when_it_is_gone()
    {
        static JsonElement Loop(JsonElement status, string name) => status.GetProperty("loops").EnumerateArray().Single(l => l.GetProperty("name").GetString() == name);
        var before = await _hub.GetJsonAsync<JsonElement>("/api/v1/status");
        Assert.Equal(0, Loop(before, "poller").GetProperty("failures").GetInt64());
        Assert.Equal(["bybit-feed", "engine", "feed", "feed-status", "history-import", "history-writer", "okx-feed", "poller", "publisher"],
            before.GetProperty("loops").EnumerateArray().Select(l => l.GetProperty("name").GetString()!).Where(n => !n.EndsWith("-ws", StringComparison.Ordinal)).Order());

        fixture.FailOpenInterest = true;
        JsonElement failing = default;
        await Wait.UntilAsync(async () =>
        {
            failing = await _hub.GetJsonAsync<JsonElement>("/api/v1/status");
            return Loop(failing, "poller") is var p && p.GetProperty("failures").GetInt64() >= 3 && p.GetProperty("failing").GetBoolean();
        }, TimeSpan.FromSeconds(30), "the poller's failures in status");
        Assert.StartsWith("InvalidOperationException: injected", Loop(failing, "poller").GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(Loop(failing, "poller").GetProperty("lastFailureAt").GetInt64() > 0);

        fixture.FailOpenInterest = false;
        var polls = failing.GetProperty("polling").GetProperty("polls").GetInt64();
        await Wait.UntilAsync(async () =>
        {
            var now = await _hub.GetJsonAsync<JsonElement>("/api/v1/status");
            return now.GetProperty("polling").GetProperty("polls").GetInt64() > polls + 20 && !Loop(now, "poller").GetProperty("failing").GetBoolean();
        }, TimeSpan.FromSeconds(60), "polling again, the loop healthy");
        using var health = await _hub.Http.GetAsync(new Uri(_hub.BaseUri, "/readyz"));
        Assert.True(health.IsSuccessStatusCode);
    }
}
