using System.Diagnostics;
using System.Text;

namespace OiStream.Testing;

/// <summary>
/// A PostgreSQL server of the tests' own: Debian's <c>postgresql</c> binaries, a fresh cluster in a temporary
/// directory, listening on a free loopback port (nothing assumed about a system service). Run as root, the server runs
/// as the <c>postgres</c> user, which PostgreSQL requires. <c>OISTREAM_TEST_POSTGRES</c> (a connection string) points
/// the tests at a server that already runs instead.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string? _bin;
    private readonly string? _dir;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private PostgresServer(string connectionString, string? bin, string? dir, int port)
    {
        ConnectionString = connectionString;
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    /// <summary>An Npgsql connection string of a superuser of the server.</summary>
    public string ConnectionString { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>Creates a cluster and starts the server (or takes <c>OISTREAM_TEST_POSTGRES</c>'s).</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("OISTREAM_TEST_POSTGRES") is { Length: > 0 } given)
        {
            return new PostgresServer(given, null, null, 0);
        }
        var bin = FindBin();
        var dir = Directory.CreateTempSubdirectory("oistream-pg-").FullName;
        // The server's user (postgres, when the tests run as root) creates its data directory and socket in here.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        }
        var port = Ports.Free();
        var server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=oistream;Database=postgres;Timeout=5;Command Timeout=30", bin, dir, port);
        var init = await RunAsync(Command(bin, "initdb", "-D", Path.Combine(dir, "data"), "-U", "oistream", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"));
        if (init.Code != 0)
        {
            throw new InvalidOperationException($"initdb failed ({init.Code}): {init.Output}");
        }
        await server.StartServerAsync();
        return server;
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public async Task StartServerAsync()
    {
        if (_bin is null || _dir is null)
        {
            throw new InvalidOperationException("This server was given by OISTREAM_TEST_POSTGRES; the tests do not start or stop it.");
        }
        // After a kill, the old server's processes take a moment to let go of its shared memory, and a new postmaster
        // refuses to start until they have: try again until one starts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var process = Launch();
            var outcome = await Task.WhenAny(process.WaitForExitAsync(), Wait.UntilAsync(() => process.HasExited || Log.Contains("database system is ready to accept connections", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "PostgreSQL to accept connections"));
            await outcome;
            if (!process.HasExited)
            {
                _process = process;
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"postgres exited ({process.ExitCode}): {Log}");
            }
            process.Dispose();
            await Task.Delay(200);
        }
    }

    private Process Launch()
    {
        lock (_log)
        {
            _log.Clear();
        }
        var info = Command(_bin!, "postgres", "-D", Path.Combine(_dir!, "data"), "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _dir!,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=300");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info) ?? throw new InvalidOperationException("postgres did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Stops the server at once, as a crash would (<c>kill -9</c> of the postmaster and its processes).</summary>
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
            // The killed postmaster leaves its pid file; the next start checks that process is gone and goes on.
        }
    }

    /// <summary>What the server printed since it was last started.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a process on its way out; the temporary directory is the machine's to clear.
            }
            catch (UnauthorizedAccessException)
            {
                // Files of the server's own user, when the tests do not run as root.
            }
        }
    }

    private static string FindBin()
    {
        if (Environment.GetEnvironmentVariable("POSTGRES_BIN") is { Length: > 0 } bin)
        {
            return bin;
        }
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "These tests run PostgreSQL: install it (apt-get install -y postgresql; .ci/run does), or set POSTGRES_BIN to its bin directory, or OISTREAM_TEST_POSTGRES to a server's connection string.");
    }

    // PostgreSQL refuses to run as root: as root, the postgres user (made by Debian's package) runs it.
    private static ProcessStartInfo Command(string bin, string program, params string[] args)
    {
        var info = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser") : new ProcessStartInfo(Path.Combine(bin, program));
        if (Environment.IsPrivilegedProcess)
        {
            foreach (var a in new[] { "-u", "postgres", "--", Path.Combine(bin, program) })
            {
                info.ArgumentList.Add(a);
            }
        }
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.UseShellExecute = false;
        return info;
    }

    private static async Task<(int Code, string Output)> RunAsync(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await output + await error);
    }
}
