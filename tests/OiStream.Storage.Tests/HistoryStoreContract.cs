using OiStream.Core.Candles;
using OiStream.Core.Instruments;

namespace OiStream.Storage.Tests;

/// <summary>
/// What every <see cref="IHistoryStore"/> must do. Each provider's test class derives from this one and says how to
/// make a store at a named location (the same name twice is the same data).
/// </summary>
public abstract class HistoryStoreContract : IAsyncLifetime
{
    protected const long Minute = OiCandle.OneMinute;
    protected const long T0 = 1_763_712_000_000; // a whole day (2025-11-21 08:00 UTC is a multiple of 5 min and of 1h)
    private readonly List<IHistoryStore> _opened = [];

    /// <summary>A store at <paramref name="name"/>, not yet opened.</summary>
    protected abstract IHistoryStore Create(string name);

    protected async Task<IHistoryStore> OpenAsync(string name = "main", string source = "simulated")
    {
        var store = Create(name);
        await store.OpenAsync(source, CancellationToken.None);
        _opened.Add(store);
        return store;
    }

    protected static OiCandle M(string symbol, long time, double open, double high, double low, double close, int samples = 3, double usd = double.NaN, double price = double.NaN)
        => new(SeriesKey.Instrument(symbol), Minute, time, open, high, low, close, double.IsNaN(usd) ? close * 100 : usd, double.IsNaN(price) ? 100 : price, samples);

