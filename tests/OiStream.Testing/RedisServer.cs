using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace OiStream.Testing;

/// <summary>
/// A Redis server of the tests' own: Debian's <c>redis-server</c> on a free loopback port, keeping nothing on disk
/// (so a restart starts empty, the hardest case for what follows it). <c>REDIS_SERVER</c> names another binary.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _binary;
    private Process? _process;

    private RedisServer(string binary, int port)
    {
        _binary = binary;
        Port = port;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts a server.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var binary = Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } given ? given : "/usr/bin/redis-server";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"These tests run Redis: install it (apt-get install -y redis-server; .ci/run does), or set REDIS_SERVER. Not found: {binary}");
        }
        var server = new RedisServer(binary, Ports.Free());
        await server.StartServerAsync();
        return server;
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on the same port, and waits until it answers.</summary>
    public async Task StartServerAsync()
    {
        var info = new ProcessStartInfo(_binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no" })
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited ({process.ExitCode}).");
            }
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "redis-server to listen");
    }

    /// <summary>Runs one command through <c>redis-cli</c> (installed with <c>redis-server</c>); returns its output.</summary>
    public async Task<string> CommandAsync(params string[] command)
    {
        var info = new ProcessStartInfo(Path.Combine(Path.GetDirectoryName(_binary)!, "redis-cli")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture) }.Concat(command))
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} failed ({p.ExitCode}): {await p.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Stops the server at once (<c>kill -9</c>).</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            await p.WaitForExitAsync();
            p.Dispose();
            _process = null;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync());
}
