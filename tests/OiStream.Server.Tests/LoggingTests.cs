using System.Net.Http.Json;
using System.Text.Json;

namespace OiStream.Server.Tests;

/// <summary>The log levels the hub ships with (src/OiStream.Server/appsettings.json).</summary>
public sealed class LoggingTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oistream-logging-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task At_the_shipped_log_levels_a_hub_that_polls_hundreds_of_times_writes_almost_nothing()
    {
        await using var hub = await HubProcess.StartAsync(defaultLogging: true, "--OiStream:Storage:Path=" + Path.Combine(_dir, "h.db"), "--OiStream:Storage:ImportDays=0");
        await hub.WaitReadyAsync();
        async Task<long> Polls() => (await hub.Http.GetFromJsonAsync<JsonElement>(new Uri(hub.BaseUri, "/api/v1/status"))).GetProperty("polling").GetProperty("polls").GetInt64();
        var lines = hub.Output.Count;
        var polls = await Polls();
        // Each poll is an HTTP request to the (simulated) exchange: at Information, two lines each.
        await Wait.UntilAsync(async () => await Polls() >= polls + 100, TimeSpan.FromSeconds(90), "100 more OI polls");
        var written = hub.Output.Skip(lines).ToList();
        Assert.DoesNotContain(written, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.True(written.Sum(l => l.Length + 1) < 2_000, $"{written.Count} lines while idle:\n{string.Join('\n', written.Take(20))}");
    }

    [Fact]
    public async Task A_clients_bad_input_is_one_information_line_without_a_stack_trace()
    {
        await using var hub = await HubProcess.StartAsync(defaultLogging: true, "--OiStream:Storage:Path=" + Path.Combine(_dir, "h.db"), "--OiStream:Storage:ImportDays=0");
        await hub.WaitReadyAsync();
        await using var client = new OiStream.Client.OiStreamClient(new Uri(hub.BaseUri, "/hubs/oi"));
        await client.StartAsync();
        var lines = hub.Output.Count;
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => client.SubscribeAsync(["NOPE" + i]));
        }
        await Wait.UntilAsync(() => hub.Output.Skip(lines).Count(l => l.Contains("HubBadInput", StringComparison.Ordinal) || l.Contains("refused: Unknown symbol", StringComparison.Ordinal)) >= 5,
            TimeSpan.FromSeconds(30), "a log line per refused call");
        var written = hub.Output.Skip(lines).ToList();
        Assert.DoesNotContain(written, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Equal(5, written.Count(l => l.Contains("refused: Unknown symbol 'NOPE", StringComparison.Ordinal)));
        Assert.Equal(5, written.Count(l => l.StartsWith("info: OiStream.Server.Hubs.InvocationLogFilter", StringComparison.Ordinal)));
    }
}
