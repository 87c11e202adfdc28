namespace OiStream.Simulator.Rest;

/// <summary>
/// Binance's IP limits (fact sheet sections 6 and 10): request weight per minute per API family, a separate count of
/// <c>/futures/data/*</c> requests per 5 minutes, 429 with <c>-1003</c> and <c>Retry-After</c> on breach, and a 418
/// ban for an IP that keeps requesting after a 429 in the same window. During an injected 429 storm, an IP that
/// sends more than <see cref="StormStrikes"/> requests to one API before the <c>Retry-After</c> it was given is
/// banned as well: a client that ignores 429 is caught, while the few requests already in flight are forgiven.
/// </summary>
public sealed class WeightLimiter(SimulatorOptions options, Faults faults, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Ip, string Family), Window> _minute = [];
    private readonly Dictionary<string, Window> _futuresData = [];
    private readonly Dictionary<string, long> _bannedUntil = [];
    private readonly Dictionary<(string Ip, string Family), (long RetryAt, int Strikes)> _stormRetry = [];

    /// <summary>Requests to one API an IP may still send after a 429 of a storm, before its Retry-After, without a ban.</summary>
    public const int StormStrikes = 10;

    /// <summary>The verdict on one request.</summary>
    public readonly record struct Verdict(int Status, int UsedWeight, long RetryAfterMs, long BannedUntil);

    /// <summary>Bans an IP until the given time (admin fault: the 418 path without first abusing the limit).</summary>
    public void Ban(string ip, long until)
    {
        lock (_gate)
        {
            _bannedUntil[ip] = until;
            faults.LastBanUntil = until;
        }
    }

    /// <summary>Counts a request of <paramref name="weight"/> and says whether it may proceed (Status 200).</summary>
    public Verdict Admit(string ip, string family, int weight, bool futuresData)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (_bannedUntil.TryGetValue(ip, out var until) && until > now)
            {
                faults.CountBan();
                return new Verdict(418, Used(ip, family, now), until - now, until);
            }

            var minute = Get(_minute, (ip, family), now, 60_000);
            var storm = faults.StormUntil > now;
            var overWeight = minute.Used + weight > options.WeightPerMinute;
            Window? five = null;
            var overData = false;
            if (futuresData)
            {
                five = Get(_futuresData, ip, now, 300_000);
                overData = five.Used + 1 > options.FuturesDataPer5Min;
            }

            if (storm || overWeight || overData)
            {
                var window = overData ? five! : minute;
                var stormAbuse = false;
                if (storm)
                {
                    // Before the Retry-After of a 429 this storm gave: a strike. Too many, and the IP is banned.
                    var strikes = _stormRetry.TryGetValue((ip, family), out var r) && now < r.RetryAt ? r.Strikes + 1 : 0;
                    _stormRetry[(ip, family)] = (faults.StormUntil, strikes);
                    stormAbuse = strikes > StormStrikes;
                }
                if ((window.Violated && !storm) || stormAbuse)
                {
                    var ban = now + (long)options.BanDuration.TotalMilliseconds;
                    _bannedUntil[ip] = ban;
                    faults.LastBanUntil = ban;
                    faults.CountBan();
                    return new Verdict(418, minute.Used, ban - now, ban);
                }
                window.Violated = true;
                faults.CountTooManyRequests();
                var retry = storm ? faults.StormUntil - now : window.Start + window.Length - now;
                return new Verdict(429, minute.Used, Math.Max(1, retry), 0);
            }

            minute.Used += weight;
            if (five is not null)
            {
                five.Used++;
            }
            return new Verdict(200, minute.Used, 0, 0);
        }
    }

    private int Used(string ip, string family, long now)
        => _minute.TryGetValue((ip, family), out var w) && w.Start + w.Length > now ? w.Used : 0;

    private static Window Get<TKey>(Dictionary<TKey, Window> windows, TKey key, long now, long length) where TKey : notnull
    {
        var start = now / length * length;
        if (!windows.TryGetValue(key, out var w) || w.Start != start)
        {
            w = new Window { Start = start, Length = length };
            windows[key] = w;
        }
        return w;
    }

    private sealed class Window
    {
        public long Start;
        public long Length;
        public int Used;
        public bool Violated;
    }
}
