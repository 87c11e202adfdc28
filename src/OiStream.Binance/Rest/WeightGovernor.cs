using System.Globalization;
using System.Text.RegularExpressions;

using OiStream.Core.Loops;

namespace OiStream.Binance.Rest;

/// <summary>
/// Spends Binance's per-IP request weight without exceeding it (fact sheet sections 6 and 10). It keeps one budget
/// per API: a share of the per-minute <c>REQUEST_WEIGHT</c> limit read from exchangeInfo, checked against both its own
/// count and the server's <c>X-MBX-USED-WEIGHT-1M</c>. It also keeps the separate 1000 requests / 5 min budget of
/// <c>/futures/data/*</c>. After a 429 it waits for <c>Retry-After</c> (or backs off exponentially); after a 418
/// it makes no call to that API until the ban ends.
/// </summary>
public sealed partial class WeightGovernor
{
    private const int FuturesDataLimit = 1000;

    // A 429 without Retry-After: 1 s, 2 s, 4 s … at most a minute, while they keep coming.
    private static readonly Backoff RateLimitBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    private readonly BinanceOptions _options;
    private readonly TimeProvider _time;
    private readonly State[] _states;

    /// <summary>Creates a governor with Binance's documented default limit (2400/min) until exchangeInfo says otherwise.</summary>
    public WeightGovernor(BinanceOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _states = [new State(2400), new State(2400), new State(2400)];
    }

    /// <summary>A snapshot of one API's budget, for status pages and tests.</summary>
    public readonly record struct Usage(int Limit, int Budget, int UsedThisMinute, int ServerUsed, long Requests, long RateLimited, long Banned, long PausedUntil, long BannedUntil);

    /// <summary>Sets the per-minute weight limit read from exchangeInfo's <c>rateLimits</c>.</summary>
    public void SetLimit(ApiFamily family, int weightPerMinute)
    {
        if (weightPerMinute <= 0)
        {
            return;
        }
        var s = _states[(int)family];
        lock (s)
        {
            s.Limit = weightPerMinute;
        }
    }

    /// <summary>The current usage of one API.</summary>
    public Usage GetUsage(ApiFamily family)
    {
        var s = _states[(int)family];
        lock (s)
        {
            Roll(s, Now());
            return new Usage(s.Limit, Budget(s), s.Used, s.ServerUsed, s.Requests, s.RateLimited, s.Banned, s.PausedUntil, s.BannedUntil);
        }
    }

    /// <summary>
    /// Waits until a request of <paramref name="weight"/> fits in the budget (and, for <c>/futures/data/*</c>, in its
    /// own budget), then counts it.
    /// </summary>
    public async ValueTask AcquireAsync(ApiFamily family, int weight, bool futuresData, CancellationToken cancellationToken)
    {
        var s = _states[(int)family];
        while (true)
        {
            long wait;
            lock (s)
            {
                var now = Now();
                Roll(s, now);
                if (s.BannedUntil > now)
                {
                    wait = s.BannedUntil - now;
                }
                else if (s.PausedUntil > now)
                {
                    wait = s.PausedUntil - now;
                }
                else if (Math.Max(s.Used, s.ServerUsed) + weight > Budget(s))
                {
                    wait = s.MinuteStart + 60_000 - now;
                }
                else if (futuresData && s.DataCount + 1 > (int)(FuturesDataLimit * _options.BudgetShare))
                {
                    wait = s.DataStart + 300_000 - now;
                }
                else
                {
                    s.Used += weight;
                    if (futuresData)
                    {
                        s.DataCount++;
                    }
                    s.Requests++;
                    return;
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, wait) + 5), _time, cancellationToken);
        }
    }

    /// <summary>
    /// Reads what a response says about the budget: the used-weight header (any case), and 429 / 418 with
    /// <c>Retry-After</c> or, for a ban, the time in Binance's message.
    /// </summary>
    public void Observe(ApiFamily family, int status, IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, string? errorMessage)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var s = _states[(int)family];
        long? retryAfterMs = null;
        int? used = null;
        foreach (var (name, values) in headers)
        {
            if (name.Equals("X-MBX-USED-WEIGHT-1M", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var u))
            {
                used = u;
            }
            else if (name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                retryAfterMs = (long)(seconds * 1000);
            }
        }

        lock (s)
        {
            var now = Now();
            Roll(s, now);
            if (used is { } u)
            {
                s.ServerUsed = Math.Max(s.ServerUsed, u);
            }
            switch (status)
            {
                case 429:
                    s.RateLimited++;
                    s.Consecutive429++;
                    var backoff = (long)RateLimitBackoff.Delay(s.Consecutive429).TotalMilliseconds;
                    s.PausedUntil = Math.Max(s.PausedUntil, now + (retryAfterMs ?? backoff));
                    break;
                case 418:
                    s.Banned++;
                    var until = retryAfterMs is { } r ? now + r : BannedUntil(errorMessage) ?? now + 120_000;
                    s.BannedUntil = Math.Max(s.BannedUntil, until);
                    break;
                case < 400:
                    s.Consecutive429 = 0;
                    break;
            }
        }
    }

    private static long? BannedUntil(string? message)
    {
        if (message is null)
        {
            return null;
        }
        var m = BanPattern().Match(message);
        return m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : null;
    }

    [GeneratedRegex(@"banned until (\d{10,})")]
    private static partial Regex BanPattern();

    private int Budget(State s) => (int)(s.Limit * _options.BudgetShare);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static void Roll(State s, long now)
    {
        var minute = now / 60_000 * 60_000;
        if (minute != s.MinuteStart)
        {
            s.MinuteStart = minute;
            s.Used = 0;
            s.ServerUsed = 0;
        }
        var five = now / 300_000 * 300_000;
        if (five != s.DataStart)
        {
            s.DataStart = five;
            s.DataCount = 0;
        }
    }

    private sealed class State(int limit)
    {
        public int Limit = limit;
        public long MinuteStart;
        public int Used;
        public int ServerUsed;
        public long DataStart;
        public int DataCount;
        public long PausedUntil;
        public long BannedUntil;
        public int Consecutive429;
        public long Requests;
        public long RateLimited;
        public long Banned;
    }
}
