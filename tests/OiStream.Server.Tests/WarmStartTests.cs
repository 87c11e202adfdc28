using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OiStream.Core.Candles;
using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using OiStream.Server.Configuration;
using OiStream.Server.Pipeline;
using OiStream.Storage.Sqlite;

namespace OiStream.Server.Tests;

/// <summary>The engine warmed from a real store, as a restart does, then fed live readings.</summary>
public sealed class WarmStartTests : IDisposable
{
    private readonly TempStoreDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Live_readings_right_after_a_restart_in_the_minute_the_hub_stopped_in_are_applied_not_taken_as_late()
    {
        // The hub stopped 20 s into a minute and wrote that minute as it stood; it starts again 10 s later.
        var minute = 1_763_712_000_000L + (7 * OiCandle.OneMinute);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(minute + 30_000));
        var btc = new InstrumentInfo("BTCUSDT", Market.UsdM, "BTC", "PERPETUAL");
        await using var store = new SqliteHistoryStore(_dir.File("h.db"));
        await store.OpenAsync("simulated", CancellationToken.None);
        await store.WriteAsync([
            new OiCandle(SeriesKey.Instrument("BTCUSDT"), OiCandle.OneMinute, minute - OiCandle.OneMinute, 100, 101, 99, 100, 10_000_000, 100_000, 12),
            new OiCandle(SeriesKey.Instrument("BTCUSDT"), OiCandle.OneMinute, minute, 100, 102, 100, 102, 10_200_000, 100_000, 4),
        ], CancellationToken.None);

        var seed = new StoreHistorySeed(store, Options.Create(new OiStreamOptions()), clock);
        var held = await seed.LoadAsync([btc], CancellationToken.None);
        var engine = new MarketEngine(new EngineOptions(), clock);
        engine.Apply(MarketEvent.Instruments(new InstrumentListChange([btc])));
        engine.Apply(MarketEvent.HistoryBatch(held.Rows, fromExchange: false));
        engine.PublishChanges(new List<OiStream.Contracts.InstrumentState>(), new List<OiStream.Contracts.CoinState>());
        Assert.True(engine.TryGetInstrument("BTCUSDT", out var warmed));
        Assert.Equal(102, warmed.OpenInterestCoin);

        clock.Advance(TimeSpan.FromSeconds(1));
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(ApplyOutcome.Applied, engine.Apply(MarketEvent.OpenInterest("BTCUSDT", now, 103)));
        Assert.Equal(ApplyOutcome.Applied, engine.Apply(MarketEvent.MarkPrice("BTCUSDT", now, 100_500)));
        engine.PublishChanges(new List<OiStream.Contracts.InstrumentState>(), new List<OiStream.Contracts.CoinState>());
        Assert.True(engine.TryGetInstrument("BTCUSDT", out var live));
        Assert.Equal(103, live.OpenInterestCoin);
        Assert.False(live.Stale);
    }
}
