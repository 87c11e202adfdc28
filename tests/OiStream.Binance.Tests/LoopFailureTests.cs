using OiStream.Core.Engine;
using OiStream.Core.Loops;

namespace OiStream.Binance.Tests;

/// <summary>
/// The feed's loops against the simulator when something they do not expect goes wrong (here the channel's writer
/// throws): each counts the failure in its <see cref="LoopHealth"/>, pauses, and goes on once the fault is gone.
/// </summary>
public class LoopFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_poll_and_stream_loops_count_an_unexpected_exception_pause_and_go_on()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.CoinM = false; o.Options = false; });
        h.StartFeed();
        await Wait.UntilAsync(() => h.Feed.IsLive, Timeout, "feed live");
        var stream = h.Feed.Streams.Single(s => s.Name == "usdm-ws");
        await Wait.UntilAsync(() => stream.Events > 0 && h.Feed.Poller.Polls > 0, Timeout, "marks and OI flowing");

        h.Writer.Fail(-1);
        await Wait.UntilAsync(() => h.Feed.Poller.Health.Failures >= 1 && stream.Health.Failures >= 1, Timeout, "both loops failing");
        Assert.True(h.Feed.Poller.Health.Consecutive >= 1);
        Assert.StartsWith("InvalidOperationException: injected", stream.Health.LastError, StringComparison.Ordinal);
        // Paced, not spinning: a failure repeating on every pass waits 1 s, 2 s, 4 s … between passes, so a few
        // seconds of a permanent fault cost a handful of attempts per worker (the 4 USDⓈ-M workers and the socket),
        // where a loop without a pause would have thrown millions of times.
        await Wait.UntilAsync(() => h.Feed.Poller.Health.Failures >= 8, Timeout, "repeated failures");
        Assert.InRange(h.Writer.Thrown, 8, 200);

        h.Writer.Heal();
        var oi = h.Of(MarketEventKind.OpenInterest).Count();
        var marks = h.Of(MarketEventKind.MarkPrice).Count();
        await Wait.UntilAsync(() => h.Of(MarketEventKind.OpenInterest).Count() > oi + 5 && h.Of(MarketEventKind.MarkPrice).Count() > marks + 5,
            Timeout, "OI and marks written again after the fault");
        await Wait.UntilAsync(() => h.Feed.Poller.Health.Consecutive == 0 && stream.Health.Consecutive == 0, Timeout, "both loops healthy again");
        Assert.Contains(h.Loops.Loops, l => l.Name == "poller");
        Assert.Contains(h.Loops.Loops, l => l.Name == "usdm-ws");
    }

    [Fact]
    public async Task A_feed_that_fails_while_it_starts_is_started_again_from_discovery_and_goes_live_with_one_set_of_streams()
    {
        await using var h = await AdapterHarness.StartAsync(null, o => { o.Options = false; });
        var health = new LoopHealth("feed", TimeSpan.FromMilliseconds(100));
        // The feed's first writes throw (its status reports while it discovers): the run ends with the exception.
        h.Writer.Fail(3);
        h.StartSupervisedFeed(health);
        await Wait.UntilAsync(() => h.Feed.IsLive, Timeout, "feed live after a restart");
        Assert.InRange(health.Failures, 1, 2);
        Assert.Equal(3, h.Writer.Thrown);
        Assert.Equal(["coinm-ws", "usdm-ws"], h.Feed.Streams.Select(s => s.Name).Order());
        var marks = h.Of(MarketEventKind.MarkPrice).Count();
        await Wait.UntilAsync(() => h.Of(MarketEventKind.MarkPrice).Count() > marks + 5, Timeout, "marks flowing");
    }
}
