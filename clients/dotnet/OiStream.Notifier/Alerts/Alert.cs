namespace OiStream.Notifier.Alerts;

/// <summary>One message to send: which rule fired, for what, and the readable text.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Subject">The instrument symbol or coin.</param>
/// <param name="Trigger">The condition text (e.g. <c>change.5m &gt;= 1.5</c>) or the signal kind (e.g. <c>oiSpike</c>).</param>
/// <param name="Window">The window the trigger looks at.</param>
/// <param name="Value">The figure that triggered it (a percent change), when there is one.</param>
/// <param name="Text">The message, ready for a chat.</param>
/// <param name="Time">When it happened (Unix ms).</param>
/// <param name="Source"><c>binance</c> or <c>simulated</c>.</param>
/// <param name="Link">The dashboard, opened on the subject.</param>
/// <param name="Sinks">Where it goes.</param>
public sealed record Alert(string Rule, string Subject, string Trigger, string? Window, double? Value, string Text, long Time, string Source, Uri? Link, IReadOnlyList<string> Sinks);
