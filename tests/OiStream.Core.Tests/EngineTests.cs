using OiStream.Core.Engine;
using OiStream.Core.Instruments;
using static OiStream.Core.Tests.EngineHarness;

namespace OiStream.Core.Tests;

public class EngineTests
{
    [Fact]
    public void Snapshot_carries_every_field_and_seq_counts_publications_one_by_one()
    {
        var h = new EngineHarness();
        h.Clock.Now = T0 + 1_000;
        var initial = h.State("BTCUSDT");
        Assert.Equal(1, initial.Seq);
        Assert.Null(initial.OpenInterest);
        Assert.True(initial.Stale, "no OI yet is stale");
        Assert.Equal(4, h.Publish() - h.PublishedCoins.Count);

        Assert.Equal(ApplyOutcome.Applied, h.Mark("BTCUSDT", T0, 60_000, 0.0001));
        Assert.Equal(ApplyOutcome.Applied, h.Oi("BTCUSDT", T0 + 500, 100));
        h.Publish();
        var s = Assert.Single(h.Published);
        Assert.Equal("BTCUSDT", s.Symbol);
        Assert.Equal("usdm", s.Market);
        Assert.Equal("BTC", s.Coin);
        Assert.Equal("stable", s.Margin);
        Assert.Equal("PERPETUAL", s.ContractType);
        Assert.Equal(100, s.OpenInterest);
        Assert.Equal(100, s.OpenInterestCoin);
        Assert.Equal(6_000_000, s.OpenInterestUsd);
        Assert.Equal(60_000, s.MarkPrice);
        Assert.Equal(0.0001, s.FundingRate);
        Assert.Equal(T0 + 500, s.OiTime);
        Assert.Equal(T0, s.PriceTime);
        Assert.Equal(T0 + 500, s.CoverageStart);
        Assert.Equal("binance", s.Source);
        Assert.False(s.Stale);
        Assert.Equal(3, s.Seq);
        Assert.Equal(["5m", "15m", "30m", "1h", "4h", "24h"], s.Change.Keys);
        Assert.All(s.Change.Values, v => Assert.Null(v));
        Assert.All(s.Signal.Values, v => Assert.Null(v));
        Assert.Same(s, h.State("btcusdt"));

        Assert.Equal(0, h.Publish());
        h.Oi("BTCUSDT", T0 + 10_000, 101);
        h.Oi("BTCUSDT", T0 + 20_000, 102);
        h.Publish();
        Assert.Equal(4, Assert.Single(h.Published).Seq);
        Assert.Equal(102, h.State("BTCUSDT").OpenInterest);
    }

    [Fact]
    public void Change_follows_the_design_formula_for_OI_USD_value_and_price()
    {
        var h = new EngineHarness();
        for (var t = T0; t <= T0 + 90 * 60_000L; t += 10_000)
        {
            h.Mark("BTCUSDT", t, t < T0 + 60 * 60_000L ? 50_000 : 55_000);
            h.Oi("BTCUSDT", t, t < T0 + 60 * 60_000L ? 100 : 110);
        }
        h.Clock.Now = T0 + 90 * 60_000L;
        h.Publish();
        var s = h.State("BTCUSDT");
        Assert.Equal(10.0, s.Change["1h"]!.Value, 9);
        Assert.Equal(0.0, s.Change["5m"]!.Value, 9);
        Assert.Equal(((110 * 55_000.0) / (100 * 50_000.0) - 1) * 100, s.ChangeUsd["1h"]!.Value, 9);
        Assert.Equal(10.0, s.PriceChange["1h"]!.Value, 9);
        Assert.Null(s.Change["4h"]);
        Assert.Null(s.Change["24h"]);
        Assert.Equal("strongBullish", s.Signal["1h"]);
        Assert.Equal("neutral", s.Signal["5m"]);
        Assert.Null(s.Signal["4h"]);
    }

