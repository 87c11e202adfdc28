using OiStream.Simulator.Admin;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;
using OiStream.Simulator.Streams;
using OiStream.Simulator.Venues;

namespace OiStream.Simulator;

/// <summary>
/// A running simulator: standalone (<c>Program</c>) or embedded in another process (the hub's <c>--simulate</c>, tests).
/// Listens on loopback only.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    /// <summary>REST base, e.g. <c>http://127.0.0.1:5099</c> (serves Binance's fapi, dapi, eapi paths, Bybit's <c>/v5</c> and OKX's <c>/api/v5</c>).</summary>
    public Uri BaseUri { get; }

    /// <summary>WebSocket base, e.g. <c>ws://127.0.0.1:5099</c> (serves <c>/market/ws</c>, <c>/market/stream</c>).</summary>
    public Uri WebSocketUri => new UriBuilder(BaseUri) { Scheme = "ws" }.Uri;

    /// <summary>The market, for tests that read ground truth directly.</summary>
    public SimMarket Market => _app.Services.GetRequiredService<SimMarket>();

    /// <summary>Injected faults and counters.</summary>
    public Faults Faults => _app.Services.GetRequiredService<Faults>();

    /// <summary>The Bybit face of the market.</summary>
    public BybitSimulator Bybit => _app.Services.GetRequiredService<BybitSimulator>();

    /// <summary>The OKX face of the market.</summary>
    public OkxSimulator Okx => _app.Services.GetRequiredService<OkxSimulator>();

    /// <summary>The WebSocket side.</summary>
    public StreamHub Streams => _app.Services.GetRequiredService<StreamHub>();

    /// <summary>Starts a simulator on <c>127.0.0.1:<paramref name="port"/></c> (0 picks a free port).</summary>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, int port = 0, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Embedded in a host that has its own configuration: no appsettings.json or variable of the working directory
        // may turn this simulator's lifetime lines on (its "Now listening on" would read as the host's address).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        Configure(builder, options);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        MapAll(app);
        await app.StartAsync(cancellationToken);
        var address = app.Urls.First();
        return new SimulatorServer(app, new Uri(address));
    }

    /// <summary>Registers the simulator's services.</summary>
    public static void Configure(WebApplicationBuilder builder, SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Faults>();
        builder.Services.AddSingleton(sp => new SimMarket(options, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<WeightLimiter>();
        builder.Services.AddSingleton<StreamHub>();
        builder.Services.AddSingleton<BybitSimulator>();
        builder.Services.AddSingleton<OkxSimulator>();
        builder.Services.AddHostedService<MarketClock>();
    }

    /// <summary>Maps every route.</summary>
    public static void MapAll(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWebSockets();
        app.MapBinanceRest();
        StreamHub.Map(app);
        app.Services.GetRequiredService<BybitSimulator>().Map(app);
        app.Services.GetRequiredService<OkxSimulator>().Map(app);
        app.MapSimulatorAdmin();
        app.MapVenueAdmin();
        app.MapGet("/", () => Results.Text(
            "OiStream exchange simulator. Binance: fapi/dapi/eapi REST, /market/ws and /market/stream. Bybit: /v5/market/*, /v5/public/{linear,inverse}. " +
            "OKX: /api/v5/*, /ws/v5/public. Faults and ground truth under /admin. All data here is simulated.\n"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