    protected static OiCandle Imported(string symbol, long time, double value)
        => new(SeriesKey.Instrument(symbol), OiCandle.FiveMinutes, time, value, value, value, value, value * 100, 100, 1);

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var s in _opened)
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Minutes_read_back_as_written_and_roll_up_into_their_five_minute_bucket()
    {
        var store = await OpenAsync();
        await store.WriteAsync([
            M("BTCUSDT", T0, 10, 12, 9, 11, samples: 4),
            M("BTCUSDT", T0 + Minute, 11, 15, 11, 14, samples: 2, usd: 1400.5, price: 100.04),
            M("BTCUSDT", T0 + (4 * Minute), 14, 14, 7, 8, samples: 1),
            M("BTCUSDT", T0 + (5 * Minute), 8, 8, 8, 8, samples: 1),
        ], CancellationToken.None);

        var minutes = await store.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, T0 + (10 * Minute), 100, true, CancellationToken.None);
        Assert.Equal([T0, T0 + Minute, T0 + (4 * Minute), T0 + (5 * Minute)], minutes.Select(c => c.Time));
        Assert.Equal(M("BTCUSDT", T0 + Minute, 11, 15, 11, 14, samples: 2, usd: 1400.5, price: 100.04), minutes[1]);

        var fives = await store.ReadAsync(SeriesKey.Instrument("BTCUSDT"), OiCandle.FiveMinutes, T0, T0 + (10 * Minute), 100, true, CancellationToken.None);
        Assert.Equal(2, fives.Count);
        var first = fives[0];
        Assert.Equal((T0, 10d, 15d, 7d, 8d, 7), (first.Time, first.Open, first.High, first.Low, first.Close, first.Samples));
        Assert.Equal(OiCandle.FiveMinutes, first.Resolution);
        Assert.Equal((8d, 8d, 8d, 8d, 1), (fives[1].Open, fives[1].High, fives[1].Low, fives[1].Close, fives[1].Samples));
    }

    [Fact]
    public async Task A_minute_written_in_two_parts_ends_whole()
    {
        var store = await OpenAsync();
        await store.WriteAsync([M("ETHUSDT", T0, 10, 11, 9, 10.5, samples: 3)], CancellationToken.None);
        await store.WriteAsync([M("ETHUSDT", T0, 10.4, 13, 10.1, 12, samples: 2, usd: 1234, price: 102.8)], CancellationToken.None);
        var c = Assert.Single(await store.ReadAsync(SeriesKey.Instrument("ETHUSDT"), Minute, T0, T0, 10, true, CancellationToken.None));
        Assert.Equal((10d, 13d, 9d, 12d, 1234d, 102.8, 5), (c.Open, c.High, c.Low, c.Close, c.CloseUsd, c.ClosePrice, c.Samples));
    }

    [Fact]
    public async Task Imported_exchange_history_fills_holes_and_never_overwrites_live_data()
    {
        var store = await OpenAsync();
        await store.WriteAsync([M("SOLUSDT", T0 + Minute, 50, 52, 49, 51, samples: 10)], CancellationToken.None);
        await store.WriteAsync([Imported("SOLUSDT", T0, 40), Imported("SOLUSDT", T0 + OiCandle.FiveMinutes, 42)], CancellationToken.None);
        var fives = await store.ReadAsync(SeriesKey.Instrument("SOLUSDT"), OiCandle.FiveMinutes, T0, T0 + OiCandle.FiveMinutes, 10, true, CancellationToken.None);
        Assert.Equal(2, fives.Count);
        Assert.Equal((50d, 51d, 10), (fives[0].Open, fives[0].Close, fives[0].Samples)); // the live bucket stays
        Assert.Equal((42d, 42d, 42d, 42d, 1), (fives[1].Open, fives[1].High, fives[1].Low, fives[1].Close, fives[1].Samples));
    }

    [Fact]
    public async Task Reads_honour_the_range_the_limit_and_its_direction_and_roll_up_on_epoch_aligned_buckets()
    {
        var store = await OpenAsync();
        // 6 hours of five-minute candles whose close counts up by one.
        var rows = Enumerable.Range(0, 72).Select(i => Imported("XRPUSDT", T0 + (i * OiCandle.FiveMinutes), 100 + i)).ToList();
        await store.WriteAsync(rows, CancellationToken.None);
        var key = SeriesKey.Instrument("XRPUSDT");

        var last3 = await store.ReadAsync(key, OiCandle.FiveMinutes, long.MinValue / 2, T0 + (71 * OiCandle.FiveMinutes), 3, false, CancellationToken.None);
        Assert.Equal([169d, 170d, 171d], last3.Select(c => c.Close));
        var first3 = await store.ReadAsync(key, OiCandle.FiveMinutes, T0 + (10 * OiCandle.FiveMinutes), long.MaxValue / 2, 3, true, CancellationToken.None);
        Assert.Equal([110d, 111d, 112d], first3.Select(c => c.Close));
        var bounded = await store.ReadAsync(key, OiCandle.FiveMinutes, T0 + (10 * OiCandle.FiveMinutes), T0 + (12 * OiCandle.FiveMinutes), 100, true, CancellationToken.None);
        Assert.Equal([110d, 111d, 112d], bounded.Select(c => c.Close));

        var hours = await store.ReadAsync(key, 3_600_000, T0, long.MaxValue / 2, 100, true, CancellationToken.None);
        Assert.Equal(6, hours.Count);
        Assert.All(hours, h => Assert.Equal(0, h.Time % 3_600_000));
        Assert.Equal((100d, 111d, 100d, 111d, 12), (hours[0].Open, hours[0].High, hours[0].Low, hours[0].Close, hours[0].Samples));
        // A range that ends inside an hour includes that hour whole, not the part of it before the end.
        var two = await store.ReadAsync(key, 3_600_000, T0, T0 + 3_600_000, 100, true, CancellationToken.None);
        Assert.Equal([(100d, 111d, 12), (112d, 123d, 12)], two.Select(h => (h.Open, h.Close, h.Samples)));
        var lastHour = await store.ReadAsync(key, 3_600_000, long.MinValue / 2, long.MaxValue / 2, 1, false, CancellationToken.None);
        Assert.Equal((160d, 171d, 12), (Assert.Single(lastHour).Open, lastHour[0].Close, lastHour[0].Samples));
    }

    [Fact]
    public async Task Coins_are_kept_apart_from_instruments_of_the_same_name()
    {
        var store = await OpenAsync();
        await store.WriteAsync([
            M("BTC", T0, 1, 1, 1, 1),
            new OiCandle(SeriesKey.Coin("BTC"), Minute, T0, 5, 6, 4, 5.5, 550, double.NaN, 7),
        ], CancellationToken.None);
        var coin = Assert.Single(await store.ReadAsync(SeriesKey.Coin("BTC"), Minute, T0, T0, 10, true, CancellationToken.None));
        Assert.Equal((5.5, 550d, 7), (coin.Close, coin.CloseUsd, coin.Samples));
        Assert.True(double.IsNaN(coin.ClosePrice)); // no price is kept as no price, never 0
        Assert.Equal(1d, Assert.Single(await store.ReadAsync(SeriesKey.Instrument("BTC"), Minute, T0, T0, 10, true, CancellationToken.None)).Close);
        Assert.Empty(await store.ReadAsync(SeriesKey.Coin("ETH"), Minute, T0, T0, 10, true, CancellationToken.None));
    }

    [Fact]
    public async Task A_warm_start_reads_every_instrument_at_its_finest_resolution_since_a_time()
    {
        var store = await OpenAsync();
        await store.WriteAsync([
            Imported("BTCUSDT", T0 - OiCandle.FiveMinutes, 1), // before `since`: left out
            Imported("BTCUSDT", T0, 2), Imported("BTCUSDT", T0 + OiCandle.FiveMinutes, 3), Imported("BTCUSDT", T0 + (2 * OiCandle.FiveMinutes), 4),
            M("BTCUSDT", T0 + (2 * OiCandle.FiveMinutes), 4, 4, 4, 4.5), M("BTCUSDT", T0 + (11 * Minute), 4.5, 5, 4.5, 5),
            Imported("ETHUSDT", T0, 7),
            new OiCandle(SeriesKey.Coin("BTC"), Minute, T0, 1, 1, 1, 1, 1, 1, 1), // coins are derived by the engine, not loaded
        ], CancellationToken.None);
        var recent = await store.ReadRecentAsync(T0, CancellationToken.None);
        var btc = recent.Where(c => c.Series.Name == "BTCUSDT").ToList();
        Assert.Equal([(OiCandle.FiveMinutes, T0), (OiCandle.FiveMinutes, T0 + OiCandle.FiveMinutes), (Minute, T0 + (10 * Minute)), (Minute, T0 + (11 * Minute))],
            btc.Select(c => (c.Resolution, c.Time)));
        Assert.Equal(7d, Assert.Single(recent, c => c.Series.Name == "ETHUSDT").Close);
        Assert.DoesNotContain(recent, c => c.Series.Kind == SeriesKind.Coin);
    }

    [Fact]
    public async Task The_extent_spans_both_resolutions_and_retention_deletes_only_what_is_older()
    {
        var store = await OpenAsync();
        Assert.Null(await store.GetExtentAsync(SeriesKey.Instrument("BTCUSDT"), CancellationToken.None));
        await store.WriteAsync([Imported("BTCUSDT", T0 - OiCandle.FiveMinutes, 1), M("BTCUSDT", T0, 1, 1, 1, 1), M("BTCUSDT", T0 + Minute, 1, 1, 1, 1)], CancellationToken.None);
        Assert.Equal(new SeriesExtent(T0 - OiCandle.FiveMinutes, T0 + Minute), await store.GetExtentAsync(SeriesKey.Instrument("BTCUSDT"), CancellationToken.None));

        Assert.Equal(1, await store.DeleteOlderThanAsync(Minute, T0 + Minute, CancellationToken.None));
        var minutes = await store.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, 0, long.MaxValue / 2, 10, true, CancellationToken.None);
        Assert.Equal([T0 + Minute], minutes.Select(c => c.Time));
        // The five-minute buckets the deleted minute rolled into are kept (that is what long-term history is).
        var fives = await store.ReadAsync(SeriesKey.Instrument("BTCUSDT"), OiCandle.FiveMinutes, 0, long.MaxValue / 2, 10, true, CancellationToken.None);
        Assert.Equal([T0 - OiCandle.FiveMinutes, T0], fives.Select(c => c.Time));
    }

    [Fact]
    public async Task Gaps_are_the_five_minute_spans_with_no_candle_and_imported_spans_are_remembered()
    {
        var store = await OpenAsync();
        var key = SeriesKey.Instrument("BTCUSDT");
        var range = new TimeRange(T0, T0 + (12 * OiCandle.FiveMinutes));
        Assert.Equal([range], await store.FindGapsAsync(key, range, CancellationToken.None));

        await store.WriteAsync([
            Imported("BTCUSDT", T0 + OiCandle.FiveMinutes, 1), Imported("BTCUSDT", T0 + (2 * OiCandle.FiveMinutes), 1),
            M("BTCUSDT", T0 + (6 * OiCandle.FiveMinutes) + Minute, 1, 1, 1, 1), // a live minute fills its bucket too
            Imported("BTCUSDT", T0 + (11 * OiCandle.FiveMinutes), 1),
        ], CancellationToken.None);
        var gaps = await store.FindGapsAsync(key, range, CancellationToken.None);
        Assert.Equal([
            new TimeRange(T0, T0 + OiCandle.FiveMinutes),
            new TimeRange(T0 + (3 * OiCandle.FiveMinutes), T0 + (6 * OiCandle.FiveMinutes)),
            new TimeRange(T0 + (7 * OiCandle.FiveMinutes), T0 + (11 * OiCandle.FiveMinutes)),
        ], gaps);

        Assert.Null(await store.GetImportedAsync(key, CancellationToken.None));
        await store.SetImportedAsync(key, new TimeRange(T0, T0 + 3_600_000), CancellationToken.None);
        await store.SetImportedAsync(SeriesKey.Coin("BTC"), new TimeRange(T0 - 1, T0), CancellationToken.None);
        Assert.Equal(new TimeRange(T0, T0 + 3_600_000), await store.GetImportedAsync(key, CancellationToken.None));
        Assert.Equal(new TimeRange(T0 - 1, T0), await store.GetImportedAsync(SeriesKey.Coin("BTC"), CancellationToken.None));
    }

    [Fact]
    public async Task Writers_retention_and_readers_may_run_at_once()
    {
        var store = await OpenAsync();
        var work = new List<Task>();
        // Retention runs for as long as the writers do.
        for (var w = 0; w < 4; w++)
        {
            var symbol = "SYM" + w;
            work.Add(Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await store.WriteAsync([M(symbol, T0 + (i * Minute), 1, 2, 0.5, 1.5), Imported(symbol, T0 - (i * OiCandle.FiveMinutes), 1)], CancellationToken.None);
                    await store.SetImportedAsync(SeriesKey.Instrument(symbol), new TimeRange(T0 - i, T0), CancellationToken.None);
                    _ = await store.ReadAsync(SeriesKey.Instrument(symbol), Minute, T0, long.MaxValue / 2, 10, false, CancellationToken.None);
                }
            }));
        }
        var writers = Task.WhenAll(work);
        var retention = Task.Run(async () =>
        {
            while (!writers.IsCompleted)
            {
                await store.DeleteOlderThanAsync(Minute, T0 - 1, CancellationToken.None);
            }
        });
        await Task.WhenAll(writers, retention);
        for (var w = 0; w < 4; w++)
        {
            Assert.Equal(50, (await store.ReadAsync(SeriesKey.Instrument("SYM" + w), Minute, T0, long.MaxValue / 2, 100, true, CancellationToken.None)).Count);
        }
    }

    [Fact]
    public async Task History_survives_closing_and_reopening_the_store()
    {
        var store = await OpenAsync("durable");
        await store.WriteAsync([M("BTCUSDT", T0, 1, 2, 0.5, 1.5)], CancellationToken.None);
        await store.DisposeAsync();
        _opened.Remove(store);
        var again = await OpenAsync("durable");
        Assert.Equal(1.5, Assert.Single(await again.ReadAsync(SeriesKey.Instrument("BTCUSDT"), Minute, T0, T0, 10, true, CancellationToken.None)).Close);
    }

    [Fact]
    public async Task The_instruments_last_saved_replace_the_earlier_ones_and_survive_reopening()
    {
        var store = await OpenAsync("catalog");
        Assert.Empty(await store.ReadInstrumentsAsync(CancellationToken.None));
        await store.SaveInstrumentsAsync([
            new InstrumentInfo("BTCUSDT", Market.UsdM, "BTC", "PERPETUAL"),
            new InstrumentInfo("DOGEUSDT", Market.UsdM, "DOGE", "PERPETUAL"),
        ], CancellationToken.None);
        IReadOnlyList<InstrumentInfo> latest =
        [
            new InstrumentInfo("BTCUSD_PERP", Market.CoinM, "BTC", "PERPETUAL", 100, "USD"),
            new InstrumentInfo("BTCUSDT", Market.UsdM, "BTC", "PERPETUAL"),
            new InstrumentInfo("ETH-251226", Market.Options, "ETH", "OPTIONS", 1, "USDT"),
        ];
        await store.SaveInstrumentsAsync(latest, CancellationToken.None);
        await store.DisposeAsync();
        _opened.Remove(store);

        var again = await OpenAsync("catalog");
        // DOGEUSDT was delisted by the second save; the others come back with every fact the valuation needs.
        Assert.Equal(latest.OrderBy(i => i.Symbol, StringComparer.Ordinal), await again.ReadInstrumentsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_store_of_one_source_refuses_the_other_and_says_where_it_is()
    {
        var store = await OpenAsync("real", source: "binance");
        await store.DisposeAsync();
        _opened.Remove(store);
        var other = Create("real");
        var ex = await Assert.ThrowsAsync<HistoryStoreException>(() => other.OpenAsync("simulated", CancellationToken.None));
        Assert.Contains("binance", ex.Message, StringComparison.Ordinal);
        Assert.Contains("never mixes", ex.Message, StringComparison.Ordinal);
        await other.DisposeAsync();
    }
}