    [Fact]
    public void CoinM_coin_quantity_moves_with_the_price_and_USD_value_does_not()
    {
        var h = new EngineHarness();
        h.Mark("BTCUSD_PERP", T0, 60_000, double.NaN);
        h.Oi("BTCUSD_PERP", T0, 15_004);
        h.Mark("BTCUSD_PERP", T0 + 360_000, 120_000, double.NaN);
        h.Oi("BTCUSD_PERP", T0 + 360_000, 15_004);
        h.Publish();
        var s = h.State("BTCUSD_PERP");
        Assert.Equal("coinm", s.Market);
        Assert.Equal("coin", s.Margin);
        Assert.Equal(1_500_400, s.OpenInterestUsd);
        Assert.Equal(1_500_400 / 120_000.0, s.OpenInterestCoin!.Value, 9);
        Assert.Equal(-50.0, s.Change["5m"]!.Value, 9);
        Assert.Equal(0.0, s.ChangeUsd["5m"]!.Value, 9);
        Assert.Null(s.FundingRate);
    }

    [Fact]
    public void Bad_input_has_a_defined_outcome_is_counted_and_corrupts_nothing()
    {
        var h = new EngineHarness();
        h.Clock.Now = T0 + 60_000;
        h.Mark("BTCUSDT", T0, 60_000);
        h.Oi("BTCUSDT", T0, 100);
        h.Oi("BTCUSDT", T0 + 1_000, 101);
        h.Publish();
        var before = h.State("BTCUSDT");

        Assert.Equal(ApplyOutcome.UnknownInstrument, h.Oi("NOPEUSDT", T0 + 2_000, 1));
        Assert.Equal(ApplyOutcome.Invalid, h.Oi("BTCUSDT", T0 + 2_000, double.NaN));
        Assert.Equal(ApplyOutcome.Invalid, h.Oi("BTCUSDT", T0 + 2_000, -5));
        Assert.Equal(ApplyOutcome.Invalid, h.Oi("BTCUSDT", T0 + 2_000, double.PositiveInfinity));
        Assert.Equal(ApplyOutcome.Invalid, h.Mark("BTCUSDT", T0 + 2_000, 0));
        Assert.Equal(ApplyOutcome.Invalid, h.Mark("BTCUSDT", T0 + 2_000, double.NaN));
        Assert.Equal(ApplyOutcome.Late, h.Oi("BTCUSDT", T0 + 500, 99));
        Assert.Equal(ApplyOutcome.FromFuture, h.Oi("BTCUSDT", T0 + 3_600_000, 500));
        Assert.Equal(ApplyOutcome.Invalid, h.Engine.Apply(MarketEvent.History("BTCUSDT", T0 + 2_000, 0, 0)));
        Assert.Equal(ApplyOutcome.NotApplicable, h.Engine.Apply(MarketEvent.History("BTC-251226", T0 + 2_000, 1, 1)));

        Assert.Equal(0, h.Publish());
        Assert.Same(before, h.State("BTCUSDT"));
        var c = h.Engine.Counters;
        Assert.Equal(1, c[ApplyOutcome.UnknownInstrument]);
        Assert.Equal(6, c[ApplyOutcome.Invalid]);
        Assert.Equal(1, c[ApplyOutcome.Late]);
        Assert.Equal(1, c[ApplyOutcome.FromFuture]);
        Assert.Equal(1, c[ApplyOutcome.NotApplicable]);
        Assert.Equal(10, c.Ignored);

        // The future sample did not poison the series: a genuine one still applies.
        Assert.Equal(ApplyOutcome.Applied, h.Oi("BTCUSDT", T0 + 2_000, 102));
        // A duplicate time is a correction.
        Assert.Equal(ApplyOutcome.Replaced, h.Oi("BTCUSDT", T0 + 2_000, 103));
        h.Publish();
        Assert.Equal(103, h.State("BTCUSDT").OpenInterest);
        Assert.Equal(1, c[ApplyOutcome.Replaced]);
    }

    [Fact]
    public void Zero_open_interest_is_valid_and_a_change_from_zero_is_null()
    {
        var h = new EngineHarness();
        h.Mark("ETHUSDT", T0, 3_000);
        Assert.Equal(ApplyOutcome.Applied, h.Oi("ETHUSDT", T0, 0));
        h.Oi("ETHUSDT", T0 + 400_000, 50);
        h.Publish();
        var s = h.State("ETHUSDT");
        Assert.Equal(50, s.OpenInterest);
        Assert.Null(s.Change["5m"]);
    }

