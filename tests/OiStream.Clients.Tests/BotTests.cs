using System.Diagnostics;
using System.Text.Json;

namespace OiStream.Clients.Tests;

/// <summary>The bot as a user runs it: a separate process against the real hub with the simulator.</summary>
public class BotTests(HubHost hub) : IClassFixture<HubHost>
{
    private static Task<(int Exit, string[] Out, string Err)> RunBotAsync(params string[] args) => RunBotAsync(null, args);

    internal static async Task<(int Exit, string[] Out, string Err)> RunBotAsync(Dictionary<string, string>? environment, params string[] args)
    {
        // The bot's build output sits next to this test's (a project reference).
        var dll = Path.Combine(AppContext.BaseDirectory, "OiStream.Bot.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        // The tests' own environment must not hand the bot a key.
        start.Environment.Remove("OISTREAM_API_KEY");
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The bot did not exit within 90 s. Its output: {await stdout} {await stderr}");
        }
        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    [Fact]
    public async Task In_json_mode_it_prints_one_update_per_line_snapshots_first_then_live_updates()
    {
        var (exit, lines, err) = await RunBotAsync("--url", hub.BaseUri.ToString(), "--json", "--limit", "6", "btcusdt", "ETHUSDT", "--coin", "BTC");

        Assert.True(exit == 0, err);
        var updates = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(updates.Count >= 6, $"{updates.Count} lines");
        var instruments = updates.Where(u => u.GetProperty("type").GetString() == "instrument").Select(u => u.GetProperty("data")).ToList();
        var coins = updates.Where(u => u.GetProperty("type").GetString() == "coin").Select(u => u.GetProperty("data")).ToList();
        Assert.Equal(["BTCUSDT", "ETHUSDT"], instruments.Take(2).Select(i => i.GetProperty("symbol").GetString()).Order());
        Assert.Equal("BTC", coins[0].GetProperty("coin").GetString());
        Assert.All(instruments, i => Assert.Equal("simulated", i.GetProperty("source").GetString()));
        Assert.All(instruments, i => Assert.Equal(JsonValueKind.Number, i.GetProperty("openInterestUsd").ValueKind));
        // Live updates follow the snapshots: some instrument's seq grows by one.
        var btc = instruments.Where(i => i.GetProperty("symbol").GetString() == "BTCUSDT").Select(i => i.GetProperty("seq").GetInt64()).ToList();
        var eth = instruments.Where(i => i.GetProperty("symbol").GetString() == "ETHUSDT").Select(i => i.GetProperty("seq").GetInt64()).ToList();
        Assert.True(btc.Count + eth.Count > 2, "live updates after the snapshots");
        Assert.All(new[] { btc, eth }, seqs => Assert.Equal(seqs.Select((s, k) => seqs[0] + k), seqs));
    }

    [Fact]
    public async Task An_unknown_symbol_a_hub_that_is_down_and_a_bad_url_get_clear_messages()
    {
        var unknown = await RunBotAsync("--url", hub.BaseUri.ToString(), "--json", "NOPEUSDT");
        Assert.Equal(2, unknown.Exit);
        Assert.StartsWith("Unknown symbol 'NOPEUSDT'", unknown.Err, StringComparison.Ordinal);
        Assert.Contains("/api/v1/instruments", unknown.Err, StringComparison.Ordinal);
        Assert.Empty(unknown.Out);

        var port = Ports.Free();
        var down = await RunBotAsync("--url", $"http://127.0.0.1:{port}", "BTCUSDT");
        Assert.Equal(3, down.Exit);
        Assert.Contains($"Could not connect to the OiStream hub at http://127.0.0.1:{port}/hubs/oi", down.Err, StringComparison.Ordinal);

        var bad = await RunBotAsync("--url", "localhost:5000", "BTCUSDT");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("'localhost:5000' is not a hub URL", bad.Err, StringComparison.Ordinal);
    }
}

/// <summary>The bot and the notifier against a hub that requires API keys.</summary>
public class KeyedClientTests(KeyedHubHost fixture) : IClassFixture<KeyedHubHost>
{
    [Fact]
    public async Task The_bot_is_told_it_needs_a_key_and_works_with_one_from_the_option_or_the_environment()
    {
        var hub = fixture.Host.BaseUri.ToString();
        var refused = await BotTests.RunBotAsync(null, "--url", hub, "--json", "--limit", "1", "BTCUSDT");
        Assert.Equal(3, refused.Exit);
        Assert.Contains("refused the connection (401): it requires an API key. Pass one of its keys (--api-key KEY, or OISTREAM_API_KEY).", refused.Err, StringComparison.Ordinal);

        var option = await BotTests.RunBotAsync(null, "--url", hub, "--api-key", KeyedHubHost.KeyB, "--json", "--limit", "1", "BTCUSDT");
        Assert.True(option.Exit == 0, option.Err);
        Assert.Contains("\"symbol\":\"BTCUSDT\"", option.Out[0], StringComparison.Ordinal);

        var environment = await BotTests.RunBotAsync(new() { ["OISTREAM_API_KEY"] = KeyedHubHost.KeyB }, "--url", hub, "--json", "--limit", "1", "BTCUSDT");
        Assert.True(environment.Exit == 0, environment.Err);

        var packed = await BotTests.RunBotAsync(null, "--url", hub, "--api-key", KeyedHubHost.KeyB, "--protocol", "MessagePack", "--json", "--limit", "2", "BTCUSDT");
        Assert.True(packed.Exit == 0, packed.Err);
        Assert.All(packed.Out, line => Assert.Contains("\"symbol\":\"BTCUSDT\"", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_notifier_subscribes_with_a_key()
    {
        var rules = """{ "sinks": { "out": { "type": "console" } }, "rules": [ { "name": "BTC", "symbol": "BTCUSDT", "when": "change.5m >= 50", "sinks": ["out"] } ] }""";
        var config = OiStream.Notifier.Rules.RuleFileParser.Parse(System.Text.Encoding.UTF8.GetBytes(rules), "rules.json", _ => null);
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        await using var runner = new OiStream.Notifier.NotifierRunner(config, fixture.Host.BaseUri, dryRun: true, loggers, TextWriter.Null, apiKey: KeyedHubHost.KeyB);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await runner.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await Wait.UntilAsync(() => runner.Evaluator.StatesSeen > 0, TimeSpan.FromSeconds(30), "states through the rules");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
