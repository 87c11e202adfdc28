using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OiStream.Binance;
using OiStream.Core.Engine;
using OiStream.Simulator;

namespace OiStream.Server.Configuration;

/// <summary>Configuration section <c>OiStream</c> (appsettings.json, <c>OISTREAM__…</c> variables, command line).</summary>
public sealed class OiStreamOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "OiStream";

    /// <summary>Start the built-in Binance simulator on loopback and use it instead of Binance (<c>--simulate</c>).</summary>
    public bool Simulate { get; set; }

    /// <summary>How often changed instruments are pushed: on average at most one update per symbol per interval, two back to back at most.</summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often overview subscribers get their batch of changed rows.</summary>
    public TimeSpan OverviewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When overview batches go out: <see cref="OverviewAlignment.Burst"/> (default) right after the market's
    /// once-a-second burst of mark prices is published, <see cref="OverviewAlignment.Grid"/> on a fixed grid.
    /// </summary>
    public OverviewAlignment OverviewAlignment { get; set; } = OverviewAlignment.Burst;

    /// <summary>Most symbols one connection may subscribe to.</summary>
    public int MaxSymbolsPerConnection { get; set; } = 200;

    /// <summary>
    /// How long one message to a client may stay unwritten (the client reads nothing) before the hub closes that
    /// connection with a logged reason (default 30 s). Until then, the client's updates are coalesced to the newest
    /// state of each thing it subscribed to; nobody else waits for it.
    /// </summary>
    public TimeSpan SlowClientCutAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most messages one slow client may have waiting after coalescing (signals, which are events and cannot be
    /// coalesced, and one state per subscribed thing); past it the connection is closed with a logged reason.
    /// </summary>
    public int MaxQueuedPerClient { get; set; } = 4096;

    /// <summary>
    /// The largest message a hub client may send, in bytes (default 1 MiB). A bigger one closes its connection with a
    /// reason; it must hold <see cref="MaxSymbolsPerConnection"/> symbols in one call (64 bytes each).
    /// </summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The transports the hub accepts (SignalR's <c>HttpTransportType</c> flags, e.g. <c>WebSockets, LongPolling</c>);
    /// default all three, so clients behind proxies that do not pass WebSockets fall back to the others.
    /// </summary>
    public Microsoft.AspNetCore.Http.Connections.HttpTransportType Transports { get; set; } =
        Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets | Microsoft.AspNetCore.Http.Connections.HttpTransportType.ServerSentEvents
        | Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;

    /// <summary>Capacity of the merged event channel; when full, the oldest event is dropped and counted.</summary>
    public int ChannelCapacity { get; set; } = 200_000;

    /// <summary>Which venues are ingested, and the Bybit and OKX endpoints and budgets (<c>OiStream:Exchanges</c>).</summary>
    public ExchangesOptions Exchanges { get; set; } = new();

    /// <summary>Binance endpoints and budget.</summary>
    public BinanceOptions Binance { get; set; } = new();

    /// <summary>Engine settings (windows, stale threshold, signals).</summary>
    public EngineOptions Engine { get; set; } = new();

    /// <summary>History storage (provider, path, retention).</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>This hub's part in a cluster (<c>OiStream:Cluster</c>).</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>Simulator settings, used with <see cref="Simulate"/>.</summary>
    public SimulatorOptions Simulator { get; set; } = new();
}

/// <summary>The venues (<c>OiStream:Exchanges:{Binance,Bybit,Okx}</c>); all three are on by default.</summary>
public sealed class ExchangesOptions
{
    /// <summary>Whether Binance is ingested (its endpoints and budget are under <c>OiStream:Binance</c>).</summary>
    public BinanceToggle Binance { get; set; } = new();

    /// <summary>Bybit v5 (linear and inverse).</summary>
    public Feeds.VenueOptions Bybit { get; set; } = new() { Rest = new Uri("https://api.bybit.com"), Stream = new Uri("wss://stream.bybit.com/v5/public") };

    /// <summary>OKX v5 (SWAP and FUTURES).</summary>
    public Feeds.VenueOptions Okx { get; set; } = new() { Rest = new Uri("https://openapi.okx.com"), Stream = new Uri("wss://ws.okx.com:8443/ws/v5/public") };

