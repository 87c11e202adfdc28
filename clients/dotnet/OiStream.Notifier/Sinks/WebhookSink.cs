using System.Net.Http.Json;
using System.Text.Json;
using OiStream.Notifier.Alerts;
using OiStream.Notifier.Rules;

namespace OiStream.Notifier.Sinks;

/// <summary>
/// Slack-compatible (<c>{"text":…}</c>), Discord (<c>{"content":…}</c>), Telegram (<c>sendMessage</c>) or a generic
/// JSON POST of the whole alert.
/// </summary>
public sealed class WebhookSink(SinkConfig config, HttpClient http) : ISink
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public string Name => config.Name;

    /// <inheritdoc />
    public async Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var (url, body) = config.Kind switch
        {
            SinkKind.Slack => (config.Url!, (object)new { text = alert.Text }),
            // Discord refuses content over 2000 characters.
            SinkKind.Discord => (config.Url!, new { content = alert.Text.Length > 2000 ? alert.Text[..1999] + "…" : alert.Text }),
            SinkKind.Telegram => (new Uri(config.Url!, $"bot{config.Token}/sendMessage"), new Dictionary<string, object?> { ["chat_id"] = config.ChatId, ["text"] = alert.Text, ["disable_web_page_preview"] = true }),
            SinkKind.Json => (config.Url!, new { alert.Rule, alert.Subject, alert.Trigger, alert.Window, alert.Value, message = alert.Text, alert.Time, alert.Source, link = alert.Link?.ToString() }),
            _ => throw new InvalidOperationException($"Sink '{config.Name}' of kind {config.Kind} is not a webhook."),
        };
        using var response = await http.PostAsJsonAsync(url, body, Json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var retryAfter = response.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date - DateTimeOffset.UtcNow) : null;
            throw new WebhookFailedException(config.Name, (int)response.StatusCode, retryAfter > TimeSpan.Zero ? retryAfter : null, text.Length > 200 ? text[..200] : text);
        }
    }
}

/// <summary>Writes alerts to standard output (a console sink, and every sink under <c>--dry-run</c>).</summary>
public sealed class ConsoleSink(string name, TextWriter output) : ISink
{
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            output.WriteLine($"[{name}] {alert.Text.Replace("\n", "\n    ", StringComparison.Ordinal)}");
            output.Flush();
        }
        return Task.CompletedTask;
    }
}
