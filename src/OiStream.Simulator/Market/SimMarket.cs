using System.Globalization;

namespace OiStream.Simulator.Market;

/// <summary>
/// The simulated market: a deterministic universe (from <see cref="SimulatorOptions.Seed"/>) whose OI and mark prices
/// step once a second on the wall clock, with 5-minute history that is consistent with the live values.
/// </summary>
/// <remarks>
/// History before the simulator started is generated backwards from the starting values (a random walk is the same
/// run in either direction), lazily and only as deep as it is asked for; history after the start is the live value
/// recorded at each 5-minute boundary. All state is guarded by one lock: steps take tens of microseconds.
/// </remarks>
public sealed class SimMarket
{
    /// <summary>History bucket width (Binance's finest <c>openInterestHist</c> period).</summary>
    public const long FiveMinutes = 300_000;

    private static readonly string[] Majors =
    [
        "BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "AVAX", "LINK", "DOT", "LTC", "TRX", "BCH", "TON", "NEAR",
        "APT", "ARB", "OP", "SUI", "FIL", "ATOM", "UNI", "ETC", "XLM", "INJ", "AAVE", "SEI", "TIA", "WLD", "PEPE",
    ];

    private readonly object _gate = new();
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SimInstrument> _bySymbol = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoinPath> _coins = new(StringComparer.Ordinal);
    private readonly Dictionary<object, History> _history = [];
    private readonly Dictionary<string, VenueInstrument> _byVenueSymbol = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _pendingShocks = new(StringComparer.Ordinal);
    private readonly long _startBucket;
    private long _lastStep;

    /// <summary>Builds the universe and its starting state at the current time.</summary>
    public SimMarket(SimulatorOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        StartTime = now;
        _startBucket = now / FiveMinutes * FiveMinutes;
        _lastStep = now;
        Build(now);
    }

    /// <summary>When the simulator started (Unix ms).</summary>
    public long StartTime { get; }

    /// <summary>USDⓈ-M contracts, in listing order.</summary>
    public IReadOnlyList<SimInstrument> UsdM { get; private set; } = [];

    /// <summary>COIN-M contracts, in listing order.</summary>
    public IReadOnlyList<SimInstrument> CoinM { get; private set; } = [];

    /// <summary>Options contracts.</summary>
    public IReadOnlyList<SimOption> OptionContracts { get; private set; } = [];

    /// <summary>Bybit and OKX contracts, in listing order (trading or not).</summary>
    public IReadOnlyList<VenueInstrument> Venues { get; private set; } = [];

    /// <summary>The contracts of one venue (<c>bybit</c>, <c>okx</c>).</summary>
    public IEnumerable<VenueInstrument> VenueContracts(string exchange) => Venues.Where(v => v.Exchange == exchange);

    /// <summary>Finds a Bybit or OKX contract by the venue's exact symbol.</summary>
    public VenueInstrument? FindVenue(string exchange, string symbol)
        => _byVenueSymbol.TryGetValue(exchange + ":" + symbol, out var v) ? v : null;

    /// <summary>The market stands still until then (Unix ms): tests compare a hub with ground truth that does not move.</summary>
    public long FrozenUntil { get => Volatile.Read(ref _frozenUntil); set => Volatile.Write(ref _frozenUntil, value); }

    private long _frozenUntil;

    /// <summary>The lock to hold while reading live state.</summary>
    public object Gate => _gate;

    /// <summary>Finds a futures contract by exact symbol on one venue.</summary>
    public SimInstrument? Find(SimVenue venue, string symbol)
        => _bySymbol.TryGetValue(symbol, out var i) && i.Venue == venue ? i : null;

    /// <summary>Contracts of one COIN-M pair (e.g. <c>BTCUSD</c>).</summary>
    public IEnumerable<SimInstrument> CoinMPair(string pair) => CoinM.Where(i => i.Pair == pair);

