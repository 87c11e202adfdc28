using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Notifier.Alerts;
using OiStream.Notifier.Rules;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OiStream.Notifier.Sinks;

/// <summary>
/// One sink's outbox: a bounded queue and a worker that delivers with retries (Polly: exponential backoff with
/// jitter, Retry-After honoured, a time limit per attempt). The stream never waits for a webhook; an alert that
/// cannot be delivered, or is pushed out of a full queue, is logged with its full text, never dropped silently.
/// </summary>
public sealed partial class SinkOutbox : IAsyncDisposable
{
    private readonly ISink _sink;
    private readonly ILogger _logger;
    private readonly Channel<Alert> _queue;
    private readonly ResiliencePipeline _pipeline;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _enqueued;
    private long _delivered;
    private long _failed;
    private long _attempts;
    private long _dropped;

    /// <summary>Starts the worker.</summary>
    public SinkOutbox(ISink sink, DeliveryOptions options, ILogger logger, TimeProvider? time = null, int capacity = 1000)
    {
        _sink = sink;
        _logger = logger;
        _queue = Channel.CreateBounded<Alert>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        }, dropped =>
        {
            Interlocked.Increment(ref _dropped);
            LogDropped(_logger, _sink.Name, capacity, dropped.Text);
        });
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System };
        if (options.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.Retries,
                Delay = options.FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<WebhookFailedException>(e => e.Transient),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is WebhookFailedException { RetryAfter: { } after } ? after : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetry(_logger, _sink.Name, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                    return default;
                },
            });
        }
        _pipeline = builder.AddTimeout(options.Timeout).Build();
        _worker = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The sink's name.</summary>
    public string Name => _sink.Name;

    /// <summary>Alerts delivered.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Alerts given up on after every retry (each logged with its text).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Attempts made, retries included.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Alerts pushed out of a full queue (each logged with its text).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Alerts handed to this outbox so far.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Queues an alert; never waits.</summary>
    public void Enqueue(Alert alert)
    {
        Interlocked.Increment(ref _enqueued);
        _queue.Writer.TryWrite(alert);
    }

    /// <summary>Stops taking alerts and waits (up to <paramref name="grace"/>) for the queued ones to go out.</summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_worker, Task.Delay(grace)) != _worker)
        {
            await _stop.CancelAsync();
        }
        await _worker;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DrainAsync(TimeSpan.Zero);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_queue.Reader.TryRead(out var alert))
                {
                    try
                    {
                        await _pipeline.ExecuteAsync(async ct =>
                        {
                            Interlocked.Increment(ref _attempts);
                            await _sink.SendAsync(alert, ct);
                        }, cancellationToken);
                        Interlocked.Increment(ref _delivered);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _failed);
                        LogGaveUp(_logger, ex, _sink.Name, alert.Rule, alert.Subject, alert.Text);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            while (_queue.Reader.TryRead(out var left))
            {
                LogUndelivered(_logger, _sink.Name, left.Text);
            }
        }
    }

    [LoggerMessage(EventId = 4101, EventName = "AlertRetry", Level = LogLevel.Warning, Message = "Sink '{Sink}': attempt {Attempt} in {Delay}, after: {Reason}")]
    private static partial void LogRetry(ILogger logger, string sink, int attempt, TimeSpan delay, string? reason);

    [LoggerMessage(EventId = 4102, EventName = "AlertGaveUp", Level = LogLevel.Error, Message = "Sink '{Sink}': gave up on the alert of rule '{Rule}' for {Subject}. Its text: {Text}")]
    private static partial void LogGaveUp(ILogger logger, Exception exception, string sink, string rule, string subject, string text);

    [LoggerMessage(EventId = 4103, EventName = "AlertDropped", Level = LogLevel.Error, Message = "Sink '{Sink}': queue full ({Capacity}); the oldest alert was not sent. Its text: {Text}")]
    private static partial void LogDropped(ILogger logger, string sink, int capacity, string text);

    [LoggerMessage(EventId = 4104, EventName = "AlertUndelivered", Level = LogLevel.Error, Message = "Sink '{Sink}': stopping before this alert went out: {Text}")]
    private static partial void LogUndelivered(ILogger logger, string sink, string text);
}
