namespace OiStream.Server.Configuration;

/// <summary>Configuration section <c>OiStream:Storage</c>: where history is kept and for how long.</summary>
public sealed class StorageOptions
{
    /// <summary>The store: <c>sqlite</c> (embedded, the default; nothing to install).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// The SQLite file. Default <c>data/oistream.db</c> under the working directory, and <c>data/oistream-simulated.db</c>
    /// with <c>--simulate</c>, so simulated history never lands in the real store.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>How long one-minute candles are kept (default 30 days).</summary>
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long five-minute candles (and every coarser interval, rolled up from them) are kept; unset = forever.</summary>
    public TimeSpan? FiveMinuteRetention { get; set; }

    /// <summary>Candles that may wait for the store (a slow, full or read-only disk); beyond it they are dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 500_000;

    /// <summary>How far back the engine's windows are loaded from the store at start (the longest window plus an hour).</summary>
    public TimeSpan WarmStart { get; set; } = TimeSpan.FromHours(25);

    /// <summary>
    /// Days of exchange history (five-minute rows) to import into the store, and to keep free of holes; 0 turns the
    /// import off. Binance keeps 30.
    /// </summary>
    public int ImportDays { get; set; } = 30;

    /// <summary>
    /// Most <c>/futures/data</c> requests the import makes per 5 minutes: a share of Binance's 1000 per IP, leaving the
    /// rest to the hub's own start-up backfill.
    /// </summary>
    public int ImportRequestsPer5Min { get; set; } = 400;

    /// <summary>The path in use for a hub that is or is not simulating.</summary>
    public string ResolvePath(bool simulate) => string.IsNullOrWhiteSpace(Path)
        ? System.IO.Path.Combine("data", simulate ? "oistream-simulated.db" : "oistream.db")
        : Path;
}