    /// <summary>Advances every path to <paramref name="now"/> (whole seconds since the last step) and records 5-minute history.</summary>
    public void Step(long now)
    {
        lock (_gate)
        {
            var seconds = (now - _lastStep) / 1000.0;
            if (seconds <= 0 || now < FrozenUntil)
            {
                return;
            }
            foreach (var coin in _coins.Values)
            {
                coin.Index *= Paths.PriceStep(coin.Random, seconds);
            }
            foreach (var i in UsdM.Concat(CoinM))
            {
                var coin = _coins[i.BaseAsset];
                var rnd = coin.Random;
                i.OpenInterest *= Paths.OiStep(rnd, seconds);
                if (_pendingShocks.Remove(i.Symbol, out var shock))
                {
                    i.OpenInterest *= shock;
                }
                i.OiTime = now;
                var basis = i.IsPerpetual ? 0.0002 * Paths.Normal(rnd) : 0.004;
                i.IndexPrice = coin.Index;
                i.MarkPrice = Round(coin.Index * (1 + basis));
                i.PriceTime = now;
                if (i.IsPerpetual)
                {
                    i.FundingRate = Math.Clamp(i.FundingRate + (0.000002 * Paths.Normal(rnd)), -0.003, 0.003);
                }
            }
            foreach (var v in Venues)
            {
                var coin = _coins[v.Coin];
                v.OpenInterest *= Paths.OiStep(coin.Random, seconds);
                if (_pendingShocks.Remove(v.Exchange + ":" + v.Symbol, out var shock))
                {
                    v.OpenInterest *= shock;
                }
                v.OiTime = now;
                v.IndexPrice = coin.Index * v.Multiplier;
                v.MarkPrice = Round(v.IndexPrice * (1 + (v.Perpetual ? 0.0002 * Paths.Normal(coin.Random) : 0.003)));
                v.PriceTime = now;
                if (v.Perpetual)
                {
                    v.FundingRate = Math.Clamp(v.FundingRate + (0.000002 * Paths.Normal(coin.Random)), -0.003, 0.003);
                }
            }
            foreach (var o in OptionContracts)
            {
                var coin = _coins[o.BaseAsset];
                o.OpenInterest *= Paths.OiStep(coin.Random, seconds);
                o.OpenInterestUsd = o.OpenInterest * coin.Index;
                o.Time = now;
            }

            // Record the live value at every 5-minute boundary passed: the history after start.
            var boundary = (_lastStep / FiveMinutes * FiveMinutes) + FiveMinutes;
            for (; boundary <= now; boundary += FiveMinutes)
            {
                foreach (var i in UsdM.Concat(CoinM))
                {
                    HistoryOf(i).Live[boundary] = (i.OpenInterest, i.MarkPrice);
                }
                foreach (var v in Venues)
                {
                    HistoryOf(v).Live[boundary] = (v.OpenInterest, v.MarkPrice);
                }
            }
            _lastStep = now;
        }
    }

    /// <summary>
    /// Multiplies a contract's OI at the next step (an OI spike above 1, a flush below 1). A Bybit or OKX contract is
    /// named <c>bybit:BTCUSDT</c>, <c>okx:BTC-USDT-SWAP</c>.
    /// </summary>
    public bool Shock(string symbol, double factor)
    {
        lock (_gate)
        {
            if (!_bySymbol.ContainsKey(symbol) && !_byVenueSymbol.ContainsKey(symbol))
            {
                return false;
            }
            _pendingShocks[symbol] = factor;
            return true;
        }
    }

    /// <summary>
    /// The history rows (timestamp, OI in Binance's unit, mark) of a contract at <paramref name="periodMs"/> steps, oldest
    /// first, between the given times (inclusive), at most <paramref name="limit"/> of the newest. Call under <see cref="Gate"/>.
    /// </summary>
    public List<(long Time, double OpenInterest, double Price)> HistoryRows(SimInstrument instrument, long periodMs, long from, long to, int limit)
        => Rows(HistoryOf(instrument), periodMs, Math.Max(from, _startBucket - (_options.HistoryDays * 86_400_000L)), to, limit);

