using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using OiStream.Simulator.Market;
using OiStream.Simulator.Rest;

namespace OiStream.Simulator.Streams;

/// <summary>
/// The simulated <c>wss://fstream.binance.com</c> / <c>dstream</c>: raw (<c>/market/ws/…</c>) and combined
/// (<c>/market/stream?streams=…</c>) connections, live SUBSCRIBE, mark price streams every 1 s or 3 s, options OI
/// streams, and Binance's connection rules (fact sheet sections 7 and 10). Legacy unrouted paths (<c>/ws</c>,
/// <c>/stream</c>) acknowledge subscriptions and then stay silent, as Binance does since 2026-04-23.
/// </summary>
public sealed partial class StreamHub(SimMarket market, SimulatorOptions options, Faults faults, TimeProvider time, ILogger<StreamHub> logger)
{
    /// <summary>Streams per connection (USDⓈ-M and COIN-M since 2025-07-02).</summary>
    public const int MaxStreams = 1024;

    /// <summary>Incoming messages per second before Binance disconnects.</summary>
    public const int MaxIncomingPerSecond = 10;

    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private long _tick;

    /// <summary>Open connections.</summary>
    public int ConnectionCount => _connections.Count;

    private long _accepted;

    /// <summary>Total connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Maps the WebSocket routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.Map("/market/ws/{**streams}", (HttpContext c, StreamHub hub, string? streams) => hub.Accept(c, routed: true, combined: false, streams?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? []));
        app.Map("/market/ws", (HttpContext c, StreamHub hub) => hub.Accept(c, routed: true, combined: false, []));
        app.Map("/market/stream", (HttpContext c, StreamHub hub) => hub.Accept(c, routed: true, combined: true, Split(c.Request.Query["streams"])));
        app.Map("/ws/{**streams}", (HttpContext c, StreamHub hub, string? streams) => hub.Accept(c, routed: false, combined: false, streams?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? []));
        app.Map("/ws", (HttpContext c, StreamHub hub) => hub.Accept(c, routed: false, combined: false, []));
        app.Map("/stream", (HttpContext c, StreamHub hub) => hub.Accept(c, routed: false, combined: true, Split(c.Request.Query["streams"])));

