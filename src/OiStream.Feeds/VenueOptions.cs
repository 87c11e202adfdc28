using System.ComponentModel.DataAnnotations;

namespace OiStream.Feeds;

/// <summary>Settings of one pushing venue (section <c>OiStream:Exchanges:Bybit</c> or <c>…:Okx</c>).</summary>
public sealed class VenueOptions
{
    /// <summary>Whether the venue is ingested (default on).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>REST base (Bybit <c>https://api.bybit.com</c>, OKX <c>https://openapi.okx.com</c>).</summary>
    [Required]
    public Uri? Rest { get; set; }

    /// <summary>Public WebSocket base (Bybit <c>wss://stream.bybit.com/v5/public</c>, OKX <c>wss://ws.okx.com:8443/ws/v5/public</c>).</summary>
    [Required]
    public Uri? Stream { get; set; }

    /// <summary>Share of the venue's REST limit this hub may use, in percent (the rest is left for other tools on the same IP).</summary>
    [Range(1, 100)]
    public int BudgetPercent { get; set; } = 50;

    /// <summary>History fetched at start (five-minute rows) so every change window is covered at once.</summary>
    public TimeSpan Backfill { get; set; } = TimeSpan.FromHours(25);

    /// <summary>Silence on a socket after which it is declared dead and replaced.</summary>
    public TimeSpan StreamSilence { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>While a socket is down, the venue's REST snapshot is polled this often instead.</summary>
    public TimeSpan FallbackPoll { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Venue symbols to track (e.g. <c>BTCUSDT</c>, <c>BTC-USDT-SWAP</c>); empty: every listed contract.</summary>
    public IList<string> Symbols { get; } = [];

    /// <summary>First reconnect delay.</summary>
    public TimeSpan ReconnectMin { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A copy pointed at a simulator (REST and WebSocket at its address).</summary>
    public VenueOptions PointedAt(Uri rest, Uri stream)
    {
        var copy = (VenueOptions)MemberwiseClone();
        copy.Rest = rest;
        copy.Stream = stream;
        return copy;
    }
}
