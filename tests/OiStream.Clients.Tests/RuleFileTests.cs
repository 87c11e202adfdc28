using System.Text;
using OiStream.Notifier.Rules;

namespace OiStream.Clients.Tests;

/// <summary>The rules file: what it accepts, and errors that name the file, line, column and problem.</summary>
public class RuleFileTests
{
    private static NotifierConfig Parse(string json, Func<string, string?>? env = null) =>
        RuleFileParser.Parse(Encoding.UTF8.GetBytes(json), "rules.json", env ?? (_ => null));

    private static IReadOnlyList<string> Problems(string json, Func<string, string?>? env = null) =>
        Assert.Throws<RuleFileException>(() => Parse(json, env)).Problems;

    [Fact]
    public void A_valid_file_with_comments_trailing_commas_and_environment_secrets_parses()
    {
        var config = Parse("""
            // alerts
            {
              "dashboardUrl": "http://127.0.0.1:5000/",
              "rateLimit": { "messages": 5, "per": "30s" },
              "delivery": { "retries": 2, "firstDelay": "200ms", "timeout": "5s" },
              "sinks": {
                "team": { "type": "slack", "url": "${HOOK}" },
                "tg": { "type": "telegram", "token": "${TOKEN}", "chatId": "-100" },
              },
              "rules": [
                { "name": "btc", "symbol": "btcusdt", "when": "change.5m >= 1.5", "cooldown": "10m", "sinks": ["team"] },
                { "coin": ["btc", "eth"], "when": "changeUsd.1h <= -3" },
                { "symbol": "*", "signal": "oiFlush" },
                { "symbol": "SOLUSDT", "when": "signal.1h == strongBearish" },
              ],
            }
            """, name => name switch { "HOOK" => "https://hooks.example/T1", "TOKEN" => "123:abc", _ => null });

        Assert.Equal(5, config.RateMessages);
        Assert.Equal(TimeSpan.FromSeconds(30), config.RatePeriod);
        Assert.Equal(new DeliveryOptions { Retries = 2, FirstDelay = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(5) }, config.Delivery);
        Assert.Equal(new Uri("https://hooks.example/T1"), config.Sinks["team"].Url);
        Assert.Equal("123:abc", config.Sinks["tg"].Token);
        Assert.Equal(new Uri("https://api.telegram.org"), config.Sinks["tg"].Url);
        Assert.Equal(4, config.Rules.Count);
        Assert.Equal(["BTCUSDT"], config.Rules[0].Symbols);
        Assert.Equal(new Condition("change", "5m", ">=", 1.5, null), config.Rules[0].When);
        Assert.Equal(TimeSpan.FromMinutes(10), config.Rules[0].Cooldown);
        Assert.Equal(["team"], config.Rules[0].Sinks);
        Assert.Equal(["BTC", "ETH"], config.Rules[1].Coins);
        Assert.Equal(["team", "tg"], config.Rules[1].Sinks); // no "sinks": every sink
        Assert.True(config.Rules[2].AllSymbols);
        Assert.Equal("oiFlush", config.Rules[2].Signal);
        Assert.Equal("strongBearish", config.Rules[3].When!.Quadrant);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_line_and_column()
    {
        var problems = Problems("""
            {
              "sinks": { "team": { "type": "slak", "url": "https://x.example" } },
              "rules": [
                { "symbol": "BTCUSDT", "when": "change.7m >= 1.5" },
                { "symbol": "BTCUSDT", "signal": "oiSpik" },
                { "coin": "BTC", "when": "changeUsd.1h <= -3", "cooldwn": "5m" },
                { "symbol": "ETHUSDT" },
                { "symbol": "ETHUSDT", "when": "change.1h >= x", "sinks": ["nope"] }
              ]
            }
            """);

        Assert.Equal(
        [
            "rules.json:2:32: sinks.team.type: sink 'team' needs \"type\": one of slack, discord, telegram, json, console (not 'slak').",
            "rules.json:4:36: rules[0].when: Unknown window '7m' in 'change.7m >= 1.5'. Use one of 5m, 15m, 30m, 1h, 4h, 24h.",
            "rules.json:5:38: rules[1].signal: unknown signal 'oiSpik': use one of oiSpike, oiFlush, divergence, fundingExtreme.",
            "rules.json:6:52: rules[2].cooldwn: unknown property \"cooldwn\" (did you mean \"cooldown\"?); rules[2] takes name, symbol, coin, when, signal, cooldown, sinks.",
            "rules.json:7:5: rules[3]: rule 'rule 4' needs a trigger: \"when\": \"change.5m >= 1.5\" (a condition) or \"signal\": \"oiSpike\" (a hub event).",
            "rules.json:8:36: rules[4].when: 'x' in 'change.1h >= x' is not a number of percent, e.g. 1.5 or -3.",
            "rules.json:8:64: rules[4].sinks[0]: no sink named 'nope'; the file defines none.",
        ], problems);
    }

    [Fact]
    public void Invalid_json_names_the_line_and_column()
    {
        var problems = Problems("{\n  \"rules\": [\n    { \"symbol\": \"BTCUSDT\" \n  ]\n}");
        Assert.Equal(["rules.json:4:3: not valid JSON: ']' is invalid without a matching open."], problems);
    }

    [Theory]
    [InlineData("""{ "sinks": { "s": { "type": "console" } }, "rules": [ { "symbol": "BTCUSDT", "coin": "BTC", "signal": "oiSpike" } ] }""", "has both \"symbol\" and \"coin\"")]
    [InlineData("""{ "sinks": { "s": { "type": "console" } }, "rules": [ { "coin": "*", "signal": "oiSpike" } ] }""", "coins are named one by one")]
    [InlineData("""{ "sinks": { "s": { "type": "console" } }, "rules": [ { "symbol": "BTCUSDT", "when": "signal.1h >= 2" } ] }""", "a quadrant is compared with == or !=")]
    [InlineData("""{ "sinks": { "s": { "type": "console" } }, "rules": [ { "symbol": "BTCUSDT", "when": "oi.1h >= 2" } ] }""", "Unknown field 'oi'")]
    [InlineData("""{ "sinks": { "s": { "type": "console" } }, "rules": [ { "symbol": "BTCUSDT", "signal": "oiSpike", "cooldown": "soon" } ] }""", "\"soon\" is not a duration")]
    [InlineData("""{ "sinks": { "s": { "type": "slack", "url": "${MISSING}" } }, "rules": [ { "symbol": "BTCUSDT", "signal": "oiSpike" } ] }""", "the environment variable MISSING is not set")]
    [InlineData("""{ "sinks": { "s": { "type": "slack" } }, "rules": [ { "symbol": "BTCUSDT", "signal": "oiSpike" } ] }""", "needs \"url\"")]
    [InlineData("""{ "sinks": {}, "rules": [] }""", "must be a non-empty list of rules")]
    [InlineData("""[]""", "the file must hold one JSON object")]
    public void Each_kind_of_mistake_is_named(string json, string expected)
    {
        var problems = Problems(json);
        Assert.Contains(problems, p => p.StartsWith("rules.json:1:", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_is_named_with_what_to_do()
    {
        var ex = Assert.Throws<RuleFileException>(() => RuleFileParser.Load("/nonexistent/rules.json"));
        Assert.Contains("/nonexistent/rules.json: cannot read the rules file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rules.example.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_rules_file_is_valid()
    {
        var config = RuleFileParser.Load(Path.Combine(AppContext.BaseDirectory, "rules.example.json"));
        Assert.NotEmpty(config.Rules);
    }
}
