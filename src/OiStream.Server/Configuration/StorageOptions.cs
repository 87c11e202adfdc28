namespace OiStream.Server.Configuration;

/// <summary>Configuration section <c>OiStream:Storage</c>: where history is kept and for how long.</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// The store: <c>sqlite</c> (embedded, the default; nothing to install) or <c>postgres</c> (one store shared by
    /// the nodes of a cluster; <see cref="ConnectionString"/> says where).
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The PostgreSQL connection string (Npgsql's form: <c>Host=…;Port=…;Database=…;Username=…;Password=…</c>), for <c>postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The PostgreSQL schema that holds the tables, created when missing (default <c>oistream</c>, and
    /// <c>oistream_simulated</c> with <c>--simulate</c>, so simulated history never lands in the real store).
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>Whether <see cref="Provider"/> is <c>sqlite</c>.</summary>
    public bool IsSqlite => string.Equals(Provider, "sqlite", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <see cref="Provider"/> is <c>postgres</c>.</summary>
    public bool IsPostgres => string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(Provider, "postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>The PostgreSQL schema in use for a hub that is or is not simulating.</summary>
    public string ResolveSchema(bool simulate) => string.IsNullOrWhiteSpace(Schema) ? (simulate ? "oistream_simulated" : "oistream") : Schema;

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
