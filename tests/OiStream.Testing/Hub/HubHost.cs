using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using OiStream.Server;
using OiStream.Server.Pipeline;

namespace OiStream.Testing;

/// <summary>The real hub on real Kestrel (127.0.0.1:0) with the embedded simulator, ready to serve.</summary>
public sealed class HubHost : IAsyncLifetime
{
    private WebApplication? _app;
    private bool _ownsStore;

    public Uri BaseUri { get; private set; } = null!;

    public Uri HubUri => new(BaseUri, "/hubs/oi");

    public HttpClient Http { get; } = new();

    public FeedHost Feeds => (FeedHost)_app!.Services.GetService(typeof(FeedHost))!;

    /// <summary>A service of the running hub.</summary>
    public T Service<T>() where T : notnull => (T)_app!.Services.GetService(typeof(T))!;

    /// <summary>Extra configuration of a test class (e.g. a short stale threshold).</summary>
    public static string[] Args(params string[] extra) =>
    [
        "--simulate", "--urls", "http://127.0.0.1:0",
        "--OiStream:Simulator:UsdmCoins=30", "--OiStream:Simulator:CoinmCoins=4", "--OiStream:Simulator:BybitCoins=12", "--OiStream:Simulator:OkxCoins=12",
        "--OiStream:MaxSymbolsPerConnection=6", "--Logging:LogLevel:Default=Warning",
        "--OiStream:Storage:ImportDays=0", // the history tests turn the import on; elsewhere it would spend the budget tests count
        .. extra,
    ];

    public string[] Arguments { get; init; } = Args();

    /// <summary>Changes to the hub's services before it is built (a test's fault injection).</summary>
    public Action<WebApplicationBuilder>? Configure { get; init; }

    /// <summary>The history store: a file of this host's own unless the arguments name one.</summary>
    public string StorePath { get; } = Path.Combine(Path.GetTempPath(), "oistream-test-" + Guid.NewGuid().ToString("N"), "history.db");

    /// <summary>The API key this host's <see cref="Http"/> sends (a host started with keys needs one).</summary>
    public string? ApiKey { get; init; }

    public async Task InitializeAsync()
    {
        if (ApiKey is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        }
        _ownsStore = !Arguments.Any(a => a.StartsWith("--OiStream:Storage:Path=", StringComparison.Ordinal));
        var args = _ownsStore ? [.. Arguments, "--OiStream:Storage:Path=" + StorePath] : Arguments;
        _app = OiStreamApp.Build(args, Configure);
        await _app.StartAsync();
        BaseUri = new Uri(_app.Urls.First());
        await Wait.UntilAsync(async () =>
        {
            using var response = await Http.GetAsync(new Uri(BaseUri, "/readyz"));
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60), "/readyz");
    }

    /// <summary>Injects a fault into the embedded simulator.</summary>
    public async Task SimulatorAdminAsync(string pathAndQuery)
    {
        using var response = await Http.PostAsync(new Uri(Feeds.SimulatorUri!, "/admin/" + pathAndQuery), null);
        response.EnsureSuccessStatusCode();
    }

    public Task<T?> GetJsonAsync<T>(string path) => Http.GetFromJsonAsync<T>(new Uri(BaseUri, path));

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_ownsStore && Directory.Exists(Path.GetDirectoryName(StorePath)))
        {
            Directory.Delete(Path.GetDirectoryName(StorePath)!, recursive: true);
        }
    }
}

/// <summary>A second host for tests that inject faults, with a short stale threshold.</summary>
public sealed class FaultHubHost : IAsyncLifetime
{
    public HubHost Host { get; } = new() { Arguments = HubHost.Args("--OiStream:Engine:StaleAfter=00:00:04", "--OiStream:Binance:MaxOiAge=00:00:02", "--OiStream:Binance:StreamWatchdog=00:00:03") };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}
