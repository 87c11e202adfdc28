using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using OiStream.Contracts;
using OiStream.Core.Loops;
using Websocket.Client;

namespace OiStream.Feeds;

/// <summary>
/// One venue WebSocket that keeps itself alive on <see cref="WebsocketClient"/> (Websocket.Client): it subscribes again
/// after every (re)connect, sends the venue's keep-alive when it has heard nothing for <see cref="SocketPlan.PingAfter"/>,
/// treats <see cref="SocketPlan.Silence"/> without a frame as a dead socket, reconnects with backoff and jitter, and hands
/// every text frame to the venue's handler. A frame the handler cannot read is skipped and counted, never fatal.
/// </summary>
public sealed partial class WatchedSocket
{
    private readonly SocketPlan _plan;
    private readonly Func<IReadOnlyList<string>> _subscribe;
    private readonly Func<string, bool> _onText;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Backoff _backoff;
    private long _connects;
    private long _frames;
    private long _malformed;
    private long _watchdogTrips;
    private long _lastMessage;
    private long _lastData;
    private int _attempt;
    private bool _everConnected;
    private bool _awaitingData;

    /// <summary>
    /// Creates a socket; <paramref name="subscribe"/> gives the requests to send after each connect, and
    /// <paramref name="onText"/> reads each frame, answering whether it carried market data (an acknowledgement or a
    /// pong does not).
    /// </summary>
    public WatchedSocket(SocketPlan plan, Func<IReadOnlyList<string>> subscribe, Func<string, bool> onText, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _subscribe = subscribe;
        _onText = onText;
        _time = time;
        _logger = logger;
        _backoff = new Backoff(plan.ReconnectMin, plan.ReconnectMax, Jitter: true);
    }

    /// <summary>Feed name, e.g. <c>bybit-linear-ws</c>.</summary>
    public string Name => _plan.Name;

    /// <summary>Connections opened so far.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Frames received.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames the venue's handler could not read: skipped.</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformed);

    /// <summary>Times an open but silent socket was declared dead.</summary>
    public long WatchdogTrips => Interlocked.Read(ref _watchdogTrips);

    /// <summary>Local time (Unix ms) of the last frame; 0 before the first.</summary>
    public long LastMessageAt => Interlocked.Read(ref _lastMessage);

    /// <summary>
    /// Whether market data arrived within <see cref="SocketPlan.Silence"/>. A socket that reconnects and is answered
    /// only with acknowledgements (a venue that went silent) is not flowing.
    /// </summary>
    public bool IsFlowing => Interlocked.Read(ref _lastData) is var at && at > 0 && Now() - at < _plan.Silence.TotalMilliseconds;

    /// <summary>Raised on connect, disconnect, watchdog and recovery.</summary>
    public event Action<FeedStatus>? StatusChanged;

    /// <summary>Raised after each (re)connect, before the subscriptions go out (a venue drops per-connection state here).</summary>
    public event Action? Reconnected;