    [Fact]
    public void Invalid_instrument_facts_are_rejected_and_the_rest_registered()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt);
        var change = new InstrumentListChange([
            new InstrumentInfo("XRPUSD_PERP", Market.CoinM, "XRP", "PERPETUAL", ContractSize: 0),
            new InstrumentInfo("SOLUSDT", Market.UsdM, "SOL", "PERPETUAL"),
        ]);
        Assert.Equal(ApplyOutcome.Applied, h.Engine.Apply(MarketEvent.Instruments(change)));
        Assert.True(h.Engine.IsKnownSymbol("solusdt"));
        Assert.False(h.Engine.IsKnownSymbol("XRPUSD_PERP"));
        Assert.Equal(1, h.Engine.Counters[ApplyOutcome.Invalid]);
        Assert.Contains("contract size", new InstrumentInfo("X", Market.CoinM, "X", "PERPETUAL", 0).Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Stale_flips_when_OI_ages_past_the_threshold_and_is_published_once()
    {
        var h = new EngineHarness(new EngineOptions { StaleAfter = TimeSpan.FromSeconds(30) }, EngineHarness.BtcUsdt);
        h.Clock.Now = T0;
        h.Oi("BTCUSDT", T0, 100);
        h.Publish();
        Assert.False(h.State("BTCUSDT").Stale);
        h.Clock.Now = T0 + 31_000;
        Assert.Equal(1, h.Publish() - h.PublishedCoins.Count);
        Assert.True(Assert.Single(h.Published).Stale);
        Assert.Equal(0, h.Publish());
    }

    [Theory]
    [InlineData("SpikeWindow", "2m")]
    [InlineData("FlushWindow", "nope")]
    public void Bad_signal_options_name_the_key(string key, string value)
    {
        var options = new EngineOptions();
        typeof(OiStream.Core.Signals.SignalOptions).GetProperty(key)!.SetValue(options.Signals, value);
        var error = Assert.Throws<ArgumentException>(() => new MarketEngine(options));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_engine_options_name_the_key()
    {
        Assert.Contains("StaleAfter", Assert.Throws<ArgumentException>(() => new MarketEngine(new EngineOptions { StaleAfter = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        Assert.Contains("'90s'", Assert.Throws<ArgumentException>(() => new MarketEngine(new EngineOptions { Windows = ["5m", "90s"] })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_per_instrument_is_under_64_KB_at_default_settings()
    {
        var bytes = new MarketEngine(new EngineOptions()).BytesPerInstrument;
        Assert.InRange(bytes, 40_000, 64 * 1024);
    }

    [Fact]
    public async Task Readers_on_other_threads_see_only_complete_snapshots_while_the_engine_writes()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, EngineHarness.EthUsdt);
        h.Clock.Now = T0;
        using var done = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            long lastSeq = 0;
            var reads = 0;
            do
            {
                started.TrySetResult();
                foreach (var s in h.Engine.GetInstruments())
                {
                    if (s.OpenInterest is { } oi && s.MarkPrice is { } px)
                    {
                        // Written together by the engine: a torn snapshot would break this identity.
                        Assert.Equal(oi * px, s.OpenInterestUsd!.Value, 6);
                    }
                }
                var btc = h.State("BTCUSDT");
                Assert.True(btc.Seq >= lastSeq, "seq never goes backwards");
                lastSeq = btc.Seq;
                reads++;
            }
            while (!done.IsCancellationRequested);
            return reads;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < 100_000; i++)
        {
            var t = T0 + (i * 100L);
            h.Mark("BTCUSDT", t, 60_000 + (i % 1000));
            h.Oi("BTCUSDT", t, 100 + (i % 77));
            h.Oi("ETHUSDT", t, 5_000 + (i % 13));
            if (i % 500 == 0)
            {
                h.Clock.Now = t;
                h.Publish();
            }
        }
        h.Publish();
        await done.CancelAsync();
        var reads = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(reads > 0, "the reader ran alongside the writer");
        Assert.Equal(100 + (99_999 % 77), h.State("BTCUSDT").OpenInterest);
    }
}

public class PublishIntervalTests
{
    [Fact]
    public void A_symbol_goes_out_at_once_twice_in_a_row_then_no_more_than_once_per_interval()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, EngineHarness.EthUsdt);
        var t0 = EngineHarness.T0;
        h.Clock.Now = t0;
        var interval = TimeSpan.FromMilliseconds(250);
        var published = new List<OiStream.Contracts.InstrumentState>();
        var coins = new List<OiStream.Contracts.CoinState>();
        h.Engine.PublishChanges(published, coins, interval); // the registration snapshots

        List<OiStream.Contracts.InstrumentState> At(long ms, params (string Symbol, double Oi)[] changes)
        {
            h.Clock.Now = t0 + ms;
            foreach (var (symbol, oi) in changes)
            {
                h.Oi(symbol, t0 + ms, oi);
            }
            published.Clear();
            h.Engine.PublishChanges(published, coins, interval);
            return [.. published];
        }

        var first = Assert.Single(At(1_000, ("BTCUSDT", 100)));        // a second since its last update: at once
        var second = Assert.Single(At(1_050, ("BTCUSDT", 101)));       // a second change right after: at once too (a mark
        Assert.Equal(first.Seq + 1, second.Seq);                       // tick just after an OI update does not wait)
        Assert.Equal("ETHUSDT", Assert.Single(At(1_100, ("BTCUSDT", 102), ("ETHUSDT", 50))).Symbol); // a third: over budget
        Assert.True(h.Engine.HasPendingChanges);
        Assert.Empty(At(1_200, ("BTCUSDT", 103)));                      // still over: it coalesces with the next change
        var third = Assert.Single(At(1_250), s => s.Symbol == "BTCUSDT"); // one interval after the first
        Assert.Equal(second.Seq + 1, third.Seq);
        Assert.Equal(103, third.OpenInterest);
        Assert.Empty(At(1_400, ("BTCUSDT", 104)));                      // from here on, once per interval
        Assert.Equal(104, Assert.Single(At(1_500)).OpenInterest);
    }
}

public class SeqFloorTests
{
    [Fact]
    public void A_raised_floor_lifts_the_next_seq_of_every_instrument_and_coin_above_it_and_seq_keeps_rising_from_there()
    {
        var h = new EngineHarness(null, EngineHarness.BtcUsdt, EngineHarness.EthUsdt);
        h.Clock.Now = EngineHarness.T0;
        var published = new List<OiStream.Contracts.InstrumentState>();
        var coins = new List<OiStream.Contracts.CoinState>();
        h.Oi("BTCUSDT", EngineHarness.T0, 100);
        h.Engine.PublishChanges(published, coins);
        var first = published.Single(s => s.Symbol == "BTCUSDT").Seq;
        Assert.True(first < 10, "counted from the engine's start");

        // A new leader's term: every seq an earlier leader published is below the floor.
        h.Engine.SeqFloor = 1_764_000_000_000_000;
        published.Clear();
        coins.Clear();
        h.Oi("BTCUSDT", EngineHarness.T0 + 1000, 101);
        h.Engine.PublishChanges(published, coins);
        Assert.Equal(1_764_000_000_000_001, published.Single(s => s.Symbol == "BTCUSDT").Seq);
        Assert.Equal(1_764_000_000_000_001, Assert.Single(coins, c => c.Coin == "BTC").Seq);

        published.Clear();
        h.Oi("BTCUSDT", EngineHarness.T0 + 2000, 102);
        h.Engine.PublishChanges(published, coins);
        Assert.Equal(1_764_000_000_000_002, published.Single(s => s.Symbol == "BTCUSDT").Seq);

        // A lower floor changes nothing.
        h.Engine.SeqFloor = 5;
        published.Clear();
        h.Oi("BTCUSDT", EngineHarness.T0 + 3000, 103);
        h.Engine.PublishChanges(published, coins);
        Assert.Equal(1_764_000_000_000_003, published.Single(s => s.Symbol == "BTCUSDT").Seq);
    }
}
