using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OiStream.LoadTests;

/// <summary>The built hub (Release) as a process of its own, with the simulator embedded and a history store of its own.</summary>
internal sealed partial class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private HubProcess(Process process, Uri url, string store)
    {
        _process = process;
        Url = url;
        StorePath = store;
    }

    public Uri Url { get; }

    public string StorePath { get; }

    public HttpClient Http { get; } = new();

    public int Id => _process.Id;

    /// <summary>Starts the hub on its embedded simulator; <paramref name="store"/> null gives it a fresh store file.</summary>
    public static Task<HubProcess> StartAsync(string? store, params string[] args) => StartAsync(store, simulate: true, args);

    /// <summary>Starts the hub, without <c>--simulate</c> when <paramref name="simulate"/> is false (the arguments then say where Binance is).</summary>
    public static async Task<HubProcess> StartAsync(string? store, bool simulate, string[] args)
    {
        var dll = Path.Combine(FindRoot(), "src/OiStream.Server/bin/Release/net10.0/OiStream.Server.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the hub first: dotnet build -c Release src/OiStream.Server ({dll} is missing).");
        }
        store ??= Path.Combine(Path.GetTempPath(), "oistream-load-" + Guid.NewGuid().ToString("N"), "history.db");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, simulate ? "--simulate" : "--OiStream:Simulate=false", "--urls", "http://127.0.0.1:0", "--OiStream:Storage:Path=" + store, "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            // Every load client comes from 127.0.0.1: one client to the per-client limits, which must not cap the load.
            "--OiStream:Security:ConnectionsPerClient=1000000", "--OiStream:Security:RequestsPerSecond=100000", "--OiStream:Security:RequestBurst=1000000" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }
        return await LaunchAsync(info, store);
    }

    /// <summary>
    /// Starts the bare SignalR hub of <see cref="BareHub"/> (this harness's own executable) as its own process, the
    /// baseline the fan-out harness compares OiStream with; given <paramref name="ticks"/> (a simulator's WebSocket root),
    /// its bursts follow the simulator's mark-price frames and carry their tick time.
    /// </summary>
    public static Task<HubProcess> StartBareAsync(int groups, int payloadBytes, int values, Uri? ticks = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(HubProcess).Assembly.Location, "bare-hub", "--groups", groups.ToString(CultureInfo.InvariantCulture),
            "--payload", payloadBytes.ToString(CultureInfo.InvariantCulture), "--values", values.ToString(CultureInfo.InvariantCulture), "--urls", "http://127.0.0.1:0" })
        {
            info.ArgumentList.Add(a);
        }
        if (ticks is not null)
        {
            info.ArgumentList.Add("--ticks");
            info.ArgumentList.Add(ticks.ToString());
        }
        return LaunchAsync(info, "");
    }

    /// <summary>The built standalone Binance simulator (Release) as a process of its own.</summary>
    public static Task<HubProcess> StartSimulatorAsync()
    {
        var dll = Path.Combine(FindRoot(), "src/OiStream.Simulator/bin/Release/net10.0/OiStream.Simulator.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the simulator first: dotnet build -c Release src/OiStream.Simulator ({dll} is missing).");
        }
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--urls", "http://127.0.0.1:0" })
        {
            info.ArgumentList.Add(a);
        }
        return LaunchAsync(info, "");
    }

    private static async Task<HubProcess> LaunchAsync(ProcessStartInfo info, string store)
    {
        var process = Process.Start(info)!;
        var urlSource = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Listening().Match(line) is { Success: true } m)
            {
                urlSource.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = await urlSource.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new HubProcess(process, new Uri(url), store);
    }

    /// <summary>The arguments that point a hub at a Binance (or a simulator standing in for it) at these URLs.</summary>
    public static string[] VenuesAt(string rest, string ws) =>
    [
        // The simulator serves every venue at one address.
        $"--OiStream:Exchanges:Bybit:Rest={rest}", $"--OiStream:Exchanges:Bybit:Stream={ws}/v5/public",
        $"--OiStream:Exchanges:Okx:Rest={rest}", $"--OiStream:Exchanges:Okx:Stream={ws}/ws/v5/public",
        $"--OiStream:Binance:UsdmRest={rest}", $"--OiStream:Binance:CoinmRest={rest}", $"--OiStream:Binance:OptionsRest={rest}",
        $"--OiStream:Binance:UsdmStream={ws}", $"--OiStream:Binance:CoinmStream={ws}", $"--OiStream:Binance:OptionsStream={ws}",
    ];

    /// <summary>Waits for <c>/readyz</c>; returns how long that took from now.</summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await Http.GetAsync(new Uri(Url, "/readyz"))).IsSuccessStatusCode)
                {
                    return sw.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"The hub did not become ready within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(100);
        }
    }

    public Task<JsonElement> StatusAsync() => Http.GetFromJsonAsync<JsonElement>(new Uri(Url, "/api/v1/status"));

    /// <summary>CPU time (user + system) the hub process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public double RssMiB()
    {
        var kb = File.ReadAllLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Http.Dispose();
    }

    public static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OiStream.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("Run from inside the OiStream repository.");
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
