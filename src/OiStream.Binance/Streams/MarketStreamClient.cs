using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using OiStream.Contracts;
using Microsoft.Extensions.Logging;
using OiStream.Core.Engine;
using OiStream.Core.Loops;

namespace OiStream.Binance.Streams;

/// <summary>
/// One Binance <c>/market/stream</c> connection (combined mode) for up to 1024 streams. It keeps itself alive:
/// reconnects with exponential backoff and jitter, treats a socket that stays open but silent for
/// <see cref="BinanceOptions.StreamWatchdog"/> as dead, and rotates before Binance's 24 h cut. Malformed frames are
/// skipped and counted. Built on <see cref="ClientWebSocket"/>: the usual wrapper packages are not in this project's
/// NuGet source, and the loop is short.
/// </summary>
public sealed partial class MarketStreamClient
{
    /// <summary>Binance's cap on streams per connection (USDⓈ-M and COIN-M; options: 200).</summary>
    public const int MaxStreamsPerConnection = 1024;

    private readonly string _name;
    private readonly Uri _uri;
    private readonly Func<SymbolTable> _symbols;
    private readonly ChannelWriter<MarketEvent> _writer;
    private readonly BinanceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _watchdog;
    private long _connects;
    private long _frames;
    private long _malformed;
    private long _events;
    private long _dropped;
    private long _unknown;
    private long _lastMessage;
    private long _watchdogTrips;

    /// <summary>Creates a client for <paramref name="streams"/> on <c>{baseUri}/market/stream</c>.</summary>
    public MarketStreamClient(string name, Uri baseUri, IReadOnlyList<string> streams, Func<SymbolTable> symbols,
        ChannelWriter<MarketEvent> writer, BinanceOptions options, TimeProvider time, ILogger logger, TimeSpan? watchdog = null, LoopHealth? health = null)
    {
        Health = health ?? new LoopHealth(name);
        ArgumentNullException.ThrowIfNull(options);
        _watchdog = watchdog ?? options.StreamWatchdog;
        ArgumentNullException.ThrowIfNull(baseUri);
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count is 0 or > MaxStreamsPerConnection)
        {
            throw new ArgumentException($"A connection carries 1 to {MaxStreamsPerConnection} streams; got {streams.Count}. Split them over several connections.", nameof(streams));
        }
        _name = name;
        var root = baseUri.AbsoluteUri.TrimEnd('/');
        _uri = new Uri($"{root}/market/stream?streams={string.Join('/', streams)}");
        _symbols = symbols;
        _writer = writer;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Feed name, e.g. <c>usdm-ws</c>.</summary>
    public string Name => _name;

    /// <summary>Connections opened so far (1 + reconnects).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Frames received.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames that were not valid JSON or lacked fields: skipped.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformed);

    /// <summary>Events written to the channel.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Events the channel refused (full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Entries for symbols that are not tracked.</summary>
    public long UnknownSymbols => Interlocked.Read(ref _unknown);

    /// <summary>Times the no-data watchdog declared an open socket dead.</summary>
    public long WatchdogTrips => Interlocked.Read(ref _watchdogTrips);

    /// <summary>Local time (Unix ms) of the last frame; 0 before the first.</summary>
    public long LastMessageAt => Interlocked.Read(ref _lastMessage);

    /// <summary>Failures that were not the network's (counted, logged, paced), for status.</summary>
    public LoopHealth Health { get; }

    /// <summary>Raised on connect, disconnect, watchdog and recovery.</summary>
    public event Action<FeedStatus>? StatusChanged;

