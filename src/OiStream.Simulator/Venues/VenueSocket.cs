using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace OiStream.Simulator.Venues;

/// <summary>
/// One WebSocket connection of a Bybit or OKX simulator: a receive loop that hands each text message to the venue,
/// and a bounded outbound queue drained by one writer (a slow reader loses its oldest frames, never stalls the tick).
/// </summary>
public sealed class VenueSocket
{
    private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        SingleWriter = false,
    });

    internal VenueSocket(WebSocket socket, string path, long opened)
    {
        Socket = socket;
        Path = path;
        Opened = opened;
    }

    /// <summary>The socket.</summary>
    public WebSocket Socket { get; }

    /// <summary>The path it connected to (<c>/v5/public/linear</c>).</summary>
    public string Path { get; }

    /// <summary>When it connected (Unix ms).</summary>
    public long Opened { get; }

    /// <summary>Topics (Bybit) or channel:instId pairs (OKX) it subscribed, with the venue's per-topic state.</summary>
    public ConcurrentDictionary<string, object?> Topics { get; } = new(StringComparer.Ordinal);

    /// <summary>When it last sent or received anything (Unix ms).</summary>
    public long LastActivity { get; set; }

    /// <summary>Queues a text frame.</summary>
    public void Send(string text) => _outbound.Writer.TryWrite(Encoding.UTF8.GetBytes(text));

    /// <summary>Queues a UTF-8 frame.</summary>
    public void Send(byte[] frame) => _outbound.Writer.TryWrite(frame);

    /// <summary>Closes with a code and a reason after the frames queued so far.</summary>
    public void Close(int code, string reason)
    {
        _outbound.Writer.TryComplete();
        _ = Socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }

    /// <summary>
    /// Accepts a connection within the venue's connection limit (<paramref name="perWindow"/> per IP in
    /// <paramref name="window"/>; beyond it HTTP 429 with <paramref name="refusal"/>), and runs it.
    /// </summary>
    public static Task AcceptAsync(HttpContext context, SlidingLimiter limiter, int perWindow, TimeSpan window, string refusal,
        ConcurrentDictionary<VenueSocket, byte> registry, Action<VenueSocket, string> onText, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(limiter);
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!limiter.TryTake("ws|" + ip, perWindow, window))
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return context.Response.WriteAsync(refusal);
        }
        return RunAsync(context, registry, onText, time);
    }

    /// <summary>Aborts every connection of a venue (the drop fault); returns how many.</summary>
    public static int AbortAll(ConcurrentDictionary<VenueSocket, byte> registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var n = 0;
        foreach (var s in registry.Keys)
        {
            s.Socket.Abort();
            n++;
        }
        return n;
    }

    /// <summary>Accepts a connection and runs it until either side ends it.</summary>
    public static async Task RunAsync(HttpContext context, ConcurrentDictionary<VenueSocket, byte> registry, Action<VenueSocket, string> onText, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(onText);
        ArgumentNullException.ThrowIfNull(time);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This path takes WebSocket connections only.");
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var connection = new VenueSocket(socket, context.Request.Path, now) { LastActivity = now };
        registry[connection] = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var sending = connection.SendLoopAsync(stop.Token);
        try
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var count = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        if (count == buffer.Length)
                        {
                            connection.Close(1009, "frame too large");
                            return;
                        }
                        result = await socket.ReceiveAsync(buffer.AsMemory(count), stop.Token);
                        count += result.Count;
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    connection.LastActivity = time.GetUtcNow().ToUnixTimeMilliseconds();
                    onText(connection, Encoding.UTF8.GetString(buffer, 0, count));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away or the socket was aborted (the drop fault): nothing to answer.
        }
        finally
        {
            registry.TryRemove(connection, out _);
            _outbound_Complete(connection);
            await stop.CancelAsync();
            try
            {
                await sending;
            }
            catch (OperationCanceledException)
            {
                // Stopped with the connection.
            }
        }
    }

    private static void _outbound_Complete(VenueSocket connection) => connection._outbound.Writer.TryComplete();

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var frame))
                {
                    if (Socket.State != WebSocketState.Open)
                    {
                        return;
                    }
                    await Socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The connection ended while frames were queued.
        }
    }
}
