using OiStream.Contracts;
using OiStream.Notifier.Rules;

namespace OiStream.Notifier.Alerts;

/// <summary>
/// Decides which updates become alerts. A condition fires when it starts to hold (not again while it keeps holding:
/// that is de-duplication), and not within the rule's cooldown for that symbol or coin. A signal rule fires once per
/// hub event, within the same cooldown. Not thread-safe: the notifier calls it from its one reader loop.
/// </summary>
public sealed class RuleEvaluator(NotifierConfig config, TimeProvider time)
{
    private readonly Dictionary<(int Rule, string Subject), Episode> _episodes = [];

    /// <summary>Alerts not sent because the rule was cooling down for that subject.</summary>
    public long CooldownSuppressed { get; private set; }

    /// <summary>Instrument and coin states evaluated.</summary>
    public long StatesSeen { get; private set; }

    /// <summary>Signal events seen.</summary>
    public long SignalsSeen { get; private set; }

    /// <summary>Evaluates an instrument state against every instrument rule.</summary>
    public List<Alert> OnInstrument(InstrumentState s)
    {
        StatesSeen++;
        var alerts = new List<Alert>();
        for (var i = 0; i < config.Rules.Count; i++)
        {
            var rule = config.Rules[i];
            if (rule.When is { } c && rule.MatchesSymbol(s.Symbol)
                && Edge(i, s.Symbol, c.Holds(s.Change, s.ChangeUsd, s.PriceChange, s.Signal)))
            {
                var value = c.ValueOf(s.Change, s.ChangeUsd, s.PriceChange);
                var link = MessageFormatter.LinkFor(config.DashboardUrl, "symbol", s.Symbol);
                var text = MessageFormatter.Condition(rule, c, s.Symbol, value, s.OpenInterest, s.Market == "coinm" ? "contracts" : s.Coin, s.OpenInterestUsd, s.MarkPrice, s.FundingRate, s.Source, link);
                alerts.Add(new Alert(rule.Name, s.Symbol, c.ToString(), c.Window, value, text, s.OiTime ?? time.GetUtcNow().ToUnixTimeMilliseconds(), s.Source, link, rule.Sinks));
            }
        }
        return alerts;
    }

    /// <summary>Evaluates a coin aggregate against every coin rule.</summary>
    public List<Alert> OnCoin(CoinState s)
    {
        StatesSeen++;
        var alerts = new List<Alert>();
        for (var i = 0; i < config.Rules.Count; i++)
        {
            var rule = config.Rules[i];
            if (rule.When is { } c && rule.MatchesCoin(s.Coin)
                && Edge(i, "coin:" + s.Coin, c.Holds(s.Change, s.ChangeUsd, s.PriceChange, s.Signal)))
            {
                var value = c.ValueOf(s.Change, s.ChangeUsd, s.PriceChange);
                var link = MessageFormatter.LinkFor(config.DashboardUrl, "coin", s.Coin);
                var text = MessageFormatter.Condition(rule, c, s.Coin + " (all contracts)", value, s.OpenInterestCoin, s.Coin, s.OpenInterestUsd, s.MarkPrice, null, s.Source, link);
                alerts.Add(new Alert(rule.Name, s.Coin, c.ToString(), c.Window, value, text, s.Time ?? time.GetUtcNow().ToUnixTimeMilliseconds(), s.Source, link, rule.Sinks));
            }
        }
        return alerts;
    }

    /// <summary>Matches a hub signal event against every signal rule.</summary>
    public List<Alert> OnSignal(SignalEvent e)
    {
        SignalsSeen++;
        var alerts = new List<Alert>();
        for (var i = 0; i < config.Rules.Count; i++)
        {
            var rule = config.Rules[i];
            if (rule.Signal != e.Kind)
            {
                continue;
            }
            var matches = e.Symbol is { } symbol ? rule.MatchesSymbol(symbol) : rule.MatchesCoin(e.Coin);
            var subject = e.Symbol ?? "coin:" + e.Coin;
            if (!matches)
            {
                continue;
            }
            if (!CooledDown(i, subject))
            {
                continue;
            }
            var link = e.Symbol is { } s ? MessageFormatter.LinkFor(config.DashboardUrl, "symbol", s) : MessageFormatter.LinkFor(config.DashboardUrl, "coin", e.Coin);
            alerts.Add(new Alert(rule.Name, e.Symbol ?? e.Coin, e.Kind, e.Window, e.Change, MessageFormatter.Signal(rule, e, link), e.Time, e.Source, link, rule.Sinks));
        }
        return alerts;
    }

    /// <summary>True when a condition has just started to hold and the rule is not cooling down for the subject.</summary>
    private bool Edge(int rule, string subject, bool holds)
    {
        ref var episode = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_episodes, (rule, subject), out _);
        var started = holds && !episode.Active;
        episode.Active = holds;
        return started && TryFire(ref episode, rule);
    }

    /// <summary>True (and the cooldown restarts) unless the rule fired for the subject within its cooldown.</summary>
    private bool CooledDown(int rule, string subject) =>
        TryFire(ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_episodes, (rule, subject), out _), rule);

    private bool TryFire(ref Episode episode, int rule)
    {
        var now = time.GetUtcNow();
        if (episode.LastFired is { } last && now - last < config.Rules[rule].Cooldown)
        {
            CooldownSuppressed++;
            return false;
        }
        episode.LastFired = now;
        return true;
    }

    private struct Episode
    {
        public bool Active;
        public DateTimeOffset? LastFired;
    }
}