    /// <summary>Runs until cancelled: connect, receive, and on any failure reconnect after a backoff.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var attempt = 0;
        var everConnected = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            var unexpected = TimeSpan.Zero;
            try
            {
                using var socket = new ClientWebSocket();
                // Binance pings every 3 minutes; the client answers pongs by itself. An unsolicited pong now and then
                // keeps idle proxies from closing the connection.
                socket.Options.KeepAliveInterval = TimeSpan.FromMinutes(1);
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connectTimeout.CancelAfter(_options.RequestTimeout);
                    await socket.ConnectAsync(_uri, connectTimeout.Token);
                }
                Interlocked.Increment(ref _connects);
                Interlocked.Exchange(ref _lastMessage, Now());
                Raise(everConnected ? "recovered" : "connected", $"Connected to {_uri.GetLeftPart(UriPartial.Path)}");
                everConnected = true;
                attempt = 0;
                Health.Succeeded();
                reason = await ReceiveAsync(socket, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
            {
                reason = ex.Message;
            }
            catch (Exception ex)
            {
                // Not the network: a fault of this code or of the channel's reader. Counted in Health, and the pause
                // before reconnecting grows while it repeats.
                reason = $"unexpected {ex.GetType().Name}: {ex.Message}";
                unexpected = Health.Failed(ex, Now());
                LogUnexpected(_logger, _name, ex);
            }

            attempt++;
            var delay = Backoff(attempt);
            if (unexpected > delay)
            {
                delay = unexpected;
            }
            LogReconnect(_logger, _name, reason, delay.TotalSeconds);
            try
            {
                Raise("disconnected", $"{reason}; reconnecting in {delay.TotalSeconds:0.0} s");
            }
            catch (Exception ex)
            {
                // A status subscriber threw: this socket's loop is not its to end.
                Health.Failed(ex, Now());
                LogUnexpected(_logger, _name, ex);
            }
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var opened = Now();
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                if (Now() - opened > _options.StreamRotation.TotalMilliseconds)
                {
                    // Leave before Binance's 24 h cut, at a moment of our choosing.
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "rotating", cancellationToken);
                    return "rotated before the 24 h limit";
                }

                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    // A socket that stays open but silent is dead: the watchdog cancels the receive.
                    watchdog.CancelAfter(_watchdog);
                    try
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(count), watchdog.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _watchdogTrips);
                        Raise("stale", $"No data for {_watchdog.TotalSeconds:0} s on an open socket");
                        return $"no data for {_watchdog.TotalSeconds:0} s";
                    }
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return $"server closed the connection ({socket.CloseStatus} {socket.CloseStatusDescription})";
                }
                Interlocked.Exchange(ref _lastMessage, Now());
                Interlocked.Increment(ref _frames);
                Handle(buffer.AsSpan(0, count));
            }
            return $"socket {socket.State}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Handle(ReadOnlySpan<byte> frame)
    {
        try
        {
            var stats = FrameParser.Parse(frame, _symbols(), _writer.TryWrite);
            Interlocked.Add(ref _events, stats.Events);
            Interlocked.Add(ref _dropped, stats.Dropped);
            Interlocked.Add(ref _unknown, stats.UnknownSymbols);
        }
        catch (JsonException ex)
        {
            Interlocked.Increment(ref _malformed);
            LogMalformed(_logger, _name, ex.Message);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var min = _options.ReconnectMin.TotalMilliseconds;
        var max = _options.ReconnectMax.TotalMilliseconds;
        var exp = Math.Min(max, min * Math.Pow(2, Math.Min(20, attempt - 1)));
        // Full jitter on the upper half, so that many clients do not reconnect in step.
        return TimeSpan.FromMilliseconds((exp / 2) + (Random.Shared.NextDouble() * exp / 2));
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Raise(string state, string message)
        => StatusChanged?.Invoke(new FeedStatus { Feed = _name, State = state, Message = message, Time = Now(), Source = "binance" });

    [LoggerMessage(EventId = 201, EventName = "StreamReconnecting", Level = LogLevel.Warning, Message = "Stream {Feed} lost: {Reason}; reconnecting in {Seconds:0.0} s")]
    private static partial void LogReconnect(ILogger logger, string feed, string reason, double seconds);

    [LoggerMessage(EventId = 203, EventName = "StreamFailed", Level = LogLevel.Error, Message = "Stream {Feed} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string feed, Exception exception);

    [LoggerMessage(EventId = 202, EventName = "StreamMalformedFrame", Level = LogLevel.Warning, Message = "Stream {Feed} sent a malformed frame (skipped): {Problem}")]
    private static partial void LogMalformed(ILogger logger, string feed, string problem);
}
