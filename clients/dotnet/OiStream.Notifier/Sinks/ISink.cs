using OiStream.Notifier.Alerts;

namespace OiStream.Notifier.Sinks;

/// <summary>Somewhere an alert can be sent. Throws on failure; the delivery queue decides whether to retry.</summary>
public interface ISink
{
    /// <summary>The sink's name in the rules file.</summary>
    string Name { get; }

    /// <summary>Sends one alert.</summary>
    Task SendAsync(Alert alert, CancellationToken cancellationToken);
}

/// <summary>A webhook answered with an error status.</summary>
public sealed class WebhookFailedException(string sink, int status, TimeSpan? retryAfter, string body)
    : Exception($"Sink '{sink}' answered HTTP {status}{(body.Length == 0 ? "" : ": " + body)}" + (status is 401 or 403 or 404 ? " — check the sink's url and token in the rules file." : "."))
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The Retry-After the endpoint asked for, if any.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Worth retrying: a timeout, a rate limit or a server error. Other 4xx answers will not change.</summary>
    public bool Transient => Status is 408 or 429 or >= 500;
}
