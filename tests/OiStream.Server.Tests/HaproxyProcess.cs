using System.Diagnostics;
using System.Text;

namespace OiStream.Server.Tests;

/// <summary>
/// The repository's <c>deploy/haproxy.cfg</c> run by Debian's HAProxy (<c>HAPROXY_PATH</c> names another), with the
/// test's own ports in place of the file's 5000 (the front) and 5001, 5002 (the two nodes).
/// </summary>
internal sealed class HaproxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly StringBuilder _log = new();

    private HaproxyProcess(Process process, DirectoryInfo dir, Uri front)
    {
        _process = process;
        _dir = dir;
        Front = front;
    }

    /// <summary>The one URL clients use.</summary>
    public Uri Front { get; }

    /// <summary>Starts HAProxy in front of the two nodes' ports and waits until a node is ready through it.</summary>
    public static async Task<HaproxyProcess> StartAsync(int node1, int node2)
    {
        var path = Environment.GetEnvironmentVariable("HAPROXY_PATH") ?? "/usr/sbin/haproxy";
        Assert.True(File.Exists(path), $"This test runs HAProxy: install it (apt-get install -y haproxy; .ci/run does), or set HAPROXY_PATH. Not found: {path}");
        var front = Ports.Free();
        var root = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var config = (await File.ReadAllTextAsync(Path.Combine(root, "deploy", "haproxy.cfg")))
            .Replace("127.0.0.1:5000", $"127.0.0.1:{front}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5001", $"127.0.0.1:{node1}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", $"127.0.0.1:{node2}", StringComparison.Ordinal);
        var dir = Directory.CreateTempSubdirectory("oistream-haproxy-");
        var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
        await File.WriteAllTextAsync(cfg, config);
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", cfg, "-db" })
        {
            info.ArgumentList.Add(a);
        }
        var haproxy = new HaproxyProcess(Process.Start(info)!, dir, new Uri($"http://127.0.0.1:{front}"));
        haproxy._process.OutputDataReceived += (_, e) => haproxy.Append(e.Data);
        haproxy._process.ErrorDataReceived += (_, e) => haproxy.Append(e.Data);
        haproxy._process.BeginOutputReadLine();
        haproxy._process.BeginErrorReadLine();
        using var http = new HttpClient();
        await Wait.UntilAsync(async () =>
        {
            Assert.False(haproxy._process.HasExited, "HAProxy exited: " + haproxy.Log);
            try
            {
                using var r = await http.GetAsync(new Uri(haproxy.Front, "/readyz"));
                return r.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "a node ready through HAProxy");
        return haproxy;
    }

    private string Log
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
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _dir.Delete(recursive: true);
    }
}
