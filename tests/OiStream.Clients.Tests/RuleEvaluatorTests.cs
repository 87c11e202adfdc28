using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OiStream.Contracts;
using OiStream.Notifier.Alerts;
using OiStream.Notifier.Rules;
using OiStream.Notifier.Sinks;

namespace OiStream.Clients.Tests;

/// <summary>When an update becomes an alert: edges, de-duplication, cooldowns, and the global rate cap.</summary>
public class RuleEvaluatorTests
{
    private const long T0 = 1_763_712_000_000;

    private static NotifierConfig Config(string rules, string extra = "") => RuleFileParser.Parse(Encoding.UTF8.GetBytes($$"""
        { "dashboardUrl": "http://127.0.0.1:5000/", {{extra}} "sinks": { "log": { "type": "console" } }, "rules": [ {{rules}} ] }
        """), "rules.json", _ => null);

    internal static InstrumentState State(string symbol, double change5m, string quadrant1h = "neutral", string source = "simulated") => new()
    {
        Symbol = symbol,
        Market = "usdm",
        Coin = symbol.Replace("USDT", "", StringComparison.Ordinal),
        Margin = "stable",
        ContractType = "PERPETUAL",
        OpenInterest = 1000,
        OpenInterestUsd = 2_500_000,
        MarkPrice = 2500,
        FundingRate = 0.0001,
        Change = new Dictionary<string, double?> { ["5m"] = change5m, ["1h"] = 0.1 },
        ChangeUsd = new Dictionary<string, double?> { ["5m"] = change5m },
        PriceChange = new Dictionary<string, double?> { ["5m"] = 0.0 },
        Signal = new Dictionary<string, string?> { ["1h"] = quadrant1h },
        Source = source,
    };

    private static SignalEvent Spike(string symbol, long time) => new()
    {
        Kind = "oiSpike",
        Symbol = symbol,
        Coin = "ETH",
        Window = "5m",
        Change = 4.2,
        Time = time,
        Message = $"{symbol} OI +4.20 % in 5m",
        Source = "binance",
    };

    [Fact]
    public void A_condition_fires_when_it_starts_to_hold_not_while_it_keeps_holding_and_respects_the_cooldown()
    {
        var clock = new ManualClock(T0);
        var evaluator = new RuleEvaluator(Config("""{ "name": "eth jump", "symbol": "ETHUSDT", "when": "change.5m >= 1.5", "cooldown": "10m" }"""), clock);

        Assert.Empty(evaluator.OnInstrument(State("ETHUSDT", 1.0)));
        var first = Assert.Single(evaluator.OnInstrument(State("ETHUSDT", 2.0)));
        Assert.Equal("eth jump", first.Rule);
        Assert.Equal(2.0, first.Value);
        Assert.Contains("ETHUSDT OI +2.00 % in 5m", first.Text, StringComparison.Ordinal);
        Assert.StartsWith("[SIMULATED] ", first.Text, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:5000/?symbol=ETHUSDT", first.Text, StringComparison.Ordinal);

        clock.Now += 1_000;
        Assert.Empty(evaluator.OnInstrument(State("ETHUSDT", 3.0))); // still the same episode
        Assert.Empty(evaluator.OnInstrument(State("BTCUSDT", 9.0))); // not a symbol of the rule

        evaluator.OnInstrument(State("ETHUSDT", 0.5)); // the episode ends
        clock.Now += 60_000;
        Assert.Empty(evaluator.OnInstrument(State("ETHUSDT", 2.5))); // a new episode inside the cooldown
        Assert.Equal(1, evaluator.CooldownSuppressed);

        evaluator.OnInstrument(State("ETHUSDT", 0.5));
        clock.Now += 10 * 60_000;
        Assert.Single(evaluator.OnInstrument(State("ETHUSDT", 2.5))); // after the cooldown
    }

    [Fact]
    public void A_quadrant_condition_and_a_wildcard_symbol()
    {
        var evaluator = new RuleEvaluator(Config("""{ "symbol": "*", "when": "signal.1h == strongBearish" }"""), new ManualClock(T0));
        Assert.Empty(evaluator.OnInstrument(State("SOLUSDT", 0, "neutral")));
        var alert = Assert.Single(evaluator.OnInstrument(State("SOLUSDT", 0, "strongBearish")));
        Assert.Contains("SOLUSDT 1h is strongBearish (price ↓ OI ↑: new shorts)", alert.Text, StringComparison.Ordinal);
        Assert.Single(evaluator.OnInstrument(State("XRPUSDT", 0, "strongBearish")));
    }

    [Fact]
    public void A_signal_rule_fires_once_per_cooldown_per_symbol()
    {
        var clock = new ManualClock(T0);
        var evaluator = new RuleEvaluator(Config("""{ "symbol": "*", "signal": "oiSpike", "cooldown": "30m" }"""), clock);
        var alert = Assert.Single(evaluator.OnSignal(Spike("ETHUSDT", T0)));
        Assert.Contains("⚡ oiSpike ETHUSDT (5m): ETHUSDT OI +4.20 % in 5m", alert.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("[SIMULATED]", alert.Text, StringComparison.Ordinal);
        clock.Now += 60_000;
        Assert.Empty(evaluator.OnSignal(Spike("ETHUSDT", clock.Now)));
        Assert.Single(evaluator.OnSignal(Spike("SOLUSDT", clock.Now))); // another symbol has its own cooldown
        clock.Now += 30 * 60_000;
        Assert.Single(evaluator.OnSignal(Spike("ETHUSDT", clock.Now)));
        Assert.Equal(1, evaluator.CooldownSuppressed);
    }

    [Fact]
    public async Task The_rate_cap_holds_back_the_excess_and_then_sends_one_summary()
    {
        var clock = new ManualClock(T0);
        var config = Config("""{ "symbol": "*", "signal": "oiSpike" }""", """ "rateLimit": { "messages": 3, "per": "1m" }, """);
        var output = new StringWriter();
        await using var outbox = new SinkOutbox(new ConsoleSink("log", output), config.Delivery, NullLogger.Instance);
        var dispatcher = new AlertDispatcher(config, new Dictionary<string, SinkOutbox> { ["log"] = outbox }, clock, NullLogger.Instance);
        var evaluator = new RuleEvaluator(config, clock);

        foreach (var symbol in new[] { "A1USDT", "A2USDT", "A3USDT", "A4USDT", "A5USDT" })
        {
            foreach (var alert in evaluator.OnSignal(Spike(symbol, T0)))
            {
                dispatcher.Submit(alert);
            }
        }
        Assert.Equal(3, dispatcher.Dispatched);
        Assert.Equal(2, dispatcher.RateLimited);
        Assert.Equal(3, outbox.Enqueued);

        // Handing over to the outbox is synchronous: what Tick queued is counted when it returns.
        dispatcher.Tick();
        Assert.Equal(3, outbox.Enqueued); // still inside the minute: no summary yet
        clock.Now += 60_000;
        dispatcher.Tick();
        Assert.Equal(4, outbox.Enqueued);
        await Wait.UntilAsync(() => outbox.Delivered == 4, TimeSpan.FromSeconds(10), "3 alerts and the summary");
        var lines = output.ToString();
        Assert.Contains("⏸ 2 more alerts held back by the rate cap (3 per 00:01:00): A4USDT, A5USDT.", lines, StringComparison.Ordinal);
        Assert.Equal(1, lines.Split('⏸').Length - 1);
        dispatcher.Tick();
        Assert.Equal(4, outbox.Enqueued); // one summary only
    }
}
