using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using OiStream.Contracts;
using Microsoft.Extensions.Logging;
using OiStream.Core.Engine;
using OiStream.Core.Loops;
using OiStream.Feeds;
using Websocket.Client;

namespace OiStream.Binance.Streams;

/// <summary>
/// One Binance <c>/market/stream</c> connection (combined mode) for up to 1024 streams. It keeps itself alive:
/// reconnects with exponential backoff and jitter, treats a socket that stays open but silent for
/// <see cref="BinanceOptions.StreamWatchdog"/> as dead, and rotates before Binance's 24 h cut. Malformed frames are
/// skipped and counted. Built on <see cref="WebsocketClient"/> (Websocket.Client): its reconnects and no-message timeout,
/// with this client's exponential backoff and jitter, status reports and counters.
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
    private readonly Backoff _reconnect;
    private long _connects;
    private long _frames;
    private long _malformed;
    private long _events;
    private long _dropped;
    private long _unknown;
    private long _lastMessage;
    private long _watchdogTrips;
    // Failed attempts since the last connection (the backoff's exponent), and whether one ever succeeded.
    private int _attempt;
    private bool _everConnected;
    private bool _awaitingData;
    private ReconnectionType _connectedBy;

    /// <summary>Creates a client for <paramref name="streams"/> on <c>{baseUri}/market/stream</c>.</summary>
    public MarketStreamClient(string name, Uri baseUri, IReadOnlyList<string> streams, Func<SymbolTable> symbols,
        ChannelWriter<MarketEvent> writer, BinanceOptions options, TimeProvider time, ILogger logger, TimeSpan? watchdog = null, LoopHealth? health = null)
    {
        Health = health ?? new LoopHealth(name);
        _reconnect = new Backoff(options.ReconnectMin, options.ReconnectMax, Jitter: true);
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

    /// <summary>
    /// Runs until cancelled on a <see cref="WebsocketClient"/>: it connects, reconnects after a lost connection or a
    /// failed attempt (with this client's backoff), and treats <see cref="BinanceOptions.StreamWatchdog"/> without a
    /// frame as a dead socket (its <c>ReconnectTimeout</c>). This loop rotates the connection before Binance's 24 h cut.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var client = new WebsocketClient(_uri, () => new ClientWebSocket
        {
            // Binance pings every 3 minutes; the client answers pongs by itself. An unsolicited pong now and then keeps
            // idle proxies from closing the connection.
            Options = { KeepAliveInterval = TimeSpan.FromMinutes(1) },
        })
        {
            Name = _name,
            ReconnectTimeout = _watchdog,
            ErrorReconnectTimeout = Backoff(1),
            LostReconnectTimeout = Backoff(1),
            ConnectTimeout = _options.RequestTimeout,
            // Frames stay UTF-8 bytes: the parser reads them in place, with no string per frame.
            IsTextMessageConversionEnabled = false,
        };
        using var received = client.MessageReceived.Subscribe(OnMessage);
        using var reconnected = client.ReconnectionHappened.Subscribe(OnReconnected);
        using var disconnected = client.DisconnectionHappened.Subscribe(info => OnDisconnected(client, info));
        await client.Start();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Leave before Binance's 24 h cut, at a moment of our choosing.
                await Task.Delay(_options.StreamRotation, _time, cancellationToken);
                await client.Reconnect();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            await client.Stop(WebSocketCloseStatus.NormalClosure, "stopping");
        }
    }

    // A socket is only as good as its data: connected (or recovered) is reported with the first frame after it opens,
    // so a socket that reconnects into silence stays stale.
    private void OnReconnected(ReconnectionInfo info)
    {
        Interlocked.Increment(ref _connects);
        Interlocked.Exchange(ref _lastMessage, Now());
        Volatile.Write(ref _attempt, 0);
        _connectedBy = info.Type;
        Volatile.Write(ref _awaitingData, true);
    }

    private void OnFirstFrame()
    {
        var first = !_everConnected;
        _everConnected = true;
        Report(first ? "connected" : "recovered", _connectedBy == ReconnectionType.ByUser
            ? $"Rotated the connection to {_uri.GetLeftPart(UriPartial.Path)} before the 24 h limit"
            : $"Connected to {_uri.GetLeftPart(UriPartial.Path)}; data flows");
    }

    private void OnDisconnected(WebsocketClient client, DisconnectionInfo info)
    {
        if (SocketLoss.Read(client, info, _watchdog, _reconnect, ref _attempt) is not { } loss)
        {
            return;
        }
        if (loss.Silent)
        {
            // A socket that stays open but silent is dead: reconnect at once.
            Interlocked.Increment(ref _watchdogTrips);
            Report("stale", $"No data for {_watchdog.TotalSeconds:0} s on an open socket");
        }
        else
        {
            Report("disconnected", $"{loss.Reason}; reconnecting in {loss.Delay.TotalSeconds:0.0} s");
        }
        LogReconnect(_logger, _name, loss.Reason, loss.Delay.TotalSeconds);
    }

    private void OnMessage(ResponseMessage message)
    {
        Interlocked.Exchange(ref _lastMessage, Now());
        Interlocked.Increment(ref _frames);
        if (Volatile.Read(ref _awaitingData))
        {
            Volatile.Write(ref _awaitingData, false);
            OnFirstFrame();
        }
        try
        {
            if (message.Stream is { } stream)
            {
                Handle(stream.GetBuffer().AsSpan(0, (int)stream.Length));
            }
            else if (message.Binary is { } bytes)
            {
                Handle(bytes);
            }
            else if (message.Text is { } text)
            {
                Handle(System.Text.Encoding.UTF8.GetBytes(text));
            }
            Health.Succeeded();
        }
        catch (Exception ex)
        {
            // Not the network and not a malformed frame: a fault of this code or of the channel's reader. The frame is
            // skipped and counted in Health (logged once per run of failures); the next frame is tried as usual.
            Health.Failed(ex, Now());
            if (Health.Consecutive == 1)
            {
                LogUnexpected(_logger, _name, ex);
            }
        }
    }

    // Status for subscribers; one that throws must not end this socket's handling.
    private void Report(string state, string message)
    {
        try
        {
            Raise(state, message);
        }
        catch (Exception ex)
        {
            Health.Failed(ex, Now());
            LogUnexpected(_logger, _name, ex);
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

    private TimeSpan Backoff(int attempt) => _reconnect.Delay(attempt);

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
