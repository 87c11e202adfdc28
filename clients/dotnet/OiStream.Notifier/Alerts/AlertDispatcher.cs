using Microsoft.Extensions.Logging;
using OiStream.Notifier.Rules;
using OiStream.Notifier.Sinks;

namespace OiStream.Notifier.Alerts;

/// <summary>
/// The global rate cap: at most N alerts per period over every rule, so a market-wide move cannot flood a channel.
/// Alerts over the cap are logged (with their text) and counted; when the cap allows again, one summary message
/// says how many were held back and for what. Called from the notifier's one reader loop.
/// </summary>
public sealed partial class AlertDispatcher(NotifierConfig config, IReadOnlyDictionary<string, SinkOutbox> queues, TimeProvider time, ILogger logger)
{
    private readonly Queue<DateTimeOffset> _sent = new();
    private readonly SortedSet<string> _heldSubjects = new(StringComparer.Ordinal);
    private readonly HashSet<string> _heldSinks = new(StringComparer.Ordinal);
    private long _held;

    /// <summary>Alerts passed to the sinks.</summary>
    public long Dispatched { get; private set; }

    /// <summary>Alerts held back by the rate cap.</summary>
    public long RateLimited { get; private set; }

    /// <summary>Sends the alert to its sinks, or holds it back when over the cap.</summary>
    public void Submit(Alert alert)
    {
        if (!Allow())
        {
            RateLimited++;
            _held++;
            _heldSubjects.Add(alert.Subject);
            _heldSinks.UnionWith(alert.Sinks);
            LogHeld(logger, alert.Rule, alert.Subject, config.RateMessages, config.RatePeriod, alert.Text);
            return;
        }
        Dispatched++;
        // The logger formats a list as "a, b".
        LogDispatched(logger, alert.Rule, alert.Subject, alert.Sinks);
        foreach (var sink in alert.Sinks)
        {
            queues[sink].Enqueue(alert);
        }
    }

    /// <summary>Called every second: sends the summary of held-back alerts once the cap allows.</summary>
    public void Tick()
    {
        if (_held == 0 || !Allow())
        {
            return;
        }
        var text = MessageFormatter.Suppressed(_held, _heldSubjects, config.RateMessages, config.RatePeriod);
        var summary = new Alert("rate cap", "*", "rateLimit", null, _held, text, time.GetUtcNow().ToUnixTimeMilliseconds(), "notifier", config.DashboardUrl, [.. _heldSinks]);
        foreach (var sink in summary.Sinks)
        {
            queues[sink].Enqueue(summary);
        }
        _held = 0;
        _heldSubjects.Clear();
        _heldSinks.Clear();
    }

    private bool Allow()
    {
        var now = time.GetUtcNow();
        while (_sent.Count > 0 && now - _sent.Peek() >= config.RatePeriod)
        {
            _sent.Dequeue();
        }
        if (_sent.Count >= config.RateMessages)
        {
            return false;
        }
        _sent.Enqueue(now);
        return true;
    }

    [LoggerMessage(EventId = 4001, EventName = "AlertDispatched", Level = LogLevel.Information, Message = "Rule '{Rule}' fired for {Subject} → {Sinks}")]
    private static partial void LogDispatched(ILogger logger, string rule, string subject, IReadOnlyList<string> sinks);

    [LoggerMessage(EventId = 4002, EventName = "AlertsHeld", Level = LogLevel.Warning, Message = "Rate cap ({Max} per {Period}) reached: held back rule '{Rule}' for {Subject}; a summary follows. Its text: {Text}")]
    private static partial void LogHeld(ILogger logger, string rule, string subject, int max, TimeSpan period, string text);
}
