using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using OiStream.Binance.Rest;

namespace OiStream.Binance.Tests;

/// <summary>
/// The weight governor on a clock the test moves (the adapter tests cover it against the simulator; these pin each
/// rule: the budget share, the server's count, the /futures/data budget, 429 pauses and 418 bans).
/// </summary>
public class WeightGovernorTests
{
    // 10 s into a minute, and into a five-minute window.
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 10, TimeSpan.Zero);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly CountingClock _clock = new(Start);

    private WeightGovernor Governor(double share = 0.8) => new(new BinanceOptions { BudgetShare = share }, _clock);

    private static IEnumerable<KeyValuePair<string, IEnumerable<string>>> Headers(params (string Name, string Value)[] headers) =>
        headers.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Name, [h.Value]));

    [Fact]
    public async Task Requests_fit_in_the_share_of_the_limit_and_the_next_waits_for_the_next_minute()
    {
        var g = Governor();
        g.SetLimit(ApiFamily.UsdM, 1000);
        g.SetLimit(ApiFamily.UsdM, 0); // ignored
        g.GetUsage(ApiFamily.UsdM).Budget.Should().Be(800);
        for (var i = 0; i < 40; i++)
        {
            await g.AcquireAsync(ApiFamily.UsdM, 20, futuresData: false, CancellationToken.None).AsTask().WaitAsync(Wait);
        }
        g.GetUsage(ApiFamily.UsdM).Should().Match<WeightGovernor.Usage>(u => u.UsedThisMinute == 800 && u.Requests == 40);

        var timers = _clock.Timers;
        var next = g.AcquireAsync(ApiFamily.UsdM, 1, futuresData: false, CancellationToken.None).AsTask();
        for (var i = 0; i < 49; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        next.IsCompleted.Should().BeFalse("the minute's budget is spent until 12:01:00");
        _clock.Timers.Should().Be(timers + 1, "a waiting request sleeps once, until the minute turns, rather than polling");
        _clock.Advance(TimeSpan.FromSeconds(1));
        next.IsCompleted.Should().BeFalse("it wakes a few milliseconds after the minute turns, never before");
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        await next.WaitAsync(Wait);
        g.GetUsage(ApiFamily.UsdM).UsedThisMinute.Should().Be(1, "a new minute starts counting from zero");
        _clock.Advance(TimeSpan.FromSeconds(60));
        g.GetUsage(ApiFamily.UsdM).UsedThisMinute.Should().Be(0, "the snapshot itself rolls into a new minute");
        g.GetUsage(ApiFamily.CoinM).Requests.Should().Be(0, "each API has its own budget");
    }

    [Fact]
    public async Task The_server_s_count_of_used_weight_is_respected_when_it_is_higher_than_the_governor_s()
    {
        var g = Governor();
        g.Observe(ApiFamily.UsdM, 200, Headers(("x-mbx-used-weight-1m", "1900")), null);
        g.GetUsage(ApiFamily.UsdM).ServerUsed.Should().Be(1900);
        var request = g.AcquireAsync(ApiFamily.UsdM, 30, futuresData: false, CancellationToken.None).AsTask();
        request.IsCompleted.Should().BeFalse("1900 + 30 is over the budget of 1920");
        _clock.Advance(TimeSpan.FromSeconds(50.1));
        await request.WaitAsync(Wait);
        g.GetUsage(ApiFamily.UsdM).ServerUsed.Should().Be(0, "the server's count is per minute too");
    }

    [Fact]
    public async Task Futures_data_has_its_own_budget_per_five_minutes()
    {
        var g = Governor(share: 0.5);
        for (var i = 0; i < 500; i++)
        {
            await g.AcquireAsync(ApiFamily.UsdM, 0, futuresData: true, CancellationToken.None).AsTask().WaitAsync(Wait);
        }
        var timers = _clock.Timers;
        var next = g.AcquireAsync(ApiFamily.UsdM, 0, futuresData: true, CancellationToken.None).AsTask();
        var ordinary = g.AcquireAsync(ApiFamily.UsdM, 1, futuresData: false, CancellationToken.None).AsTask();
        await ordinary.WaitAsync(Wait);
        next.IsCompleted.Should().BeFalse("500 of 1000 × 0.5 are spent until 12:05:00");
        for (var i = 0; i < 289; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        next.IsCompleted.Should().BeFalse();
        _clock.Timers.Should().Be(timers + 1, "it sleeps until the five minutes end, rather than polling");
        _clock.Advance(TimeSpan.FromSeconds(1.1));
        await next.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_429_pauses_the_API_for_Retry_After_or_else_1_2_4_s_and_a_success_resets_the_backoff()
    {
        var g = Governor();
        g.Observe(ApiFamily.CoinM, 429, Headers(("Retry-After", "7")), null);
        var usage = g.GetUsage(ApiFamily.CoinM);
        usage.RateLimited.Should().Be(1);
        usage.PausedUntil.Should().Be(Start.ToUnixTimeMilliseconds() + 7_000);
        var paused = g.AcquireAsync(ApiFamily.CoinM, 1, futuresData: false, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(6.9));
        paused.IsCompleted.Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        await paused.WaitAsync(Wait);
        (await Acquired(g, ApiFamily.UsdM)).Should().BeTrue("another API is not paused");

        long Paused() => g.GetUsage(ApiFamily.CoinM).PausedUntil - _clock.GetUtcNow().ToUnixTimeMilliseconds();
        g.Observe(ApiFamily.CoinM, 429, Headers(), null);
        Paused().Should().Be(2_000, "the second 429 in a row without Retry-After");
        g.Observe(ApiFamily.CoinM, 429, Headers(), null);
        Paused().Should().Be(4_000);
        g.Observe(ApiFamily.CoinM, 400, Headers(), "a bad request is not a success");
        g.Observe(ApiFamily.CoinM, 429, Headers(), null);
        Paused().Should().Be(8_000, "only a success ends the run of 429s");
        g.Observe(ApiFamily.CoinM, 200, Headers(), null);
        _clock.Advance(TimeSpan.FromSeconds(10));
        g.Observe(ApiFamily.CoinM, 429, Headers(), null);
        Paused().Should().Be(1_000, "a success starts the backoff again");

        // At the very end of a pause a request goes at once.
        _clock.Advance(TimeSpan.FromSeconds(1));
        var atTheEnd = g.AcquireAsync(ApiFamily.CoinM, 1, futuresData: false, CancellationToken.None).AsTask();
        atTheEnd.IsCompleted.Should().BeTrue("the pause is over at its end");
        await atTheEnd;
    }

    [Fact]
    public void Headers_without_a_value_or_unreadable_are_ignored_and_no_headers_at_all_is_refused()
    {
        var g = Governor();
        g.Observe(ApiFamily.UsdM, 429, [new KeyValuePair<string, IEnumerable<string>>("Retry-After", []), new("X-MBX-USED-WEIGHT-1M", [])], null);
        g.GetUsage(ApiFamily.UsdM).PausedUntil.Should().Be(Start.ToUnixTimeMilliseconds() + 1_000, "no Retry-After value: the first backoff step");
        g.Observe(ApiFamily.UsdM, 200, Headers(("X-MBX-USED-WEIGHT-1M", "lots")), null);
        g.GetUsage(ApiFamily.UsdM).ServerUsed.Should().Be(0);
        FluentActions.Invoking(() => g.Observe(ApiFamily.UsdM, 200, null!, null)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void A_418_bans_the_API_until_Retry_After_the_time_in_Binance_s_message_or_else_two_minutes()
    {
        var g = Governor();
        var now = Start.ToUnixTimeMilliseconds();
        g.Observe(ApiFamily.UsdM, 418, Headers(("Retry-After", "30")), null);
        g.GetUsage(ApiFamily.UsdM).BannedUntil.Should().Be(now + 30_000);
        g.Observe(ApiFamily.CoinM, 418, Headers(), $"Way too many requests; IP(1.2.3.4) banned until {now + 600_000}. Please use the websocket.");
        g.GetUsage(ApiFamily.CoinM).BannedUntil.Should().Be(now + 600_000);
        g.Observe(ApiFamily.Options, 418, Headers(), "banned, no time given");
        g.GetUsage(ApiFamily.Options).BannedUntil.Should().Be(now + 120_000);
        g.GetUsage(ApiFamily.Options).Banned.Should().Be(1);
        // A shorter ban never shortens a longer one.
        g.Observe(ApiFamily.CoinM, 418, Headers(("Retry-After", "1")), null);
        g.GetUsage(ApiFamily.CoinM).BannedUntil.Should().Be(now + 600_000);
    }

    [Fact]
    public async Task No_request_starts_while_the_API_is_banned_and_one_goes_at_once_when_it_ends()
    {
        var g = Governor();
        g.Observe(ApiFamily.UsdM, 418, Headers(("Retry-After", "60")), null);
        var request = g.AcquireAsync(ApiFamily.UsdM, 1, futuresData: false, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(59.9));
        request.IsCompleted.Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        await request.WaitAsync(Wait);
        g.GetUsage(ApiFamily.UsdM).Requests.Should().Be(1);

        // A ban that ends now lets a request go at once.
        g.Observe(ApiFamily.CoinM, 418, Headers(("Retry-After", "30")), null);
        _clock.Advance(TimeSpan.FromSeconds(30));
        var atTheEnd = g.AcquireAsync(ApiFamily.CoinM, 1, futuresData: false, CancellationToken.None).AsTask();
        atTheEnd.IsCompleted.Should().BeTrue("the ban is over at its end");
        await atTheEnd;
    }

    /// <summary>A test clock that counts the timers asked of it (a waiting request must sleep, not poll).</summary>
    private sealed class CountingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private static async Task<bool> Acquired(WeightGovernor g, ApiFamily family)
    {
        var task = g.AcquireAsync(family, 1, futuresData: false, CancellationToken.None).AsTask();
        await task.WaitAsync(Wait);
        return task.IsCompletedSuccessfully;
    }
}