    /// <summary>The venues that are on, in display order.</summary>
    public IReadOnlyList<string> Enabled =>
        [.. new[] { (Core.Instruments.ExchangeIds.Binance, Binance.Enabled), (Core.Instruments.ExchangeIds.Bybit, Bybit.Enabled), (Core.Instruments.ExchangeIds.Okx, Okx.Enabled) }
            .Where(v => v.Item2).Select(v => v.Item1)];
}

/// <summary><c>OiStream:Exchanges:Binance</c>.</summary>
public sealed class BinanceToggle
{
    /// <summary>Whether Binance is ingested (default on).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>Checks the options at start-up; a bad value stops the process with a message naming the key.</summary>
internal sealed class OiStreamOptionsValidator : IValidateOptions<OiStreamOptions>
{
    public ValidateOptionsResult Validate(string? name, OiStreamOptions options)
    {
        var errors = new List<string>();
        // The attributes of the nested sections ([Range], [Required] on BinanceOptions…), named by their full key.
        foreach (var (section, value) in new (string, object)[] { ("Binance", options.Binance), ("Engine", options.Engine), ("Storage", options.Storage), ("Simulator", options.Simulator) })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => $"OiStream:{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }
        if (options.PublishInterval < TimeSpan.FromMilliseconds(10) || options.PublishInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"OiStream:PublishInterval is {options.PublishInterval}; use 00:00:00.010 to 00:01:00 (default 00:00:00.250).");
        }
        if (options.OverviewInterval < TimeSpan.FromMilliseconds(50) || options.OverviewInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"OiStream:OverviewInterval is {options.OverviewInterval}; use 00:00:00.050 to 00:01:00 (default 00:00:01).");
        }
        if (options.MaxSymbolsPerConnection is < 1 or > 10_000)
        {
            errors.Add($"OiStream:MaxSymbolsPerConnection is {options.MaxSymbolsPerConnection}; use 1 to 10000 (default 200).");
        }
        if (options.SlowClientCutAfter < TimeSpan.FromSeconds(1) || options.SlowClientCutAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"OiStream:SlowClientCutAfter is {options.SlowClientCutAfter}; use 00:00:01 to 01:00:00 (default 00:00:30).");
        }
        if (options.MaxQueuedPerClient < options.MaxSymbolsPerConnection + 64 || options.MaxQueuedPerClient > 1_000_000)
        {
            errors.Add($"OiStream:MaxQueuedPerClient is {options.MaxQueuedPerClient}; use {options.MaxSymbolsPerConnection + 64} (OiStream:MaxSymbolsPerConnection and 64) to 1000000 (default 4096).");
        }
        if (options.MaxMessageBytes < (options.MaxSymbolsPerConnection * 64) + 4096 || options.MaxMessageBytes > 64 * 1024 * 1024)
        {
            errors.Add($"OiStream:MaxMessageBytes is {options.MaxMessageBytes}; use {(options.MaxSymbolsPerConnection * 64) + 4096} (64 bytes for each of OiStream:MaxSymbolsPerConnection's {options.MaxSymbolsPerConnection} symbols, and 4096) to 67108864 (default 1048576).");
        }
        if (options.Transports == Microsoft.AspNetCore.Http.Connections.HttpTransportType.None)
        {
            errors.Add("OiStream:Transports is None; give at least one of WebSockets, ServerSentEvents, LongPolling (default all three).");
        }
        if (options.ChannelCapacity is < 1_000 or > 10_000_000)
        {
            errors.Add($"OiStream:ChannelCapacity is {options.ChannelCapacity}; use 1000 to 10000000.");
        }
        if (options.Binance.BudgetShare is < 0.05 or > 1)
        {
            errors.Add($"OiStream:Binance:BudgetShare is {options.Binance.BudgetShare}; use 0.05 to 1 (default 0.8).");
        }
        if (!options.Storage.IsSqlite && !options.Storage.IsPostgres)
        {
            errors.Add($"OiStream:Storage:Provider is '{options.Storage.Provider}'; use sqlite (the embedded store, the default) or postgres (a shared store, with OiStream:Storage:ConnectionString).");
        }
        if (!options.Cluster.IsStandalone && !options.Cluster.IsIngest && !options.Cluster.IsEdge)
        {
            errors.Add($"OiStream:Cluster:Role is '{options.Cluster.Role}'; use standalone (the default), ingest (a leader or a standby, with OiStream:Storage:Provider=postgres) or edge (serves the leader's publications, with OiStream:Cluster:Redis).");
        }
        if (options.Cluster.IsEdge && !options.Storage.IsPostgres)
        {
            errors.Add("OiStream:Cluster:Role is edge, which serves history from the leader's shared PostgreSQL store: set OiStream:Storage:Provider=postgres and OiStream:Storage:ConnectionString.");
        }
        if (options.Cluster.IsEdge && string.IsNullOrWhiteSpace(options.Cluster.Redis))
        {
            errors.Add("OiStream:Cluster:Role is edge, which follows the leader through Redis: set OiStream:Cluster:Redis, e.g. 127.0.0.1:6379 (the leader's ingest nodes need the same setting).");
        }
        if (options.Cluster.IsIngest && !options.Storage.IsPostgres)
        {
            errors.Add("OiStream:Cluster:Role is ingest, which needs the shared PostgreSQL store (its server holds the leader lease): set OiStream:Storage:Provider=postgres and OiStream:Storage:ConnectionString.");
        }
        if (options.Cluster.LeaseCheckInterval < TimeSpan.FromMilliseconds(100) || options.Cluster.LeaseCheckInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add($"OiStream:Cluster:LeaseCheckInterval is {options.Cluster.LeaseCheckInterval}; use 00:00:00.1 to 00:00:10 (default 00:00:01).");
        }
        if (options.Storage.IsPostgres && string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            errors.Add("OiStream:Storage:Provider is postgres but OiStream:Storage:ConnectionString is empty; give one, e.g. 'Host=127.0.0.1;Port=5432;Database=oistream;Username=oistream;Password=…'.");
        }
        if (options.Storage.MinuteRetention < TimeSpan.FromHours(1))
        {
            errors.Add($"OiStream:Storage:MinuteRetention is {options.Storage.MinuteRetention}; keep at least 01:00:00 (default 30.00:00:00).");
        }
        if (options.Storage.FiveMinuteRetention is { } five && five < options.Storage.WarmStart)
        {
            errors.Add($"OiStream:Storage:FiveMinuteRetention is {five}; keep at least OiStream:Storage:WarmStart ({options.Storage.WarmStart}), or leave it unset to keep them forever.");
        }
        if (options.Storage.ImportDays is < 0 or > 30)
        {
            errors.Add($"OiStream:Storage:ImportDays is {options.Storage.ImportDays}; use 0 (no import) to 30 (Binance keeps 30 days).");
        }
        if (options.Storage.ImportRequestsPer5Min is < 10 or > 800)
        {
            errors.Add($"OiStream:Storage:ImportRequestsPer5Min is {options.Storage.ImportRequestsPer5Min}; use 10 to 800 (Binance allows 1000 per 5 minutes per IP; default 400).");
        }
        if (options.Storage.QueueCapacity is < 1_000 or > 50_000_000)
        {
            errors.Add($"OiStream:Storage:QueueCapacity is {options.Storage.QueueCapacity}; use 1000 to 50000000 (default 500000).");
        }
        try
        {
            // The engine validates windows and signal thresholds itself, naming the key.
            _ = new MarketEngine(options.Engine);
        }
        catch (ArgumentException ex)
        {
            errors.Add("OiStream:Engine: " + ex.Message);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>When overview batches go out (<see cref="OiStreamOptions.OverviewAlignment"/>).</summary>
public enum OverviewAlignment
{
    /// <summary>
    /// Right after the first burst (a batch that updates a quarter of the instruments or more) once three quarters of
    /// the interval have passed; a quarter past the interval when no burst comes.
    /// </summary>
    Burst,

    /// <summary>On a fixed grid of <see cref="OiStreamOptions.OverviewInterval"/>, at whatever phase the hub started.</summary>
    Grid,
}
