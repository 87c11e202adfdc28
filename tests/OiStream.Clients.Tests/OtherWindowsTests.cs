using System.Text;
using Microsoft.Extensions.Logging;
using OiStream.Client;
using OiStream.Notifier;
using OiStream.Notifier.Rules;

namespace OiStream.Clients.Tests;

/// <summary>A hub configured with windows of its own: each .NET client reads them from the hub rather than assuming protocol v1's.</summary>
public sealed class OtherWindowsHub : IAsyncLifetime
{
    public HubHost Host { get; } = new()
    {
        Arguments = HubHost.Args("--OiStream:Engine:Windows:0=10m", "--OiStream:Engine:Windows:1=2h",
            "--OiStream:Engine:Signals:SpikeWindow=10m", "--OiStream:Engine:Signals:FlushWindow=10m", "--OiStream:Engine:Signals:DivergenceWindow=2h",
            "--OiStream:Engine:Signals:FundingWindow=2h"),
    };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

public class OtherWindowsTests(OtherWindowsHub fixture) : IClassFixture<OtherWindowsHub>
{
    [Fact]
    public async Task The_client_reads_the_hubs_windows_and_its_states_carry_them()
    {
        await using var client = new OiStreamClient(fixture.Host.BaseUri);
        await client.StartAsync();
        var info = await client.GetInfoAsync();
        Assert.Equal(["10m", "2h"], info.Windows);
        Assert.Equal(1, info.Protocol);
        Assert.Equal("simulated", info.Source);
        Assert.Equal(250, info.PublishIntervalMs);
        Assert.Equal(["neutral", "strongBullish", "weakeningRally", "strongBearish", "weakeningSelloff"], info.Signals);
        var btc = Assert.Single(await client.SubscribeAsync(["BTCUSDT"]));
        Assert.Equal(["10m", "2h"], btc.Change.Keys);
        Assert.Equal(["10m", "2h"], btc.PriceChange.Keys);
    }

    [Fact]
    public async Task The_bot_shows_the_hubs_windows()
    {
        var (exit, lines, err) = await BotTests.RunBotAsync(null, "--url", fixture.Host.BaseUri.ToString(), "--plain", "--limit", "2", "BTCUSDT");
        Assert.True(exit == 0, err);
        Assert.All(lines, l => Assert.Contains(" 10m ", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Contains(" 2h ", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain(" 5m ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_notifier_refuses_a_rule_on_a_window_the_hub_does_not_compute_naming_the_ones_it_does()
    {
        var rules = """{ "sinks": { "out": { "type": "console" } }, "rules": [ { "name": "BTC 5m", "symbol": "BTCUSDT", "when": "change.5m >= 50", "sinks": ["out"] } ] }""";
        var config = RuleFileParser.Parse(Encoding.UTF8.GetBytes(rules), "rules.json", _ => null);
        using var loggers = LoggerFactory.Create(_ => { });
        await using var runner = new NotifierRunner(config, fixture.Host.BaseUri, dryRun: true, loggers, TextWriter.Null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a runner that accepted the rule runs on
        var ex = await Assert.ThrowsAsync<RuleFileException>(() => runner.RunAsync(timeout.Token));
        Assert.Contains("rule 'BTC 5m' uses window 5m, which the hub at", ex.Message, StringComparison.Ordinal);
        Assert.Contains("it computes 10m, 2h.", ex.Message, StringComparison.Ordinal);
    }
}