        static string[] Split(string? s) => s?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
    }

    /// <summary>Closes every socket abruptly (admin fault "drop").</summary>
    public int DropAll()
    {
        var n = 0;
        foreach (var c in _connections.Keys)
        {
            c.Socket.Abort();
            n++;
        }
        return n;
    }

    /// <summary>Pushes this second's frames to every connection. Called by the market clock after each step.</summary>
    public void Tick(long now)
    {
        var tick = Interlocked.Increment(ref _tick);
        var every3 = tick % 3 == 0;
        var optionsEvery = Math.Max(1, (long)options.OptionsOpenInterestInterval.TotalSeconds);
        var optionsDue = tick % optionsEvery == 0;
        var silent = faults.SilentUntil > now;
        var cache = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var connection in _connections.Keys)
        {
            if (now - connection.Opened > options.MaxConnectionAge.TotalMilliseconds)
            {
                connection.Close(WebSocketCloseStatus.NormalClosure, "24h connection lifetime reached");
                continue;
            }
            if (silent || !connection.Routed)
            {
                continue;
            }
            foreach (var stream in connection.Streams())
            {
                var key = stream.ToLowerInvariant();
                var due = key.EndsWith("@1s", StringComparison.Ordinal) || (key.Contains("@openinterest@", StringComparison.Ordinal) ? optionsDue : every3);
                if (!due)
                {
                    continue;
                }
                var cacheKey = (connection.Combined ? "c:" : "r:") + stream;
                if (!cache.TryGetValue(cacheKey, out var frame))
                {
                    frame = BuildFrame(stream, key, connection.Combined, now);
                    cache[cacheKey] = frame;
                }
                if (frame is null)
                {
                    continue; // unknown stream: acknowledged, silent
                }
                connection.Enqueue(faults.TakeMalformed() ? Malformed(frame) : frame);
            }
        }
    }

    private byte[]? BuildFrame(string stream, string key, bool combined, long now)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (combined)
            {
                w.WriteStartObject();
                w.WriteString("stream", stream);
                w.WritePropertyName("data");
            }
            bool known;
            lock (market.Gate)
            {
                known = WritePayload(w, key, now);
            }
            if (!known)
            {
                return null;
            }
            if (combined)
            {
                w.WriteEndObject();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    private bool WritePayload(Utf8JsonWriter w, string key, long now)
    {
        if (key is "!markprice@arr@1s" or "!markprice@arr")
        {
            w.WriteStartArray();
            foreach (var i in market.UsdM)
            {
                if (i.IsTrading)
                {
                    MarkPrice(w, i);
                }
            }
            w.WriteEndArray();
            return true;
        }

        var at = key.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0)
        {
            return false;
        }
        var name = key[..at];
        var rest = key[at..];
        if (rest is "@markprice" or "@markprice@1s")
        {
            var upper = name.ToUpperInvariant();
            var single = market.Find(SimVenue.UsdM, upper) ?? market.Find(SimVenue.CoinM, upper);
            if (single is not null)
            {
                MarkPrice(w, single);
                return true;
            }
            var pair = market.CoinMPair(upper).Where(i => i.IsTrading).ToList();
            if (pair.Count == 0)
            {
                return false;
            }
            w.WriteStartArray();
            foreach (var i in pair)
            {
                MarkPrice(w, i);
            }
            w.WriteEndArray();
            return true;
        }
        if (rest.StartsWith("@openinterest@", StringComparison.Ordinal))
        {
            var expiry = rest["@openinterest@".Length..];
            var contracts = market.OptionContracts.Where(o => o.Underlying.Equals(name, StringComparison.OrdinalIgnoreCase) && o.Expiry == expiry).ToList();
            if (contracts.Count == 0)
            {
                return false;
            }
            w.WriteStartArray();
            foreach (var o in contracts)
            {
                w.WriteStartObject();
                w.WriteString("e", "openInterest");
                w.WriteNumber("E", now);
                w.WriteString("s", o.Symbol);
                w.WriteString("o", S(Math.Round(o.OpenInterest, 2)));
                w.WriteString("h", S(o.OpenInterestUsd));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            return true;
        }
        return false;
    }

    private static void MarkPrice(Utf8JsonWriter w, SimInstrument i)
    {
        w.WriteStartObject();
        w.WriteString("e", "markPriceUpdate");
        w.WriteNumber("E", i.PriceTime);
        w.WriteString("s", i.Symbol);
        w.WriteString("p", S(i.MarkPrice));
        w.WriteString("ap", S(i.MarkPrice));
        w.WriteString("i", S(i.IndexPrice));
        w.WriteString("P", S(i.IndexPrice));
        w.WriteString("r", double.IsNaN(i.FundingRate) ? "" : S(i.FundingRate));
        w.WriteNumber("T", i.IsPerpetual ? ((i.PriceTime / 28_800_000) + 1) * 28_800_000 : 0);
        w.WriteEndObject();
    }

    private static byte[] Malformed(byte[] frame) => frame.AsSpan(0, Math.Max(1, frame.Length / 2)).ToArray();

    private static string S(double value) => value.ToString("0.########", CultureInfo.InvariantCulture);

    private async Task Accept(HttpContext context, bool routed, bool combined, string[] streams)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("WebSocket connections only.", context.RequestAborted);
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            // The server pings; a client that does not answer within the timeout is dropped (fact sheet 7.4).
            KeepAliveInterval = options.PingInterval,
            KeepAliveTimeout = options.PongTimeout,
        });
        var connection = new Connection(socket, routed, combined, time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var s in streams.Take(MaxStreams))
        {
            connection.Subscribe(s);
        }
        _connections[connection] = 0;
        Interlocked.Increment(ref _accepted);
        try
        {
            var send = connection.SendLoopAsync(context.RequestAborted);
            await ReceiveLoopAsync(connection, context.RequestAborted);
            connection.Complete();
            await send;
            if (connection.CloseRequested is { } close && socket.State == WebSocketState.Open)
            {
                // The reply (e.g. the invalid-JSON error) has gone out; now the close handshake.
                await socket.CloseOutputAsync(close, "Invalid JSON", context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            LogSocketEnded(logger, ex);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task ReceiveLoopAsync(Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var windowStart = 0L;
        var inWindow = 0;
        while (connection.Socket.State == WebSocketState.Open)
        {
            var result = await connection.Socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now - windowStart >= 1000)
            {
                windowStart = now;
                inWindow = 0;
            }
            if (++inWindow > MaxIncomingPerSecond)
            {
                connection.Close(WebSocketCloseStatus.PolicyViolation, "Too many requests");
                return;
            }
            if (!result.EndOfMessage)
            {
                continue; // control messages are small; a split one is treated as invalid below
            }
            var reply = HandleControl(connection, buffer.AsSpan(0, result.Count), out var close);
            connection.Enqueue(reply);
            if (close)
            {
                connection.CloseRequested = WebSocketCloseStatus.InvalidPayloadData;
                connection.Complete();
                return;
            }
        }
    }

    /// <summary>Answers one control message (fact sheet 7.3).</summary>
    internal static byte[] HandleControl(Connection connection, ReadOnlySpan<byte> message, out bool close)
    {
        close = false;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(message.ToArray());
        }
        catch (JsonException)
        {
            close = true; // since 2023-06-22 invalid JSON disconnects
            return Encoding.UTF8.GetBytes("{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: expected value at line 1 column 1\"}}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var idElement) || !idElement.TryGetUInt64(out var id))
            {
                return Encoding.UTF8.GetBytes("{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned integer\"},\"id\":null}");
            }
            if (!root.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
            {
                return Error(2, "Invalid request: missing field `method`", id);
            }
            var method = methodElement.GetString();
            var parameters = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Array
                ? p.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToArray()
                : [];
            switch (method)
            {
                case "SUBSCRIBE":
                    if (connection.Count + parameters.Length > MaxStreams)
                    {
                        return Error(2, $"Invalid request: too many streams (max {MaxStreams} per connection)", id);
                    }
                    foreach (var s in parameters)
                    {
                        connection.Subscribe(s);
                    }
                    return Result("null", id);
                case "UNSUBSCRIBE":
                    foreach (var s in parameters)
                    {
                        connection.Unsubscribe(s);
                    }
                    return Result("null", id);
                case "LIST_SUBSCRIPTIONS":
                    return Result(JsonSerializer.Serialize(connection.Streams()), id);
                case "SET_PROPERTY":
                    if (parameters.Length != 2 || parameters[0] != "combined")
                    {
                        return Error(0, "Unknown property", id);
                    }
                    if (parameters[1] is not ("true" or "false"))
                    {
                        return Error(1, "Invalid value type: expected Boolean", id);
                    }
                    connection.Combined = parameters[1] == "true";
                    return Result("null", id);
                case "GET_PROPERTY":
                    if (parameters.Length != 1 || parameters[0] != "combined")
                    {
                        return Error(0, "Unknown property", id);
                    }
                    return Result(connection.Combined ? "true" : "false", id);
                default:
                    return Error(2, $"Invalid request: unknown variant {method}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY", id);
            }
        }

        static byte[] Result(string result, ulong id) => Encoding.UTF8.GetBytes($"{{\"result\":{result},\"id\":{id}}}");

        static byte[] Error(int code, string msg, ulong id) => Encoding.UTF8.GetBytes($"{{\"error\":{{\"code\":{code},\"msg\":{JsonSerializer.Serialize(msg)}}},\"id\":{id}}}");
    }

    [LoggerMessage(EventId = 9010, EventName = "SimulatorSocketEnded", Level = LogLevel.Debug, Message = "Simulator socket ended")]
    private static partial void LogSocketEnded(ILogger logger, Exception exception);

    /// <summary>One client connection.</summary>
    internal sealed class Connection(WebSocket socket, bool routed, bool combined, long opened)
    {
        private readonly object _gate = new();
        private readonly List<string> _streams = [];
        private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256)
        {
            // A slow reader loses its oldest frames rather than stalling the tick for everyone.
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });

        public WebSocket Socket { get; } = socket;

        public bool Routed { get; } = routed;

        public bool Combined { get; set; } = combined;

        public long Opened { get; } = opened;

        /// <summary>Set when the server ends the connection after its last reply.</summary>
        public WebSocketCloseStatus? CloseRequested { get; set; }

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _streams.Count;
                }
            }
        }

        public void Subscribe(string stream)
        {
            lock (_gate)
            {
                if (!_streams.Contains(stream))
                {
                    _streams.Add(stream);
                }
            }
        }

        public void Unsubscribe(string stream)
        {
            lock (_gate)
            {
                _streams.Remove(stream);
            }
        }

        public string[] Streams()
        {
            lock (_gate)
            {
                return [.. _streams];
            }
        }

        public void Enqueue(byte[] frame) => _outbound.Writer.TryWrite(frame);

        public void Complete() => _outbound.Writer.TryComplete();

        public void Close(WebSocketCloseStatus status, string reason)
        {
            Complete();
            _ = Socket.CloseOutputAsync(status, reason, CancellationToken.None).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }

        public async Task SendLoopAsync(CancellationToken cancellationToken)
        {
            var reader = _outbound.Reader;
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
    }
}
