namespace OiStream.Simulator;

/// <summary>Settings of the simulator (section <c>Simulator</c> when run standalone).</summary>
public sealed class SimulatorOptions
{
    /// <summary>Seed of every random path: the same seed gives the same market.</summary>
    public int Seed { get; set; } = 20261121;

    /// <summary>USDⓈ-M coins with a USDT perpetual (BTC and ETH included).</summary>
    public int UsdmCoins { get; set; } = 300;

    /// <summary>COIN-M coins with a perpetual (BTC and ETH also get two quarterlies).</summary>
    public int CoinmCoins { get; set; } = 20;

    /// <summary>Coins with a Bybit USDT perpetual (the first ten also get a USDC and an inverse perpetual).</summary>
    public int BybitCoins { get; set; } = 300;

    /// <summary>Coins with an OKX USDT swap (the first ten also get a USDC and an inverse swap).</summary>
    public int OkxCoins { get; set; } = 300;

    /// <summary>Bybit REST requests per IP in any 5 s (Bybit: 600); one more answers 403 and bans the IP.</summary>
    public int BybitRequestsPer5s { get; set; } = 600;

    /// <summary>How long Bybit's 403 ban lasts (Bybit: at least 10 min).</summary>
    public TimeSpan BybitBanDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Seconds between OKX <c>open-interest</c> pushes of an instrument whose OI changed (OKX: 3).</summary>
    public int OkxOpenInterestSeconds { get; set; } = 3;

    /// <summary>Whether to list BTC and ETH options.</summary>
    public bool Options { get; set; } = true;

    /// <summary>Request weight per minute per API family (fapi, dapi, eapi), as Binance's REQUEST_WEIGHT 1m.</summary>
    public int WeightPerMinute { get; set; } = 2400;

    /// <summary>Requests per 5 minutes to <c>/futures/data/*</c>.</summary>
    public int FuturesDataPer5Min { get; set; } = 1000;

    /// <summary>How long an IP is banned (418) for requesting on after a 429.</summary>
    public TimeSpan BanDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often options open interest is pushed (Binance: 60 s).</summary>
    public TimeSpan OptionsOpenInterestInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The server pings every this long (Binance: 3 min).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>A connection that sends no pong for this long is dropped (Binance: 10 min).</summary>
    public TimeSpan PongTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Connections are closed after this long (Binance: 24 h).</summary>
    public TimeSpan MaxConnectionAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Days of 5-minute history served by <c>openInterestHist</c> (Binance: about 30).</summary>
    public int HistoryDays { get; set; } = 30;
}
