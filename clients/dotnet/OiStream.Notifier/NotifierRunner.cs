using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OiStream.Client;
using OiStream.Contracts;
using OiStream.Notifier.Alerts;
using OiStream.Notifier.Rules;
using OiStream.Notifier.Sinks;

namespace OiStream.Notifier;

/// <summary>
/// Connects to the hub, subscribes to what the rules watch (named symbols and coins; the overview when a rule says
/// <c>*</c>), and runs every update through the rules on one loop. Hub callbacks only enqueue; webhooks are sent by
/// each sink's own queue, so a slow chat service never holds up the stream.
/// </summary>
public sealed partial class NotifierRunner : IAsyncDisposable
{
    private readonly NotifierConfig _config;
    private readonly Uri _hub;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly Channel<object> _updates;
    private readonly int _capacity;
    private readonly string? _apiKey;
    private long _droppedUpdates;
    private long _nextDropLog;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Builds the sinks (all of them console sinks when <paramref name="dryRun"/>).</summary>
    public NotifierRunner(NotifierConfig config, Uri hub, bool dryRun, ILoggerFactory loggers, TextWriter console, TimeProvider? time = null, HttpMessageHandler? handler = null,
        int updateCapacity = 50_000, string? apiKey = null)
    {
        _apiKey = apiKey;
        _config = config;
        _hub = hub;
        _logger = loggers.CreateLogger("OiStream.Notifier");
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(updateCapacity, 1);
        _capacity = updateCapacity;
        // When the rules fall this far behind the stream, the oldest update goes: counted, and logged at most once a second.
        _updates = Channel.CreateBounded<object>(
            new BoundedChannelOptions(updateCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            _ => OnDropped());
        // Per-attempt time limits come from the Polly pipeline, not from HttpClient.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        var deliveryLogger = loggers.CreateLogger("OiStream.Notifier.Delivery");
        Queues = config.Sinks.Values.ToDictionary(
            s => s.Name,
            s => new SinkOutbox(dryRun || s.Kind == SinkKind.Console ? new ConsoleSink(s.Name, console) : new WebhookSink(s, _http), config.Delivery, deliveryLogger, _time),
            StringComparer.Ordinal);
        Evaluator = new RuleEvaluator(config, _time);
        Dispatcher = new AlertDispatcher(config, Queues, _time, _logger);
    }

    /// <summary>The rules.</summary>
    public RuleEvaluator Evaluator { get; }

    /// <summary>The rate cap.</summary>
    public AlertDispatcher Dispatcher { get; }

    /// <summary>Each sink's outbox.</summary>
    public IReadOnlyDictionary<string, SinkOutbox> Queues { get; }

    /// <summary>Updates dropped because the rules could not keep up with the stream (the queue was full).</summary>
    public long DroppedUpdates => Interlocked.Read(ref _droppedUpdates);

    /// <summary>Completes once every subscription is in place.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Runs until cancelled. Throws <see cref="HubUnreachableException"/> when the hub cannot be reached at start.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var symbols = _config.Rules.Where(r => !r.AllSymbols).SelectMany(r => r.Symbols).Distinct(StringComparer.Ordinal).ToArray();
        var coins = _config.Rules.SelectMany(r => r.Coins).Distinct(StringComparer.Ordinal).ToArray();
        var overview = _config.Rules.Any(r => r.AllSymbols);

        await using var client = new OiStreamClient(_hub, apiKey: _apiKey);
        client.InstrumentReceived += s => Offer(s);
        client.OverviewReceived += rows => Offer(rows);
        client.CoinReceived += s => Offer(s);
        client.SignalReceived += s => Offer(s);
        client.Reconnecting += ex => LogReconnecting(_logger, _hub, ex?.Message);
        client.Reconnected += () => LogReconnected(_logger);
        await client.StartAsync(cancellationToken);
        // A rule on a window this hub does not compute would never fire: say so now, naming the hub's windows.
        var info = await client.GetInfoAsync(cancellationToken);
        var missing = _config.Rules.Where(r => r.When is { } w && !info.Windows.Contains(w.Window)).ToList();
        if (missing.Count > 0)
        {
            throw new RuleFileException([.. missing.Select(r =>
                $"rule '{r.Name}' uses window {r.When!.Window}, which the hub at {_hub} does not compute; it computes {string.Join(", ", info.Windows)}.")]);
        }
        if (symbols.Length > 0)
        {
            foreach (var s in await client.SubscribeAsync(symbols, cancellationToken))
            {
                Offer(s);
            }
        }
        if (coins.Length > 0)
        {
            foreach (var c in await client.SubscribeCoinsAsync(coins, cancellationToken))
            {
                Offer(c);
            }
        }
        if (overview)
        {
            Offer(await client.SubscribeOverviewAsync(cancellationToken));
        }
        LogWatching(_logger, _config.Rules.Count, _config.Path, overview ? "every instrument" : $"{symbols.Length} symbols", coins.Length, _hub);
        _ready.TrySetResult();

        using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        var ticks = TickAsync(ticker, cancellationToken);
        try
        {
            while (await _updates.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_updates.Reader.TryRead(out var item))
                {
                    Handle(item);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            ticker.Dispose();
            await ticks;
            await Task.WhenAll(Queues.Values.Select(q => q.DrainAsync(TimeSpan.FromSeconds(5))));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var q in Queues.Values)
        {
            await q.DisposeAsync();
        }
        _http.Dispose();
    }

    /// <summary>Queues an update for the rules (the hub callbacks' only work).</summary>
    internal void Offer(object update) => _updates.Writer.TryWrite(update);

    private void OnDropped()
    {
        var total = Interlocked.Increment(ref _droppedUpdates);
        var now = _time.GetTimestamp();
        var next = Interlocked.Read(ref _nextDropLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextDropLog, now + _time.TimestampFrequency, next) == next)
        {
            LogUpdatesDropped(_logger, total, _capacity);
        }
    }

