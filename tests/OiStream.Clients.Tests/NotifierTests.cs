using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OiStream.Notifier;
using OiStream.Notifier.Rules;

namespace OiStream.Clients.Tests;

/// <summary>A hub whose signal events repeat every second while they hold, so the notifier's own cooldown is what keeps messages to one.</summary>
public sealed class SpikyHubHost : IAsyncLifetime
{
    public HubHost Host { get; } = new() { Arguments = HubHost.Args("--OiStream:Engine:Signals:EventCooldown=00:00:01") };

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

/// <summary>The notifier against the real hub with the simulator and a local webhook receiver.</summary>
public class NotifierTests(SpikyHubHost fixture) : IClassFixture<SpikyHubHost>
{
    private readonly HubHost _hub = fixture.Host;

    [Fact]
    public async Task An_injected_oi_spike_gives_exactly_one_message_per_rule_and_a_webhook_500_is_retried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailNext("/slack", 1);
        var rules = $$"""
            {
              "dashboardUrl": "{{_hub.BaseUri}}",
              "delivery": { "retries": 3, "firstDelay": "100ms" },
              "sinks": {
                "slack": { "type": "slack", "url": "{{receiver.BaseUri}}slack" },
                "discord": { "type": "discord", "url": "{{receiver.BaseUri}}discord" },
                "hook": { "type": "json", "url": "{{receiver.BaseUri}}hook" }
              },
              "rules": [
                { "name": "LINK jump", "symbol": "LINKUSDT", "when": "change.5m >= 10", "cooldown": "10m", "sinks": ["slack"] },
                { "name": "LINK spike", "symbol": "LINKUSDT", "signal": "oiSpike", "cooldown": "10m", "sinks": ["discord"] },
                { "name": "any spike", "symbol": "*", "signal": "oiSpike", "cooldown": "10m", "sinks": ["hook"] }
              ]
            }
            """;
        var config = RuleFileParser.Parse(Encoding.UTF8.GetBytes(rules), "rules.json", _ => null);
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        await using var runner = new NotifierRunner(config, _hub.BaseUri, dryRun: false, loggers, TextWriter.Null);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await runner.Ready.WaitAsync(TimeSpan.FromSeconds(30));

        await _hub.SimulatorAdminAsync("shock?symbol=LINKUSDT&percent=25");

        IEnumerable<JsonElement> Link(string path) => receiver.Accepted(path).Where(b => b.GetRawText().Contains("LINKUSDT", StringComparison.Ordinal));
        await Wait.UntilAsync(() => Link("/slack").Any() && Link("/discord").Any() && Link("/hook").Any(), TimeSpan.FromSeconds(60), "a message from each rule");
        // The hub repeats oiSpike every second while OI stays up, and every state keeps the condition true: wait for
        // several of those to pass through the rules, then check nothing more went out.
        var statesThen = runner.Evaluator.StatesSeen;
        await Wait.UntilAsync(() => runner.Evaluator.CooldownSuppressed >= 4 && runner.Evaluator.StatesSeen > statesThen + 20, TimeSpan.FromSeconds(60), "repeated spikes held back by the cooldown");

        Assert.Single(Link("/slack"));
        Assert.Single(Link("/discord"));
        Assert.Single(Link("/hook"));

        // The first Slack call got a 500 and was retried with the same message.
        Assert.Equal(2, receiver.Requests.Count(r => r.Path == "/slack"));
        Assert.Equal([500, 200], receiver.Requests.Where(r => r.Path == "/slack").Select(r => r.Status));
        Assert.Equal(0, runner.Queues["slack"].Failed);
        Assert.Equal(2, runner.Queues["slack"].Attempts);

