using System.ComponentModel.DataAnnotations;

namespace OiStream.Binance;

/// <summary>Where Binance is and how hard to use it (configuration section <c>OiStream:Binance</c>).</summary>
public sealed class BinanceOptions
{
    /// <summary>USDⓈ-M REST base.</summary>
    [Required]
    public Uri UsdmRest { get; set; } = new("https://fapi.binance.com");

    /// <summary>COIN-M REST base.</summary>
    [Required]
    public Uri CoinmRest { get; set; } = new("https://dapi.binance.com");

    /// <summary>Options REST base.</summary>
    [Required]
    public Uri OptionsRest { get; set; } = new("https://eapi.binance.com");

    /// <summary>USDⓈ-M WebSocket base (the <c>/market</c> route is appended).</summary>
    [Required]
    public Uri UsdmStream { get; set; } = new("wss://fstream.binance.com");

    /// <summary>COIN-M WebSocket base. Routing on dstream is unconfirmed; <c>/market</c> is what works on fstream.</summary>
    [Required]
    public Uri CoinmStream { get; set; } = new("wss://dstream.binance.com");

    /// <summary>Options WebSocket base (options streams live on fstream's <c>/market</c> route).</summary>
    [Required]
    public Uri OptionsStream { get; set; } = new("wss://fstream.binance.com");

    /// <summary>Track USDⓈ-M.</summary>
    public bool UsdM { get; set; } = true;

    /// <summary>Track COIN-M.</summary>
    public bool CoinM { get; set; } = true;

    /// <summary>Track options (per underlying and expiry).</summary>
    public bool Options { get; set; } = true;

    /// <summary>Only these symbols (empty: every TRADING contract).</summary>
    public IList<string> Symbols { get; set; } = [];

    /// <summary>Share of each weight limit the adapter may use (the rest is headroom for other clients on the IP).</summary>
    [Range(0.05, 1.0)]
    public double BudgetShare { get; set; } = 0.8;

    /// <summary>
    /// Every tracked instrument's OI is polled at least this often, if the weight budget allows; when it does not (too
    /// many instruments for the share), the poller stretches the interval evenly and says so in the log.
    /// </summary>
    public TimeSpan MaxOiAge { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Instruments with subscribers are polled this often.</summary>
    public TimeSpan HotOiInterval { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Requests in flight at once per API.</summary>
    [Range(1, 64)]
    public int PollConcurrency { get; set; } = 6;

    /// <summary>How much history to backfill at start (enough for the longest window plus margin).</summary>
    public TimeSpan Backfill { get; set; } = TimeSpan.FromHours(25);

    /// <summary>A socket with no message for this long is dead, even if open: reconnect.</summary>
    public TimeSpan StreamWatchdog { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect backoff starts here and doubles (with jitter) up to <see cref="ReconnectMax"/>.</summary>
    public TimeSpan ReconnectMin { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest reconnect backoff.</summary>
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sockets are rotated before Binance's 24 h cut.</summary>
    public TimeSpan StreamRotation { get; set; } = TimeSpan.FromHours(23.5);

    /// <summary>Timeout of one REST call.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A copy of these settings with every market's REST and WebSocket base pointed at one server (the simulator,
    /// which serves fapi, dapi, eapi and the stream routes on one port). Every other setting is kept as it is.
    /// </summary>
    public BinanceOptions PointedAt(Uri rest, Uri stream)
    {
        var copy = (BinanceOptions)MemberwiseClone();
        copy.Symbols = [.. Symbols];
        copy.UsdmRest = copy.CoinmRest = copy.OptionsRest = rest;
        copy.UsdmStream = copy.CoinmStream = copy.OptionsStream = stream;
        return copy;
    }
}