    private void Handle(object item)
    {
        switch (item)
        {
            case InstrumentState s:
                Submit(Evaluator.OnInstrument(s));
                break;
            case IReadOnlyList<InstrumentState> rows:
                foreach (var s in rows)
                {
                    Submit(Evaluator.OnInstrument(s));
                }
                break;
            case CoinState c:
                Submit(Evaluator.OnCoin(c));
                break;
            case SignalEvent e:
                Submit(Evaluator.OnSignal(e));
                break;
            case Tick:
                Dispatcher.Tick();
                break;
        }
    }

    private void Submit(List<Alert> alerts)
    {
        foreach (var a in alerts)
        {
            Dispatcher.Submit(a);
        }
    }

    private async Task TickAsync(PeriodicTimer ticker, CancellationToken cancellationToken)
    {
        try
        {
            // The rate-cap summary is decided on the reader loop too: the ticker only enqueues.
            while (await ticker.WaitForNextTickAsync(cancellationToken))
            {
                Offer(Tick.Instance);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    [LoggerMessage(EventId = 4201, EventName = "NotifierWatching", Level = LogLevel.Information, Message = "Watching {Rules} rules from {File}: {Symbols}, {Coins} coins, hub {Hub}")]
    private static partial void LogWatching(ILogger logger, int rules, string file, string symbols, int coins, Uri hub);

    [LoggerMessage(EventId = 4202, EventName = "NotifierReconnecting", Level = LogLevel.Warning, Message = "Connection to {Hub} lost ({Reason}); reconnecting")]
    private static partial void LogReconnecting(ILogger logger, Uri hub, string? reason);

    [LoggerMessage(EventId = 4204, EventName = "NotifierUpdatesDropped", Level = LogLevel.Warning,
        Message = "The rules could not keep up: {Total} updates dropped so far (queue of {Capacity} full). Fewer or simpler rules, or a notifier per group of rules, keep up")]
    private static partial void LogUpdatesDropped(ILogger logger, long total, int capacity);

    [LoggerMessage(EventId = 4203, EventName = "NotifierReconnected", Level = LogLevel.Information, Message = "Reconnected; subscriptions renewed")]
    private static partial void LogReconnected(ILogger logger);
}
