using System.Diagnostics;
using System.Text.RegularExpressions;

namespace OiStream.Server.Tests;

/// <summary>The hub as an operating-system process of its own (for tests that kill it), with the embedded simulator.</summary>
internal sealed partial class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubProcess(Process process)
    {
        _process = process;
    }

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; } = new();

    /// <summary>Every line the hub wrote to standard output, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    /// <summary>Starts the built hub (the same configuration as this test assembly) and waits until it listens.</summary>
    public static Task<HubProcess> StartAsync(params string[] args) => StartAsync(defaultLogging: false, args);

    /// <summary>As <see cref="StartAsync(string[])"/>; with <paramref name="defaultLogging"/> the hub logs at its shipped levels.</summary>
    public static async Task<HubProcess> StartAsync(bool defaultLogging, params string[] args)
    {
        // Tests run from tests/<project>/bin/<Configuration>/<tfm>/; the hub was built to src/OiStream.Server/bin/<Configuration>/<tfm>/.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "OiStream.Server", "bin", configuration, tfm, "OiStream.Server.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var a in HubHost.Args(args).Where(a => !defaultLogging || !a.StartsWith("--Logging:", StringComparison.Ordinal)))
        {
            info.ArgumentList.Add(a);
        }
        // The listening address is logged at Information by the host's lifetime.
        info.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
        var hub = new HubProcess(Process.Start(info)!);
        hub._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }
            hub.Output.Enqueue(line);
            if (Listening().Match(line) is { Success: true } m)
            {
                hub._url.TrySetResult(new Uri(m.Groups[1].Value));
            }
        };
        hub._process.ErrorDataReceived += (_, _) => { };
        hub._process.BeginOutputReadLine();
        hub._process.BeginErrorReadLine();
        hub.BaseUri = await hub._url.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return hub;
    }

    /// <summary>The arguments that point a hub at the simulator for every venue: Binance's three markets, Bybit and OKX.</summary>
    public static string[] VenuesAt(OiStream.Simulator.SimulatorServer sim) =>
    [
        $"--OiStream:Exchanges:Bybit:Rest={sim.BaseUri}", $"--OiStream:Exchanges:Bybit:Stream={new Uri(sim.WebSocketUri, "/v5/public")}",
        $"--OiStream:Exchanges:Okx:Rest={sim.BaseUri}", $"--OiStream:Exchanges:Okx:Stream={new Uri(sim.WebSocketUri, "/ws/v5/public")}",
        $"--OiStream:Binance:UsdmRest={sim.BaseUri}", $"--OiStream:Binance:CoinmRest={sim.BaseUri}", $"--OiStream:Binance:OptionsRest={sim.BaseUri}",
        $"--OiStream:Binance:UsdmStream={sim.WebSocketUri}", $"--OiStream:Binance:CoinmStream={sim.WebSocketUri}", $"--OiStream:Binance:OptionsStream={sim.WebSocketUri}",
    ];

    public async Task WaitReadyAsync()
    {
        try
        {
            await Wait.UntilAsync(async () =>
            {
                try
                {
                    using var r = await Http.GetAsync(new Uri(BaseUri, "/readyz"));
                    return r.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), "/readyz of the hub process");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}. The hub wrote:\n{string.Join('\n', Output.TakeLast(40))}", ex);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
        Http.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