    /// <summary>
    /// The history rows (timestamp, single-side OI in the venue's unit, mark) of a Bybit or OKX contract, as
    /// <see cref="HistoryRows(SimInstrument, long, long, long, int)"/>; they reach back to the contract's launch.
    /// Call under <see cref="Gate"/>.
    /// </summary>
    public List<(long Time, double OpenInterest, double Price)> HistoryRows(VenueInstrument instrument, long periodMs, long from, long to, int limit)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return Rows(HistoryOf(instrument), periodMs, Math.Max(from, instrument.LaunchTime), to, limit);
    }

    private List<(long Time, double OpenInterest, double Price)> Rows(History history, long periodMs, long oldest, long to, int limit)
    {
        var rows = new List<(long, double, double)>();
        var last = Math.Min(to, _lastStep) / periodMs * periodMs;
        for (var t = last; t >= oldest && rows.Count < limit; t -= periodMs)
        {
            if (t > _startBucket)
            {
                if (history.Live.TryGetValue(t, out var live))
                {
                    rows.Add((t, live.Oi, live.Price));
                }
                continue;
            }
            var (oi, price) = history.Back((int)((_startBucket - t) / FiveMinutes));
            rows.Add((t, oi, price));
        }
        rows.Reverse();
        return rows;
    }

    /// <summary>Oldest time history is served for (older start times are rejected like Binance's -1130).</summary>
    public long HistoryStart => _startBucket - (_options.HistoryDays * 86_400_000L);

    private History HistoryOf(SimInstrument instrument) => HistoryOf(instrument, instrument.Seed);

    private History HistoryOf(VenueInstrument instrument) => HistoryOf(instrument, instrument.Seed);

    private History HistoryOf(object instrument, int seed)
    {
        if (!_history.TryGetValue(instrument, out var h))
        {
            h = new History(seed, _startOi[instrument], _startPrice[instrument]);
            _history[instrument] = h;
        }
        return h;
    }

    private readonly Dictionary<object, double> _startOi = [];
    private readonly Dictionary<object, double> _startPrice = [];

    private void Build(long now)
    {
        var random = new Random(_options.Seed);
        var coins = new List<string>(Majors.Take(Math.Min(Majors.Length, _options.UsdmCoins)));
        for (var n = coins.Count; n < _options.UsdmCoins; n++)
        {
            coins.Add(string.Create(CultureInfo.InvariantCulture, $"ALT{n:000}"));
        }

        foreach (var coin in coins)
        {
            var price = coin switch
            {
                "BTC" => 95_000.0,
                "ETH" => 3_500.0,
                "SOL" => 180.0,
                "BNB" => 650.0,
                _ => Math.Round(Math.Exp(Lerp(Math.Log(0.01), Math.Log(300), random.NextDouble())), 6),
            };
            _coins[coin] = new CoinPath(price, new Random(Hash(_options.Seed, coin)));
        }

        var usdm = new List<SimInstrument>();
        var coinm = new List<SimInstrument>();
        var (q1, q2) = QuarterlyExpiries(now);
        for (var n = 0; n < coins.Count; n++)
        {
            var coin = coins[n];
            var usd = coin == "BTC" ? 9e9 : coin == "ETH" ? 5e9 : Math.Exp(Lerp(Math.Log(2e6), Math.Log(2e9), random.NextDouble()));
            Add(usdm, new SimInstrument(SimVenue.UsdM, coin + "USDT", coin + "USDT", coin, "USDT", "PERPETUAL", 1, "TRADING", 4_133_404_800_000, Hash(_options.Seed, coin + "USDT")), usd);
            if (n < 10)
            {
                Add(usdm, new SimInstrument(SimVenue.UsdM, coin + "USDC", coin + "USDC", coin, "USDC", "PERPETUAL", 1, "TRADING", 4_133_404_800_000, Hash(_options.Seed, coin + "USDC")), usd / 8);
            }
            if (n < 2)
            {
                Add(usdm, Delivery(SimVenue.UsdM, coin, "USDT", q1, "CURRENT_QUARTER", 1), usd / 20);
                Add(usdm, Delivery(SimVenue.UsdM, coin, "USDT", q2, "NEXT_QUARTER", 1), usd / 40);
            }
            if (n < _options.CoinmCoins)
            {
                var size = coin == "BTC" ? 100 : 10;
                Add(coinm, new SimInstrument(SimVenue.CoinM, coin + "USD_PERP", coin + "USD", coin, "USD", "PERPETUAL", size, "TRADING", 4_133_404_800_000, Hash(_options.Seed, coin + "USD_PERP")), usd / 6);
                if (n < 2)
                {
                    Add(coinm, Delivery(SimVenue.CoinM, coin, "USD", q1, "CURRENT_QUARTER", size), usd / 25);
                    Add(coinm, Delivery(SimVenue.CoinM, coin, "USD", q2, "NEXT_QUARTER", size), usd / 50);
                }
            }
        }
        // Two listed but non-trading contracts, for Binance's -4108 and for status filtering.
        _coins["OLD"] = new CoinPath(1.0, new Random(Hash(_options.Seed, "OLD")));
        _coins["NEW"] = new CoinPath(1.0, new Random(Hash(_options.Seed, "NEW")));
        Add(usdm, new SimInstrument(SimVenue.UsdM, "OLDUSDT", "OLDUSDT", "OLD", "USDT", "PERPETUAL", 1, "SETTLING", 4_133_404_800_000, 1), 1e6);
        Add(usdm, new SimInstrument(SimVenue.UsdM, "NEWUSDT", "NEWUSDT", "NEW", "USDT", "PERPETUAL", 1, "PENDING_TRADING", 4_133_404_800_000, 2), 1e6);

        UsdM = usdm;
        CoinM = coinm;

        var options = new List<SimOption>();
        if (_options.Options)
        {
            foreach (var coin in new[] { "BTC", "ETH" })
            {
                var spot = _coins[coin].Index;
                foreach (var days in new[] { 1, 7, 30, 90 })
                {
                    var expiryDate = ((now / 86_400_000) + days) * 86_400_000 + 28_800_000;
                    var expiry = DateTimeOffset.FromUnixTimeMilliseconds(expiryDate).ToString("yyMMdd", CultureInfo.InvariantCulture);
                    foreach (var k in new[] { 0.9, 0.95, 1.0, 1.05, 1.1 })
                    {
                        var strike = Math.Round(spot * k / (coin == "BTC" ? 1000 : 50)) * (coin == "BTC" ? 1000 : 50);
                        foreach (var call in new[] { true, false })
                        {
                            var o = new SimOption(coin + "USDT", coin, expiry, expiryDate, strike, call)
                            {
                                OpenInterest = Math.Round(50 + (random.NextDouble() * 2_000), 2),
                                Time = now,
                            };
                            o.OpenInterestUsd = o.OpenInterest * spot;
                            options.Add(o);
                        }
                    }
                }
            }
        }
        OptionContracts = options;
        Venues = BuildVenues(coins, random, now, q1);

        void Add(List<SimInstrument> list, SimInstrument i, double usdValue)
        {
            var index = _coins[i.BaseAsset].Index;
            i.StreamKey = i.Symbol.ToLowerInvariant();
            i.IndexPrice = index;
            i.MarkPrice = Round(index * (i.IsPerpetual ? 1 : 1.004));
            i.OpenInterest = i.Venue == SimVenue.UsdM ? Math.Round(usdValue / index, 3) : Math.Round(usdValue / i.ContractSize);
            i.OiTime = now;
            i.PriceTime = now;
            i.FundingRate = i.IsPerpetual ? 0.0001 : double.NaN;
            list.Add(i);
            _bySymbol[i.Symbol] = i;
            _startOi[i] = i.OpenInterest;
            _startPrice[i] = i.MarkPrice;
        }

        SimInstrument Delivery(SimVenue venue, string coin, string quote, long expiry, string type, int size)
        {
            var suffix = DateTimeOffset.FromUnixTimeMilliseconds(expiry).ToString("yyMMdd", CultureInfo.InvariantCulture);
            var symbol = coin + quote + "_" + suffix;
            return new SimInstrument(venue, symbol, coin + quote, coin, quote, type, size, "TRADING", expiry, Hash(_options.Seed, symbol));
        }
    }

    // Bybit and OKX list what fact-sheet section 6 asks for: USDT perpetuals of every coin, USDC perpetuals and inverse
    // perpetuals of the majors, dated futures of BTC and ETH, a 1000-prefixed Bybit symbol, OKX's USD(stable)-margined
    // family, and one contract of each venue that is not listed by default.
    private List<VenueInstrument> BuildVenues(List<string> coins, Random random, long now, long expiry)
    {
        var list = new List<VenueInstrument>();
        var launch = now - (400L * 86_400_000);
        var dd = DateTimeOffset.FromUnixTimeMilliseconds(expiry).UtcDateTime;
        var bybitDate = dd.ToString("dd", CultureInfo.InvariantCulture) + dd.ToString("MMM", CultureInfo.InvariantCulture).ToUpperInvariant() + dd.ToString("yy", CultureInfo.InvariantCulture);
        var quarterCode = "HMUZ"[(dd.Month - 1) / 3] + dd.ToString("yy", CultureInfo.InvariantCulture);
        var okxDate = dd.ToString("yyMMdd", CultureInfo.InvariantCulture);
        for (var n = 0; n < coins.Count; n++)
        {
            var coin = coins[n];
            var usd = coin == "BTC" ? 6e9 : coin == "ETH" ? 3e9 : Math.Exp(Lerp(Math.Log(1e6), Math.Log(1e9), random.NextDouble()));
            if (n < _options.BybitCoins)
            {
                var (baseCoin, mult) = coin == "PEPE" ? ("1000PEPE", 1000.0) : (coin, 1.0);
                Venue("bybit", baseCoin + "USDT", coin, baseCoin, "USDT", "USDT", VenueKind.Linear, true, 1, mult, 3, 0, usd * 0.6);
                if (n < 10)
                {
                    Venue("bybit", coin + "PERP", coin, coin, "USDC", "USDC", VenueKind.Linear, true, 1, 1, 3, 0, usd * 0.05);
                    Venue("bybit", coin + "USD", coin, coin, "USD", coin, VenueKind.Inverse, true, 1, 1, 0, 0, usd * 0.1);
                }
                if (n < 2)
                {
                    Venue("bybit", coin + "USDT-" + bybitDate, coin, coin, "USDT", "USDT", VenueKind.Linear, false, 1, 1, 3, expiry, usd * 0.01);
                    Venue("bybit", coin + "USD" + quarterCode, coin, coin, "USD", coin, VenueKind.Inverse, false, 1, 1, 0, expiry, usd * 0.01);
                }
            }
            if (n < _options.OkxCoins)
            {
                var price = _coins[coin].Index;
                var ctVal = coin == "BTC" ? 0.01 : coin == "ETH" ? 0.1 : Math.Pow(10, Math.Round(Math.Log10(10 / price)));
                var inverseCt = coin == "BTC" ? 100 : 10;
                Venue("okx", coin + "-USDT-SWAP", coin, coin, "USDT", "USDT", VenueKind.Linear, true, ctVal, 1, 0, 0, usd * 0.5);
                if (n < 10)
                {
                    Venue("okx", coin + "-USDC-SWAP", coin, coin, "USDC", "USDC", VenueKind.Linear, true, ctVal, 1, 0, 0, usd * 0.04);
                    Venue("okx", coin + "-USD-SWAP", coin, coin, "USD", coin, VenueKind.Inverse, true, inverseCt, 1, 0, 0, usd * 0.08);
                }
                if (n < 2)
                {
                    Venue("okx", coin + "-USD_UM-SWAP", coin, coin, "USD", "USD", VenueKind.Linear, true, ctVal, 1, 0, 0, usd * 0.02);
                    Venue("okx", coin + "-USDT-" + okxDate, coin, coin, "USDT", "USDT", VenueKind.Linear, false, ctVal, 1, 0, expiry, usd * 0.01);
                    Venue("okx", coin + "-USD-" + okxDate, coin, coin, "USD", coin, VenueKind.Inverse, false, inverseCt, 1, 0, expiry, usd * 0.01);
                    Venue("okx", coin + "-USD_UM-" + okxDate, coin, coin, "USD", "USD", VenueKind.Linear, false, ctVal, 1, 0, expiry, usd * 0.005);
                }
            }
        }
        // Listed but not trading: returned only when asked for (Bybit status=PreLaunch; OKX state preopen).
        Venue("bybit", "NEWUSDT", "NEW", "NEW", "USDT", "USDT", VenueKind.Linear, true, 1, 1, 3, 0, 1e6, "PreLaunch");
        Venue("okx", "NEW-USDT-SWAP", "NEW", "NEW", "USDT", "USDT", VenueKind.Linear, true, 1, 1, 0, 0, 1e6, "preopen");
        return list;

        void Venue(string exchange, string symbol, string coin, string baseCoin, string quote, string settle, VenueKind kind, bool perpetual,
            double contractValue, double multiplier, int qtyDecimals, long expiryAt, double usdValue, string? status = null)
        {
            var v = new VenueInstrument(exchange, symbol, coin, baseCoin, quote, settle, kind, perpetual, contractValue, multiplier, qtyDecimals,
                launch, expiryAt, status ?? (exchange == "bybit" ? "Trading" : "live"), Hash(_options.Seed, exchange + symbol));
            var index = _coins[coin].Index * multiplier;
            v.IndexPrice = index;
            v.MarkPrice = Round(index * (perpetual ? 1 : 1.003));
            // The venue's own unit: coins (Bybit linear), USD (Bybit inverse), contracts (OKX).
            v.OpenInterest = (exchange, kind) switch
            {
                ("bybit", VenueKind.Linear) => Math.Round(usdValue / index, qtyDecimals),
                ("bybit", _) => Math.Round(usdValue),
                (_, VenueKind.Linear) => Math.Round(usdValue / index / contractValue, 2),
                _ => Math.Round(usdValue / contractValue, 1),
            };
            v.OiTime = v.PriceTime = now;
            v.FundingRate = perpetual ? 0.0001 : double.NaN;
            list.Add(v);
            _byVenueSymbol[exchange + ":" + symbol] = v;
            _startOi[v] = v.OpenInterest;
            _startPrice[v] = v.MarkPrice;
        }
    }

    /// <summary>Last Friday 08:00 UTC of this quarter's and next quarter's final month.</summary>
    private static (long, long) QuarterlyExpiries(long now)
    {
        var date = DateTimeOffset.FromUnixTimeMilliseconds(now).UtcDateTime;
        var endMonth = ((date.Month - 1) / 3 * 3) + 3;
        var first = LastFriday(date.Year, endMonth);
        if (first <= date)
        {
            endMonth += 3;
            first = LastFriday(date.Year + ((endMonth - 1) / 12), ((endMonth - 1) % 12) + 1);
        }
        var nextMonth = first.Month + 3;
        var second = LastFriday(first.Year + ((nextMonth - 1) / 12), ((nextMonth - 1) % 12) + 1);
        return (new DateTimeOffset(first).ToUnixTimeMilliseconds(), new DateTimeOffset(second).ToUnixTimeMilliseconds());

        static DateTime LastFriday(int year, int month)
        {
            var d = new DateTime(year, month, DateTime.DaysInMonth(year, month), 8, 0, 0, DateTimeKind.Utc);
            while (d.DayOfWeek != DayOfWeek.Friday)
            {
                d = d.AddDays(-1);
            }
            return d;
        }
    }

    private static double Lerp(double a, double b, double t) => a + ((b - a) * t);

    /// <summary>Rounds a price as the venues quote it (2 decimals from 1,000 up, else 6).</summary>
    public static double Round(double price) => price >= 1000 ? Math.Round(price, 2) : Math.Round(price, 6);

    /// <summary>A stable hash (string.GetHashCode is randomised per process, which would break determinism).</summary>
    internal static int Hash(int seed, string text)
    {
        unchecked
        {
            var h = (uint)seed ^ 2166136261;
            foreach (var c in text)
            {
                h = (h ^ c) * 16777619;
            }
            return (int)(h & 0x7fffffff);
        }
    }

    private sealed class CoinPath(double index, Random random)
    {
        public double Index { get; set; } = index;

        public Random Random { get; } = random;
    }

    /// <summary>One contract's history: generated backwards from its start on demand, plus the live record.</summary>
    private sealed class History(int seed, double startOi, double startPrice)
    {
        private readonly Random _random = new(seed);
        private readonly List<(double Oi, double Price)> _back = [(startOi, startPrice)];

        public Dictionary<long, (double Oi, double Price)> Live { get; } = [];

        public (double Oi, double Price) Back(int depth)
        {
            while (_back.Count <= depth)
            {
                var (oi, price) = _back[^1];
                _back.Add((oi / Paths.OiStep(_random, 300), price / Paths.PriceStep(_random, 300)));
            }
            return _back[depth];
        }
    }
}