        var slack = Link("/slack").Single().GetProperty("text").GetString()!;
        Assert.StartsWith("[SIMULATED] 📈 LINKUSDT OI +", slack, StringComparison.Ordinal);
        Assert.Contains(" in 5m — rule “LINK jump”: change.5m >= 10", slack, StringComparison.Ordinal);
        Assert.Contains($"{_hub.BaseUri}?symbol=LINKUSDT", slack, StringComparison.Ordinal);
        var discord = Link("/discord").Single().GetProperty("content").GetString()!;
        Assert.Contains("⚡ oiSpike LINKUSDT (5m)", discord, StringComparison.Ordinal);
        var hook = Link("/hook").Single();
        Assert.Equal("any spike", hook.GetProperty("rule").GetString());
        Assert.Equal("LINKUSDT", hook.GetProperty("subject").GetString());
        Assert.Equal("oiSpike", hook.GetProperty("trigger").GetString());
        Assert.Equal("simulated", hook.GetProperty("source").GetString());

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_webhook_that_keeps_failing_is_given_up_on_and_logged_with_the_text_while_other_sinks_go_on()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailNext("/down", int.MaxValue);
        var rules = $$"""
            {
              "delivery": { "retries": 2, "firstDelay": "50ms" },
              "sinks": { "down": { "type": "slack", "url": "{{receiver.BaseUri}}down" }, "up": { "type": "slack", "url": "{{receiver.BaseUri}}up" } },
              "rules": [ { "symbol": "DOTUSDT", "signal": "oiFlush", "cooldown": "10m" } ]
            }
            """;
        var config = RuleFileParser.Parse(Encoding.UTF8.GetBytes(rules), "rules.json", _ => null);
        var log = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Warning));
        await using var runner = new NotifierRunner(config, _hub.BaseUri, dryRun: false, loggers, TextWriter.Null);
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await runner.Ready.WaitAsync(TimeSpan.FromSeconds(30));

        await _hub.SimulatorAdminAsync("shock?symbol=DOTUSDT&percent=-30");

        await Wait.UntilAsync(() => runner.Queues["down"].Failed == 1 && receiver.Accepted("/up").Any(), TimeSpan.FromSeconds(60), "one delivery given up, the other sent");
        Assert.Equal(3, receiver.Count("/down")); // 1 attempt + 2 retries
        Assert.Contains(log.Lines, l => l.Contains("Sink 'down': gave up on the alert", StringComparison.Ordinal) && l.Contains("oiFlush DOTUSDT", StringComparison.Ordinal));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }
}

/// <summary>The notifier's queue between the hub callbacks and the rules.</summary>
public class NotifierQueueTests
{
    [Fact]
    public async Task Updates_pushed_out_of_a_full_queue_are_counted_and_logged_once_a_second_not_dropped_silently()
    {
        var rules = """{ "sinks": { "out": { "type": "console" } }, "rules": [ { "name": "BTC", "symbol": "BTCUSDT", "when": "change.5m >= 10", "sinks": ["out"] } ] }""";
        var config = RuleFileParser.Parse(Encoding.UTF8.GetBytes(rules), "rules.json", _ => null);
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var runner = new NotifierRunner(config, new Uri("http://127.0.0.1:1/"), dryRun: true, loggers, TextWriter.Null, clock, updateCapacity: 10);
        // Nothing reads while the runner is not started: the queue fills as it would behind rules that cannot keep up.
        for (var i = 0; i < 15; i++)
        {
            runner.Offer(RuleEvaluatorTests.State("BTCUSDT", 1));
        }
        Assert.Equal(5, runner.DroppedUpdates);
        var line = Assert.Single(logs.Lines);
        Assert.Equal("The rules could not keep up: 1 updates dropped so far (queue of 10 full). Fewer or simpler rules, or a notifier per group of rules, keep up", line);
        clock.Advance(TimeSpan.FromSeconds(1));
        runner.Offer(RuleEvaluatorTests.State("BTCUSDT", 1));
        Assert.Equal(6, runner.DroppedUpdates);
        Assert.Equal(2, logs.Lines.Count);
        Assert.Contains("6 updates dropped so far", logs.Lines[^1], StringComparison.Ordinal);
    }
}