    /// <summary>Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var client = new WebsocketClient(_plan.Uri, () => new ClientWebSocket())
        {
            Name = _plan.Name,
            ReconnectTimeout = _plan.Silence,
            ErrorReconnectTimeout = _backoff.Delay(1),
            LostReconnectTimeout = _backoff.Delay(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var received = client.MessageReceived.Subscribe(OnMessage);
        using var reconnected = client.ReconnectionHappened.Subscribe(_ => OnReconnected(client));
        using var disconnected = client.DisconnectionHappened.Subscribe(info => OnDisconnected(client, info));
        await client.Start();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken);
                if (client.IsRunning && _plan.Ping is { } ping && Now() - LastMessageAt >= _plan.PingAfter.TotalMilliseconds)
                {
                    client.Send(ping);
                }
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

    private void OnReconnected(WebsocketClient client)
    {
        Interlocked.Increment(ref _connects);
        Interlocked.Exchange(ref _lastMessage, Now());
        Volatile.Write(ref _attempt, 0);
        Volatile.Write(ref _awaitingData, true);
        try
        {
            Reconnected?.Invoke();
            foreach (var request in _subscribe())
            {
                client.Send(request);
            }
        }
        catch (Exception ex)
        {
            LogFailed(_logger, Name, ex);
        }
    }

    private void OnDisconnected(WebsocketClient client, DisconnectionInfo info)
    {
        if (SocketLoss.Read(client, info, _plan.Silence, _backoff, ref _attempt) is not { } loss)
        {
            return;
        }
        if (loss.Silent)
        {
            Interlocked.Increment(ref _watchdogTrips);
            Report("stale", $"No data for {_plan.Silence.TotalSeconds:0} s on an open socket to {_plan.Uri.GetLeftPart(UriPartial.Path)}; reconnecting");
        }
        else
        {
            Report("disconnected", $"{loss.Reason}; reconnecting in {loss.Delay.TotalSeconds:0.0} s");
        }
        LogReconnect(_logger, Name, loss.Reason, loss.Delay.TotalSeconds);
    }

    private void OnMessage(ResponseMessage message)
    {
        Interlocked.Exchange(ref _lastMessage, Now());
        Interlocked.Increment(ref _frames);
        if (Volatile.Read(ref _awaitingData))
        {
            Volatile.Write(ref _awaitingData, false);
            var first = !_everConnected;
            _everConnected = true;
            Report(first ? "connected" : "recovered", $"Connected to {_plan.Uri.GetLeftPart(UriPartial.Path)}; data flows");
        }
        try
        {
            if (_onText(message.Text ?? (message.Binary is { } b ? System.Text.Encoding.UTF8.GetString(b) : "")))
            {
                Interlocked.Exchange(ref _lastData, Now());
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            Interlocked.Increment(ref _malformed);
            LogMalformed(_logger, Name, ex.Message);
        }
    }

    private void Report(string state, string message)
    {
        try
        {
            StatusChanged?.Invoke(new FeedStatus { Feed = Name, State = state, Message = message, Time = Now(), Source = _plan.Source });
        }
        catch (Exception ex)
        {
            LogFailed(_logger, Name, ex);
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1101, EventName = "VenueStreamReconnecting", Level = LogLevel.Warning, Message = "Stream {Feed} lost: {Reason}; reconnecting in {Seconds:0.0} s")]
    private static partial void LogReconnect(ILogger logger, string feed, string reason, double seconds);

    [LoggerMessage(EventId = 1102, EventName = "VenueStreamMalformedFrame", Level = LogLevel.Warning, Message = "Stream {Feed} sent a frame it could not read (skipped): {Problem}")]
    private static partial void LogMalformed(ILogger logger, string feed, string problem);

    [LoggerMessage(EventId = 1103, EventName = "VenueStreamFailed", Level = LogLevel.Error, Message = "Stream {Feed} failed unexpectedly")]
    private static partial void LogFailed(ILogger logger, string feed, Exception exception);
}

/// <summary>How a <see cref="WatchedSocket"/> connects and keeps alive.</summary>
/// <param name="Name">Feed name, e.g. <c>okx-ws</c>.</param>
/// <param name="Uri">The WebSocket address.</param>
/// <param name="Source">The venue (<c>bybit</c>, <c>okx</c>), stamped on status reports.</param>
/// <param name="Ping">The keep-alive request (Bybit <c>{"op":"ping"}</c>, OKX the text <c>ping</c>); null for none.</param>
/// <param name="PingAfter">Silence after which the keep-alive goes out (Bybit 20 s, OKX under 30 s).</param>
/// <param name="Silence">Silence after which the socket is declared dead and replaced.</param>
/// <param name="ReconnectMin">First reconnect delay.</param>
/// <param name="ReconnectMax">Longest reconnect delay.</param>
public sealed record SocketPlan(string Name, Uri Uri, string Source, string? Ping, TimeSpan PingAfter, TimeSpan Silence, TimeSpan ReconnectMin, TimeSpan ReconnectMax);
